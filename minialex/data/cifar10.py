"""CIFAR-10 from the official "python version" folder (``cifar-10-batches-py``).

The paper's Figure 1 and §3.3 experiments use CIFAR-10: 60000 colour images of 32x32 pixels in ten
classes. The official distribution is a folder of Python-2 pickles: ``data_batch_1`` ...
``data_batch_5`` (training), ``test_batch`` and ``batches.meta`` (the class names). Each batch is a
dict whose ``data`` is a uint8 array (N, 3072), one image a row: 1024 red, then 1024 green, then
1024 blue values, each plane row-major 32x32; so ``data.reshape(N, 3, 32, 32)`` is NCHW directly.

N is read from each file, never assumed to be 10000, so subsets of the official files load too.
"""

import pickle
from pathlib import Path

import numpy

from .download import download_and_extract

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
META_FILE = "batches.meta"
IMAGE_SHAPE = (3, 32, 32)

# The only globals a CIFAR-10 pickle refers to: numpy rebuilding its arrays (and scalars, should
# labels be numpy integers), and _codecs.encode, through which Python 3 writes bytes at pickle
# protocol 2. Anything else could run arbitrary code on unpickling.
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


def load_cifar10(root, split="train", download=False, url=OFFICIAL_URL, md5=OFFICIAL_MD5):
    """``(images, labels, class_names)`` of one CIFAR-10 split.

    images: uint8 (N, 3, 32, 32), NCHW, RGB. labels: int64 (N,), in ``range(len(class_names))``.
    class_names: the ten names of ``batches.meta``, in label order.

    ``root`` is the ``cifar-10-batches-py`` folder itself or the folder that contains it.
    ``split``: ``"train"`` (the five data batches, concatenated in order) or ``"test"``
    (``test_batch``: keep it for the final evaluation; carve validation data from the training set
    with :func:`minialex.data.train_val_split`).
    ``download=True`` fetches and unpacks the official archive from ``url`` when the folder is
    missing, checking its MD5 against ``md5`` (``None`` skips the check); see
    :func:`minialex.data.download.download_and_extract`.
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_cifar10: split must be 'train' or 'test', got {split!r}")
    folder = find_cifar10_folder(root)
    if folder is None:
        root = Path(root).expanduser()
        destination = root if root.name == FOLDER else root / FOLDER
        if not download:
            raise FileNotFoundError(
                f"CIFAR-10 not found: neither {root} nor {root / FOLDER} holds the "
                f"'{FOLDER}' files ({', '.join(TRAIN_FILES + TEST_FILES)}, {META_FILE}); "
                "point --data-dir at the folder that holds it, or add --download to fetch it")
        download_and_extract(url, md5, destination, FOLDER, validate=_validate_folder)
        folder = destination
    class_names = read_meta(folder / META_FILE)
    names = TRAIN_FILES if split == "train" else TEST_FILES
    images, labels = [], []
    for name in names:
        batch_images, batch_labels = read_batch(folder / name, num_classes=len(class_names))
        images.append(batch_images)
        labels.append(batch_labels)
    return numpy.concatenate(images), numpy.concatenate(labels), class_names


def find_cifar10_folder(root):
    """The ``cifar-10-batches-py`` folder at or directly under ``root``, or ``None``."""
    root = Path(root).expanduser()
    markers = (META_FILE,) + TRAIN_FILES + TEST_FILES
    for candidate in (root, root / FOLDER):
        if candidate.is_dir() and any((candidate / name).exists() for name in markers):
            return candidate
    return None


def read_batch(path, num_classes=10):
    """``(images uint8 (N, 3, 32, 32), labels int64 (N,))`` of one batch file.

    Raises FileNotFoundError when the file is missing and ValueError, naming the file and what
    was expected, when it is not a CIFAR-10 batch (truncated, wrong keys, wrong shape or dtype).
    """
    batch = _unpickle(path)
    data = _get(batch, "data", path)
    labels = _get(batch, "labels", path)
    if not isinstance(data, numpy.ndarray) or data.dtype != numpy.uint8 or data.ndim != 2 \
            or data.shape[1] != 3072:
        got = (f"{type(data).__name__} {getattr(data, 'dtype', '')} "
               f"{getattr(data, 'shape', '')}").strip()
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), got {got}")
    try:
        labels = numpy.asarray(labels)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: 'labels' must be a list of integers ({error})") from error
    if labels.ndim != 1 or labels.shape[0] != data.shape[0] or \
            (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"{path}: 'labels' must be {data.shape[0]} integers (one per row of "
                         f"'data'), got {labels.dtype} of shape {labels.shape}")
    labels = labels.astype(numpy.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{path}: labels must lie in [0, {num_classes}), "
                         f"got values from {labels.min()} to {labels.max()}")
    return data.reshape((-1,) + IMAGE_SHAPE), labels


def read_meta(path):
    """The class names listed under ``label_names`` in ``batches.meta``."""
    names = _get(_unpickle(path), "label_names", path)
    if not isinstance(names, (list, tuple)) or not names or \
            not all(isinstance(name, (str, bytes)) for name in names):
        raise ValueError(f"{path}: 'label_names' must be a non-empty list of strings, "
                         f"got {type(names).__name__}")
    return [name.decode("latin1") if isinstance(name, bytes) else name for name in names]


class _Unpickler(pickle.Unpickler):
    """Unpickles plain data and numpy arrays, and refuses every other global."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refers to {module}.{name}, which a CIFAR-10 batch never contains; refusing to "
            "unpickle it (pickles can run code)")


def _unpickle(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CIFAR-10 file {path} is missing; the folder is incomplete: "
                                "delete it and fetch it again with --download")
    try:
        with open(path, "rb") as f:
            # latin1: the official files are Python-2 pickles whose str keys and numpy buffers
            # must come back as str keys and raw bytes.
            return _Unpickler(f, encoding="latin1").load()
    except OSError as error:
        raise ValueError(f"{path}: cannot read it ({error})") from error
    except Exception as error:  # truncated or corrupt pickles raise a wide range of errors
        raise ValueError(f"{path}: not a readable CIFAR-10 pickle ({type(error).__name__}: "
                         f"{error}); the file is truncated or corrupt: delete the folder and "
                         "download it again") from error


def _get(batch, key, path):
    """``batch[key]``, accepting the bytes keys that ``encoding='bytes'`` pickles carry."""
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    for candidate in (key, key.encode()):
        if candidate in batch:
            return batch[candidate]
    found = sorted(k.decode("latin1") if isinstance(k, bytes) else str(k) for k in batch)
    raise ValueError(f"{path}: missing the key {key!r} (found {found})")


def _validate_folder(folder):
    """Read every file of a freshly unpacked folder, so a bad archive never gets installed."""
    num_classes = len(read_meta(Path(folder) / META_FILE))
    for name in TRAIN_FILES + TEST_FILES:
        read_batch(Path(folder) / name, num_classes=num_classes)


__all__ = ["load_cifar10", "find_cifar10_folder", "read_batch", "read_meta", "OFFICIAL_URL",
           "OFFICIAL_MD5", "FOLDER"]
