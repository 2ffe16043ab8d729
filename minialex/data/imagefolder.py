"""Folders of JPEG/PNG images (an ImageNet subset, Tiny ImageNet) as uint8 arrays.

§4.1 (and §2): "we down-sampled the images to a fixed resolution of 256 x 256. Given a rectangular
image, we first rescaled the image such that the shorter side was of length 256, and then cropped
out the central 256x256 patch". :func:`decode_image` does exactly that for any ``size``, after
turning every colour model (grayscale, palette, CMYK, with or without alpha) into RGB, since real
ImageNet folders hold all of them.

Two layouts are read:

* :func:`load_image_folder`: ``root/<class>/**/*.jpg`` (``.jpeg``, ``.png``; any case), the
  layout of the ImageNet training set and of torchvision's ``ImageFolder``.
* :func:`load_tiny_imagenet`: Tiny ImageNet's own layout (``wnids.txt``, ``words.txt``,
  ``train/<wnid>/images/``, ``val/images/`` with ``val/val_annotations.txt``).

Both return ``(images uint8 (N, 3, S, S), labels int64 (N,), class_names)``, decode with a thread
pool (Pillow releases the GIL while it decodes and resizes), and cache the decoded array on disk
(:mod:`minialex.data.cache`), so the second load of a folder only reads one ``.npy`` file.
"""

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy
from PIL import Image

from ..kernels.threads import num_threads
from ..validate import integer
from . import cache

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png")
_CHUNK = 256  # images decoded per round, so a corrupt file early on stops the load early
_SKIP_ADVICE = ("remove or replace the file, or add --skip-corrupt to leave out every image "
                "that cannot be decoded")

# What Pillow raises on a file it cannot decode: unidentified or truncated files (OSError),
# broken headers (SyntaxError, ValueError), absurd dimensions (DecompressionBombError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def decode_image(path, size):
    """uint8 (3, size, size): the image at ``path``, RGB, shorter side rescaled to ``size``,
    centre-cropped to ``size`` x ``size`` (§4.1 with size=256).

    Grayscale, palette and CMYK images become RGB; transparent pixels are composited over white
    (their hidden colour is arbitrary, often black). Rescaling is bilinear with Pillow's
    antialiasing when shrinking. Raises ValueError naming the file when it cannot be decoded.
    """
    out = numpy.empty((3, size, size), numpy.uint8)
    _decode_into(Path(path), size, out)
    return out


def _decode_into(path, size, out):
    try:
        with Image.open(path) as image:
            if image.format == "JPEG":
                # Let the JPEG decoder shrink by 1/2, 1/4 or 1/8 in the DCT domain while keeping
                # both sides >= size: several times faster on full-size ImageNet photos.
                image.draft("RGB", (size, size))
            image.load()
            image = _to_rgb(image)
            width, height = image.size
            scale = size / min(width, height)
            new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
            if new_size != image.size:
                image = image.resize(new_size, Image.Resampling.BILINEAR)
            left = (new_size[0] - size) // 2
            top = (new_size[1] - size) // 2
            image = image.crop((left, top, left + size, top + size))
            out[...] = numpy.asarray(image, dtype=numpy.uint8).transpose(2, 0, 1)
    except _DECODE_ERRORS as error:
        raise CorruptImageError(path, f"{type(error).__name__}: {error}") from error


class CorruptImageError(ValueError):
    """An image file that cannot be decoded; the message names it and says what to do."""

    def __init__(self, path, reason):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: cannot decode the image ({reason}); {_SKIP_ADVICE}")


def _to_rgb(image):
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit grayscale (some PNGs): Pillow's own conversion clips at 255, which would turn
        # almost every pixel white; map the 16-bit range onto 8 bits instead.
        values = numpy.asarray(image, dtype=numpy.float64) / 257.0
        image = Image.fromarray(numpy.clip(numpy.rint(values), 0, 255).astype(numpy.uint8), "L")
    return image.convert("RGB")


