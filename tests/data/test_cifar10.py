"""CIFAR-10 loading, download and the train/validation split (minialex.data.cifar10, split)."""

import hashlib
import pickle
import tarfile
from pathlib import Path

import numpy
import pytest

from minialex.data import DownloadError, load_cifar10
from minialex.data.cifar10 import FOLDER, read_batch

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
ROWS = {"data_batch_1": 7, "data_batch_2": 5, "data_batch_3": 3, "data_batch_4": 1,
        "data_batch_5": 4, "test_batch": 6}


def write_fake_cifar(folder, seed=0):
    """An official-format folder with few rows per batch; returns {file: (data, labels)}."""
    folder = Path(folder)
    folder.mkdir(parents=True)
    rng = numpy.random.default_rng(seed)
    written = {}
    for name, rows in ROWS.items():
        data = rng.integers(0, 256, (rows, 3072), dtype=numpy.uint8)
        labels = [int(v) for v in rng.integers(0, 10, rows)]
        batch = {"batch_label": f"fake {name}", "labels": labels, "data": data}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
        written[name] = (data, labels)
    meta = {"label_names": NAMES, "num_cases_per_batch": 7, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return written


def expected(written, names):
    data = numpy.concatenate([written[n][0] for n in names]).reshape(-1, 3, 32, 32)
    labels = numpy.concatenate([written[n][1] for n in names]).astype(numpy.int64)
    return data, labels


def make_archive(tmp_path, folder_writer=write_fake_cifar):
    source = tmp_path / "source"
    written = folder_writer(source / FOLDER)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / FOLDER, arcname=FOLDER)
    return archive, hashlib.md5(archive.read_bytes()).hexdigest(), written


# -- reading --------------------------------------------------------------------------------------
@pytest.mark.parametrize("use_parent", [False, True])
def test_reads_official_format_exactly(tmp_path, use_parent):
    written = write_fake_cifar(tmp_path / FOLDER)
    root = tmp_path if use_parent else tmp_path / FOLDER
    images, labels, names = load_cifar10(root, "train")
    want_images, want_labels = expected(written, [f"data_batch_{i}" for i in range(1, 6)])
    assert images.dtype == numpy.uint8 and images.shape == (20, 3, 32, 32)
    assert labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(images, want_images)
    numpy.testing.assert_array_equal(labels, want_labels)
    assert names == NAMES
    test_images, test_labels, _ = load_cifar10(root, "test")
    want_images, want_labels = expected(written, ["test_batch"])
    numpy.testing.assert_array_equal(test_images, want_images)
    numpy.testing.assert_array_equal(test_labels, want_labels)


def test_row_layout_is_rgb_planes(tmp_path):
    # One row: 1024 red, 1024 green, 1024 blue values, each 32x32 row-major.
    row = numpy.concatenate([numpy.full(1024, 10), numpy.full(1024, 20),
                             numpy.arange(1024) % 256]).astype(numpy.uint8)[None]
    batch = {"labels": [3], "data": row}
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=2))
    images, labels = read_batch(path)
    assert images[0, 0].max() == images[0, 0].min() == 10
    assert images[0, 1].max() == images[0, 1].min() == 20
    assert images[0, 2, 1, 0] == 32 and images[0, 2, 0, 1] == 1
    assert labels.tolist() == [3]


