"""Image folders and Tiny ImageNet: decoding, §4.1 rescale + centre crop, cache (minialex.data)."""

import os
from pathlib import Path

import numpy
import pytest
from PIL import Image

from minialex.data import decode_image, load_image_folder, load_tiny_imagenet

SHARED_TINY = Path(__file__).resolve().parents[2] / "shared" / "data" / "tiny-imagenet-10"
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def solid(width, height, colour=(200, 30, 60)):
    return Image.new("RGB", (width, height), colour)


def striped(width, height, colours, vertical=True):
    """Equal stripes of ``colours``: side by side when ``vertical``, stacked otherwise."""
    pixels = numpy.zeros((height, width, 3), numpy.uint8)
    k = len(colours)
    for i, colour in enumerate(colours):
        if vertical:
            pixels[:, i * width // k:(i + 1) * width // k] = colour
        else:
            pixels[i * height // k:(i + 1) * height // k] = colour
    return Image.fromarray(pixels)


def make_folder(root):
    """Two classes, every colour model, nested folders, odd extensions, a non-image file."""
    (root / "cat" / "nested").mkdir(parents=True)
    (root / "dog").mkdir(parents=True)
    solid(30, 20).save(root / "cat" / "a_rgb.jpg", quality=95)
    solid(20, 20).convert("L").save(root / "cat" / "b_gray.JPEG")
    solid(24, 16).convert("CMYK").save(root / "cat" / "nested" / "c_cmyk.jpeg")
    solid(16, 24, (10, 200, 10)).convert("P").save(root / "dog" / "d_palette.png")
    Image.new("RGBA", (16, 16), (0, 0, 255, 255)).save(root / "dog" / "e_rgba.PNG")
    (root / "dog" / "notes.txt").write_text("not an image")
    return {"cat": 3, "dog": 2}


def test_folder_loads_every_colour_model(tmp_path):
    counts = make_folder(tmp_path / "images")
    images, labels, names = load_image_folder(tmp_path / "images", size=8,
                                              cache_dir=tmp_path / "cache")
    assert names == ["cat", "dog"]
    assert images.shape == (5, 3, 8, 8) and images.dtype == numpy.uint8
    assert labels.dtype == numpy.int64 and labels.tolist() == [0] * counts["cat"] + [1] * 2
    # Files sorted by path within a class: a_rgb, b_gray, nested/c_cmyk; d_palette, e_rgba.
    gray = images[1]
    assert (gray[0] == gray[1]).all() and (gray[1] == gray[2]).all()
    numpy.testing.assert_allclose(images[3].mean(axis=(1, 2)), [10, 200, 10], atol=3)
    numpy.testing.assert_allclose(images[4].mean(axis=(1, 2)), [0, 0, 255], atol=1)
    numpy.testing.assert_allclose(images[0].mean(axis=(1, 2)), [200, 30, 60], atol=6)


def test_transparent_pixels_become_white(tmp_path):
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    assert (decode_image(tmp_path / "clear.png", 4) == 255).all()


@pytest.mark.parametrize("width, height", [(40, 20), (20, 40)])
def test_shorter_side_resize_then_centre_crop(tmp_path, width, height):
    # Red | blue halves along the long side. Shorter side 20 -> 10, long side 40 -> 20, and the
    # centre 10 pixels of the long side are 5 red, then 5 blue (one mixed pixel at the seam).
    vertical = width > height
    striped(width, height, [RED, BLUE], vertical).save(tmp_path / "halves.png")
    image = decode_image(tmp_path / "halves.png", 10)
    assert image.shape == (3, 10, 10) and image.dtype == numpy.uint8
    along = image if vertical else image.transpose(0, 2, 1)  # long axis last
    numpy.testing.assert_array_equal(along[:, :, :4].reshape(3, -1).T, [RED] * 40)
    numpy.testing.assert_array_equal(along[:, :, 6:].reshape(3, -1).T, [BLUE] * 40)


def test_centre_crop_keeps_only_the_middle(tmp_path):
    # Thirds red | green | blue of a 60x20 image: the centre square is all green.
    striped(60, 20, [RED, GREEN, BLUE]).save(tmp_path / "thirds.png")
    image = decode_image(tmp_path / "thirds.png", 10)
    numpy.testing.assert_array_equal(image[:, :, 1:-1].reshape(3, -1).T, [GREEN] * 80)
    image = decode_image(tmp_path / "thirds.png", 20)  # no rescale, just the crop
    numpy.testing.assert_array_equal(image.reshape(3, -1).T, [GREEN] * 400)


def test_corrupt_image_is_named_or_skipped(tmp_path):
    make_folder(tmp_path / "images")
    bad = tmp_path / "images" / "dog" / "bad.jpg"
    bad.write_bytes(numpy.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match="bad.jpg"):
        load_image_folder(tmp_path / "images", size=8, cache_dir=tmp_path / "cache")
    with pytest.warns(UserWarning, match="bad.jpg"):
        images, labels, _ = load_image_folder(tmp_path / "images", size=8,
                                              cache_dir=tmp_path / "cache", skip_corrupt=True)
    assert images.shape == (5, 3, 8, 8) and labels.tolist() == [0, 0, 0, 1, 1]
    # From the cache, the same answers: a warning with skip_corrupt, an error without.
    with pytest.warns(UserWarning, match="bad.jpg"):
        again, again_labels, _ = load_image_folder(tmp_path / "images", size=8,
                                                   cache_dir=tmp_path / "cache", skip_corrupt=True)
    numpy.testing.assert_array_equal(again, images)
    numpy.testing.assert_array_equal(again_labels, labels)
    with pytest.raises(ValueError, match="bad.jpg"):
        load_image_folder(tmp_path / "images", size=8, cache_dir=tmp_path / "cache")


def test_truncated_jpeg_is_named(tmp_path):
    make_folder(tmp_path / "images")
    path = tmp_path / "images" / "cat" / "a_rgb.jpg"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="a_rgb.jpg"):
        load_image_folder(tmp_path / "images", size=8, cache_dir=tmp_path / "cache")


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_image_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "empty" / "lonely").mkdir()
    with pytest.raises(ValueError, match="lonely"):
        load_image_folder(tmp_path / "empty")