def list_image_folder(root, class_names=None):
    """``(paths, labels, class_names)`` of ``root/<class>/**/*.(jpeg|jpg|png)``.

    Class names are the sorted names of the sub-folders of ``root``, labels their positions;
    paths are sorted within each class. Hidden files and folders (a leading ``.``) are ignored:
    they are cache folders or macOS ``._*`` resource forks, not images.

    ``class_names`` (the training split's, for a validation or test split) fixes the labels
    instead: each sub-folder is labelled by its name's position in that list, so a split that
    lacks a class still labels the others right; a sub-folder not in the list is an error.
    """
    root = Path(root).expanduser()
    found = image_folder_classes(root)
    if class_names is None:
        class_names = found
    unknown = [name for name in found if name not in class_names]
    if unknown:
        raise ValueError(f"image folder {root}: {', '.join(unknown)} "
                         f"{'is not a class' if len(unknown) == 1 else 'are not classes'} of "
                         f"the training set ({len(class_names)} classes: "
                         f"{', '.join(class_names[:5])}{', ...' if len(class_names) > 5 else ''}"
                         "); every split must use the training set's class folder names")
    label_of = {name: label for label, name in enumerate(class_names)}
    paths, labels = [], []
    for name in found:
        images = _find_images(root / name)
        if not images:
            raise ValueError(f"class folder {root / name} holds no images "
                             f"({', '.join(IMAGE_EXTENSIONS)}, any case)")
        paths.extend(images)
        labels.extend([label_of[name]] * len(images))
    return paths, labels, list(class_names)