def test_missing_folder_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="--download"):
        load_cifar10(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split"):
        load_cifar10(tmp_path, split="val")


def test_missing_batch_file_is_named(tmp_path):
    write_fake_cifar(tmp_path / FOLDER)
    (tmp_path / FOLDER / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        load_cifar10(tmp_path)
    load_cifar10(tmp_path, "test")  # the test split does not need it


def test_truncated_batch_is_named(tmp_path):
    write_fake_cifar(tmp_path / FOLDER)
    path = tmp_path / FOLDER / "data_batch_2"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match="data_batch_2"):
        load_cifar10(tmp_path)


@pytest.mark.parametrize("batch, message", [
    ({"labels": [0]}, "'data'"),
    ({"data": numpy.zeros((1, 3072), numpy.uint8)}, "'labels'"),
    ({"labels": [0], "data": numpy.zeros((1, 3072), numpy.float32)}, r"uint8 array of shape"),
    ({"labels": [0], "data": numpy.zeros((1, 1024), numpy.uint8)}, r"\(N, 3072\)"),
    ({"labels": [0, 1], "data": numpy.zeros((1, 3072), numpy.uint8)}, "one per row"),
    ({"labels": [10], "data": numpy.zeros((1, 3072), numpy.uint8)}, r"\[0, 10\)"),
    ([1, 2, 3], "dict"),
])
def test_malformed_batch_is_named(tmp_path, batch, message):
    write_fake_cifar(tmp_path / FOLDER)
    (tmp_path / FOLDER / "data_batch_4").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(ValueError, match=message) as error:
        load_cifar10(tmp_path)
    assert "data_batch_4" in str(error.value)


def test_bytes_keys_are_accepted(tmp_path):
    written = write_fake_cifar(tmp_path / FOLDER)
    data, labels = written["test_batch"]
    (tmp_path / FOLDER / "test_batch").write_bytes(
        pickle.dumps({b"labels": labels, b"data": data}, protocol=2))
    images, got, _ = load_cifar10(tmp_path, "test")
    numpy.testing.assert_array_equal(got, labels)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_with_foreign_globals_is_refused(tmp_path):
    write_fake_cifar(tmp_path / FOLDER)
    (tmp_path / FOLDER / "test_batch").write_bytes(pickle.dumps({"x": Evil()}, protocol=2))
    with pytest.raises(ValueError, match="test_batch.*refusing"):
        load_cifar10(tmp_path, "test")


# -- download -------------------------------------------------------------------------------------
def test_download_installs_the_folder(tmp_path):
    archive, md5, written = make_archive(tmp_path)
    dest = tmp_path / "dest"
    images, labels, names = load_cifar10(dest, download=True, url=archive.as_uri(), md5=md5)
    want_images, want_labels = expected(written, [f"data_batch_{i}" for i in range(1, 6)])
    numpy.testing.assert_array_equal(images, want_images)
    numpy.testing.assert_array_equal(labels, want_labels)
    assert sorted(p.name for p in dest.iterdir()) == [FOLDER]
    # A second call finds the folder and does not download (the URL is now dead).
    archive.unlink()
    load_cifar10(dest, download=True, url=archive.as_uri(), md5=md5)
    # Naming the folder itself works too.
    load_cifar10(dest / FOLDER, "test")


def test_download_into_named_folder(tmp_path):
    archive, md5, _ = make_archive(tmp_path)
    dest = tmp_path / "data" / FOLDER
    load_cifar10(dest, "test", download=True, url=archive.as_uri(), md5=md5)
    assert sorted(p.name for p in dest.parent.iterdir()) == [FOLDER]


def assert_nothing_left(dest):
    # A folder the download created is removed again; one that existed is left empty.
    assert not dest.exists() or list(dest.iterdir()) == []


def test_checksum_mismatch_leaves_nothing(tmp_path):
    archive, md5, _ = make_archive(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DownloadError, match="checksum mismatch"):
        load_cifar10(dest, download=True, url=archive.as_uri(), md5="0" * 32)
    assert_nothing_left(dest)


def test_unreachable_url_leaves_nothing(tmp_path):
    dest = tmp_path / "dest" / "deeper"
    with pytest.raises(DownloadError, match="download of"):
        load_cifar10(dest, download=True, url=(tmp_path / "missing.tar.gz").as_uri())
    assert not (tmp_path / "dest").exists()


def test_archive_with_bad_batch_leaves_nothing(tmp_path):
    def corrupt_writer(folder):
        written = write_fake_cifar(folder)
        (folder / "data_batch_5").write_bytes(b"\x80\x02}q\x00(X")  # a truncated pickle
        return written

    archive, md5, _ = make_archive(tmp_path, corrupt_writer)
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="data_batch_5"):
        load_cifar10(dest, download=True, url=archive.as_uri(), md5=md5)
    assert_nothing_left(dest)


def test_archive_without_the_folder_leaves_nothing(tmp_path):
    def wrong_writer(folder):
        return write_fake_cifar(folder.parent / "something-else")

    source = tmp_path / "source"
    wrong_writer(source / FOLDER)
    archive = tmp_path / "wrong.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "something-else", arcname="something-else")
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="no top-level folder"):
        load_cifar10(dest, download=True, url=archive.as_uri(), md5=None)
    assert_nothing_left(dest)


def test_not_a_tarball_leaves_nothing(tmp_path):
    archive = tmp_path / "junk.tar.gz"
    archive.write_bytes(numpy.random.default_rng(0).bytes(5000))
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="cannot unpack"):
        load_cifar10(dest, download=True, url=archive.as_uri(), md5=md5)
    assert_nothing_left(dest)


# -- the shared subset of the real files ----------------------------------------------------------
@pytest.mark.skipif(not (SHARED_DATA / FOLDER).is_dir(), reason="shared CIFAR-10 subset absent")
def test_shared_cifar10_subset():
    images, labels, names = load_cifar10(SHARED_DATA)
    assert images.shape == (5170, 3, 32, 32) and images.dtype == numpy.uint8
    assert labels.shape == (5170,) and set(labels.tolist()) == set(range(10))
    assert names[0] == "airplane" and len(names) == 10
    # Only the size of the test split is checked here: nothing trains or tunes on it.
    test_images, test_labels, _ = load_cifar10(SHARED_DATA / FOLDER, "test")
    assert test_images.shape == (1017, 3, 32, 32) and test_labels.shape == (1017,)