def forbid_decoding(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("decoded although cached")
    monkeypatch.setattr(Image, "open", refuse)


def test_cache_is_read_without_decoding_and_invalidated(tmp_path, monkeypatch):
    root, cache = tmp_path / "images", tmp_path / "cache"
    make_folder(root)
    first, labels, _ = load_image_folder(root, size=8, cache_dir=cache)
    with monkeypatch.context() as patch:
        forbid_decoding(patch)
        cached, cached_labels, names = load_image_folder(root, size=8, cache_dir=cache)
        numpy.testing.assert_array_equal(cached, first)
        numpy.testing.assert_array_equal(cached_labels, labels)
        # Another size is another entry.
        with pytest.raises(RuntimeError, match="decoded although cached"):
            load_image_folder(root, size=6, cache_dir=cache)
        # Change one image: the key changes and the folder is decoded again.
        changed = root / "dog" / "e_rgba.PNG"
        Image.new("RGBA", (16, 16), (255, 255, 0, 255)).save(changed)
        stat = os.stat(changed)
        os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        with pytest.raises(RuntimeError, match="decoded although cached"):
            load_image_folder(root, size=8, cache_dir=cache)
    fresh, _, _ = load_image_folder(root, size=8, cache_dir=cache)
    numpy.testing.assert_array_equal(fresh[4].mean(axis=(1, 2)), [255, 255, 0])
    # Complete entries only (no temporary files), and the stale entry of size 8 was replaced.
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 2 and [Path(f).suffix for f in files] == [".json", ".npy"]


def test_default_cache_lives_in_the_folder_and_is_not_a_class(tmp_path, monkeypatch):
    root = tmp_path / "images"
    make_folder(root)
    first, _, names = load_image_folder(root, size=8)
    assert (root / ".minialex-cache").is_dir()
    forbid_decoding(monkeypatch)
    again, _, names_again = load_image_folder(root, size=8)
    assert names_again == names == ["cat", "dog"]
    numpy.testing.assert_array_equal(again, first)


# -- Tiny ImageNet -------------------------------------------------------------------------------
def make_tiny(root):
    """Two classes listed in non-sorted order, so labels must follow wnids.txt."""
    wnids = ["n09999999", "n01111111"]
    colours = {"n09999999": (250, 0, 0), "n01111111": (0, 0, 250)}
    root.mkdir()
    (root / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (root / "words.txt").write_text("n01111111\tblue thing, bluish\nn05555555\tunused\n"
                                    "n09999999\tred thing\n")
    for wnid in wnids:
        folder = root / "train" / wnid / "images"
        folder.mkdir(parents=True)
        for k in range(3):
            solid(64, 64, colours[wnid]).save(folder / f"{wnid}_{k}.JPEG")
    (root / "val" / "images").mkdir(parents=True)
    annotations = []
    for k, wnid in enumerate(["n01111111", "n09999999", "n01111111"]):
        solid(64, 64, colours[wnid]).convert("L" if k == 2 else "RGB").save(
            root / "val" / "images" / f"val_{k}.JPEG")
        annotations.append(f"val_{k}.JPEG\t{wnid}\t0\t0\t10\t10")
    (root / "val" / "val_annotations.txt").write_text("\n".join(annotations) + "\n")


def test_tiny_imagenet_layout(tmp_path):
    make_tiny(tmp_path / "tiny")
    images, labels, names = load_tiny_imagenet(tmp_path / "tiny", "train",
                                               cache_dir=tmp_path / "cache")
    assert names == ["red thing", "blue thing"]
    assert images.shape == (6, 3, 64, 64) and labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert images[0, 0].mean() > 200 and images[3, 2].mean() > 200
    images, labels, _ = load_tiny_imagenet(tmp_path / "tiny", "val", size=32,
                                           cache_dir=tmp_path / "cache")
    assert images.shape == (3, 3, 32, 32) and labels.tolist() == [1, 0, 1]
    assert (images[2, 0] == images[2, 1]).all()  # the grayscale one, now three equal channels


def test_tiny_imagenet_errors(tmp_path):
    make_tiny(tmp_path / "tiny")
    with pytest.raises(ValueError, match="split"):
        load_tiny_imagenet(tmp_path / "tiny", "test")
    with open(tmp_path / "tiny" / "val" / "val_annotations.txt", "a") as f:
        f.write("val_9.JPEG\tn07777777\t0\t0\t1\t1\n")
    with pytest.raises(ValueError, match=r"val_annotations.txt, line 4.*n07777777"):
        load_tiny_imagenet(tmp_path / "tiny", "val", cache_dir=tmp_path / "cache")
    (tmp_path / "tiny" / "wnids.txt").unlink()
    with pytest.raises(FileNotFoundError, match="wnids.txt"):
        load_tiny_imagenet(tmp_path / "tiny", "train")


@pytest.mark.skipif(not SHARED_TINY.is_dir(), reason="shared Tiny ImageNet subset absent")
def test_shared_tiny_imagenet(tmp_path):
    train, train_labels, names = load_tiny_imagenet(SHARED_TINY, "train", cache_dir=tmp_path)
    val, val_labels, _ = load_tiny_imagenet(SHARED_TINY, "val", cache_dir=tmp_path)
    assert train.shape == (5000, 3, 64, 64) and val.shape == (500, 3, 64, 64)
    assert train.dtype == val.dtype == numpy.uint8
    assert numpy.bincount(train_labels).tolist() == [500] * 10
    assert numpy.bincount(val_labels).tolist() == [50] * 10
    assert len(names) == 10 and names[0] == "goldfish"
    # The 52 grayscale JPEGs came out as three equal channels (a few colour photos may be
    # gray too, hence >=).
    both = numpy.concatenate([train, val])
    gray = ((both[:, 0] == both[:, 1]) & (both[:, 1] == both[:, 2])).all(axis=(1, 2))
    assert gray.sum() >= 52


def test_a_split_is_labelled_through_the_training_classes(tmp_path):
    """val/ lacking a class must not shift the others' labels."""
    for name, colour in (("ant", RED), ("bee", GREEN), ("cat", BLUE)):
        (tmp_path / "train" / name).mkdir(parents=True)
        solid(8, 8, colour).save(tmp_path / "train" / name / "0.png")
    for name, colour in (("ant", RED), ("cat", BLUE)):            # no bee in val/
        (tmp_path / "val" / name).mkdir(parents=True)
        solid(8, 8, colour).save(tmp_path / "val" / name / "0.png")
    classes = ["ant", "bee", "cat"]
    images, labels, names = load_image_folder(tmp_path / "val", size=8, class_names=classes,
                                              cache_dir=tmp_path / "cache")
    assert names == classes and labels.tolist() == [0, 2]        # cat is still class 2
    numpy.testing.assert_allclose(images[1].mean(axis=(1, 2)), BLUE, atol=1)
    (tmp_path / "val" / "dog").mkdir()
    solid(8, 8).save(tmp_path / "val" / "dog" / "0.png")
    with pytest.raises(ValueError, match="dog is not a class of the training set"):
        load_image_folder(tmp_path / "val", size=8, class_names=classes,
                          cache_dir=tmp_path / "cache")


def test_corrupt_image_advice_names_the_flag(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "broken.jpg").write_bytes(b"no image here")
    with pytest.raises(ValueError) as info:
        load_image_folder(tmp_path, size=8, cache_dir=tmp_path / "cache")
    assert "--skip-corrupt" in str(info.value)