def image_folder_classes(root):
    """The sorted names of the class sub-folders of ``root`` (hidden ones left out)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist; point --data-dir at a "
                                "folder with one sub-folder of images per class")
    names = sorted(entry.name for entry in root.iterdir()
                   if entry.is_dir() and not entry.name.startswith("."))
    if not names:
        raise ValueError(f"image folder {root} has no class sub-folders; expected "
                         "root/<class>/<image>.jpg")
    return names


def _find_images(folder):
    found = []
    for directory, subdirs, files in os.walk(folder, followlinks=True):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        found.extend(Path(directory) / f for f in files
                     if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def load_image_folder(root, size=256, cache_dir=None, skip_corrupt=False, class_names=None):
    """``(images uint8 (N, 3, size, size), labels int64 (N,), class_names)`` of an image folder.

    Layout: ``root/<class>/**/*.(jpeg|jpg|png)`` (see :func:`list_image_folder`, which also
    says what ``class_names`` does: give the training split's to load another split); each
    image goes through :func:`decode_image`. A corrupt image raises ValueError naming it; with
    ``skip_corrupt=True`` it is left out with a warning naming it. ``cache_dir``: where the
    decoded array is cached (default :func:`minialex.data.cache.default_cache_dir`).
    """
    root = Path(root).expanduser()
    paths, labels, class_names = list_image_folder(root, class_names)
    images, labels = load_images(paths, labels, size, root=root, split="folder",
                                 cache_dir=cache_dir, skip_corrupt=skip_corrupt)
    return images, labels, class_names


def load_tiny_imagenet(root, split="train", size=64, cache_dir=None, skip_corrupt=False):
    """``(images uint8 (N, 3, size, size), labels int64 (N,), class_names)`` of Tiny ImageNet.

    Layout: ``wnids.txt`` (one WordNet id a line; labels follow its order), ``words.txt``
    (``wnid<TAB>name, other names``: the first name becomes the class name, the wnid itself when
    the file or the line is missing), ``train/<wnid>/images/*.JPEG`` and ``val/images/*.JPEG``
    labelled by ``val/val_annotations.txt`` (``file<TAB>wnid<TAB>box``). The test split has no
    labels and is not offered. Tiny ImageNet images are 64x64, so ``size=64`` only converts
    colour; other sizes rescale as :func:`decode_image` does.
    """
    if split not in ("train", "val"):
        raise ValueError(f"load_tiny_imagenet: split must be 'train' or 'val', got {split!r} "
                         "(Tiny ImageNet's test images carry no labels)")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"Tiny ImageNet folder {root} does not exist; point --data-dir "
                                "at the folder holding wnids.txt, train/ and val/")
    wnids = _read_wnids(root / "wnids.txt")
    class_names = _read_words(root / "words.txt", wnids)
    if split == "train":
        paths, labels = [], []
        for label, wnid in enumerate(wnids):
            folder = root / "train" / wnid / "images"
            if not folder.is_dir():
                raise FileNotFoundError(f"Tiny ImageNet: the training folder {folder} of "
                                        f"{wnid} (listed in wnids.txt) is missing")
            found = _find_images(folder)
            if not found:
                raise ValueError(f"Tiny ImageNet: {folder} holds no images")
            paths.extend(found)
            labels.extend([label] * len(found))
    else:
        paths, labels = _read_val_annotations(root, {wnid: i for i, wnid in enumerate(wnids)})
    images, labels = load_images(paths, labels, size, root=root, split=split,
                                 cache_dir=cache_dir, skip_corrupt=skip_corrupt)
    return images, labels, class_names


def _read_wnids(path):
    if not path.is_file():
        raise FileNotFoundError(f"Tiny ImageNet: {path} is missing; expected one WordNet id "
                                "(like n01443537) per line")
    wnids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    wnids = [wnid for wnid in wnids if wnid]
    if not wnids:
        raise ValueError(f"Tiny ImageNet: {path} lists no WordNet ids")
    if len(set(wnids)) != len(wnids):
        raise ValueError(f"Tiny ImageNet: {path} lists a WordNet id twice")
    return wnids


def _read_words(path, wnids):
    names = {}
    if path.is_file():
        wanted = set(wnids)
        # words.txt of the full data set covers all 82115 WordNet ids: keep only ours.
        for line in path.read_text(encoding="utf-8").splitlines():
            wnid, _, words = line.partition("\t")
            if wnid.strip() in wanted and words.strip():
                names[wnid.strip()] = words.split(",")[0].strip()
    return [names.get(wnid, wnid) for wnid in wnids]


def _read_val_annotations(root, label_of):
    path = root / "val" / "val_annotations.txt"
    if not path.is_file():
        raise FileNotFoundError(f"Tiny ImageNet: {path} is missing; it labels the validation "
                                "images (file<TAB>wnid<TAB>box)")
    entries = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise ValueError(f"{path}, line {number}: expected 'file<TAB>wnid<TAB>box', "
                             f"got {line!r}")
        name, wnid = fields[0].strip(), fields[1].strip()
        if wnid not in label_of:
            raise ValueError(f"{path}, line {number}: {wnid!r} is not listed in wnids.txt")
        image = root / "val" / "images" / name
        if not image.is_file():
            raise FileNotFoundError(f"{path}, line {number}: the image {image} is missing")
        entries[name] = label_of[wnid]
    if not entries:
        raise ValueError(f"{path} lists no images")
    names = sorted(entries)
    return [root / "val" / "images" / name for name in names], [entries[name] for name in names]


def load_images(paths, labels, size, root, split, cache_dir=None, skip_corrupt=False):
    """``(images uint8 (M, 3, size, size), labels int64 (M,))`` of ``paths``, through the cache.

    M = N minus the corrupt images skipped (only with ``skip_corrupt=True``). ``root`` and
    ``split`` name the cache entry; ``paths`` must lie under ``root``.
    """
    size = integer(size, "size", "image folder", minimum=1)
    root = Path(root)
    labels = numpy.asarray(labels, dtype=numpy.int64)
    cache_dir = cache.default_cache_dir(root) if cache_dir is None else Path(cache_dir)
    prefix, name = cache.cache_name(root, split, size, cache.file_entries(paths, root))
    cached = cache.read_entry(cache_dir, name, (3, size, size))
    if cached is not None:
        images, skipped = cached
        _report_corrupt([(paths[i], "it could not be decoded when the cache was written")
                         for i in skipped], skip_corrupt)
    else:
        images, skipped = _decode_all(paths, size, skip_corrupt)
        cache.write_entry(cache_dir, name, prefix, images, skipped)
    keep = numpy.ones(len(paths), bool)
    keep[list(skipped)] = False
    return images, labels[keep]


def _decode_all(paths, size, skip_corrupt):
    """Decode ``paths`` on a thread pool; returns (images of the good ones, skipped indices)."""
    out = numpy.empty((len(paths), 3, size, size), numpy.uint8)

    def job(i):
        try:
            _decode_into(Path(paths[i]), size, out[i])
        except ValueError as error:
            return error
        return None

    skipped = []
    with ThreadPoolExecutor(max_workers=max(1, num_threads()),
                            thread_name_prefix="minialex-decode") as pool:
        for start in range(0, len(paths), _CHUNK):
            stop = min(len(paths), start + _CHUNK)
            failures = [(start + k, error) for k, error in
                        enumerate(pool.map(job, range(start, stop))) if error is not None]
            if failures and not skip_corrupt:
                raise failures[0][1]
            for index, error in failures:
                warnings.warn(f"skipping corrupt image {error.path}: {error.reason}",
                              stacklevel=4)
                skipped.append(index)
    if skipped:
        keep = numpy.ones(len(paths), bool)
        keep[skipped] = False
        out = out[keep]
    return out, skipped


def _report_corrupt(problems, skip_corrupt):
    """Repeat, on a cached load, what the decoding load said about corrupt files."""
    if problems and not skip_corrupt:
        path, why = problems[0]
        raise CorruptImageError(path, why)
    for path, why in problems:
        warnings.warn(f"skipping corrupt image {path}: {why}", stacklevel=4)
