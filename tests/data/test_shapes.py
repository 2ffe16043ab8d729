"""The built-in Shapes data set (minialex.data.shapes)."""

import time

import numpy
import pytest

from minialex.data import SHAPES_CLASSES, load_shapes, make_shapes


@pytest.fixture(scope="module")
def splits():
    start = time.perf_counter()
    train = load_shapes("train")
    test = load_shapes("test")
    return train, test, time.perf_counter() - start


def test_default_splits_shapes_speed_and_balance(splits):
    (x, y, names), (xt, yt, names_t), seconds = splits
    assert x.shape == (5000, 3, 32, 32) and xt.shape == (1000, 3, 32, 32)
    assert x.dtype == xt.dtype == numpy.uint8 and y.dtype == yt.dtype == numpy.int64
    assert names == names_t == SHAPES_CLASSES and len(set(SHAPES_CLASSES)) == 10
    assert numpy.bincount(y, minlength=10).tolist() == [500] * 10
    assert numpy.bincount(yt, minlength=10).tolist() == [100] * 10
    assert seconds < 5  # about 0.3 s here; generous for slow CI machines


def test_deterministic_by_seed():
    a, la = make_shapes(50, size=24, seed=3)
    b, lb = make_shapes(50, size=24, seed=3)
    numpy.testing.assert_array_equal(a, b)
    numpy.testing.assert_array_equal(la, lb)
    c, _ = make_shapes(50, size=24, seed=4)
    assert not numpy.array_equal(a, c)
    assert a.shape == (50, 3, 24, 24)
    assert sorted(numpy.bincount(la).tolist()) == [5] * 10


def test_train_and_test_differ():
    train, _, _ = load_shapes("train", n=200, seed=1)
    test, _, _ = load_shapes("test", n=200, seed=1)
    assert not numpy.array_equal(train, test)
    # No test image equals any training image.
    flat_train = {image.tobytes() for image in train}
    assert not any(image.tobytes() in flat_train for image in test)
    numpy.testing.assert_array_equal(load_shapes("test", n=200, seed=1)[0], test)


def test_images_use_the_whole_range_with_contrast():
    images, _ = make_shapes(100, seed=0)
    spread = images.reshape(100, 3, -1).astype(int)
    # Foreground and background differ by >= 30% in every channel, plus noise: every image has
    # a large range in each channel.
    assert ((spread.max(axis=2) - spread.min(axis=2)) > 60).all()


def border_colour(x):
    """(N, 3): the median colour of each image's outermost pixels, its background."""
    border = numpy.concatenate([x[:, :, 0], x[:, :, -1], x[:, :, :, 0], x[:, :, :, -1]], axis=2)
    return numpy.median(border, axis=2)


def test_shape_is_lighter_than_its_background_in_every_channel():
    # One sign of contrast (the module docstring says why): the shape's pixels, those far from
    # the colour of the image's border, are 30-50% of the range lighter in every channel.
    images, _ = make_shapes(200, seed=5)
    x = images.astype(numpy.float64) / 255                                     # (200, 3, 32, 32)
    background = border_colour(x)                                              # (200, 3)
    in_shape = numpy.abs(x - background[:, :, None, None]).sum(axis=1) > 0.6    # (200, 32, 32)
    pixels = in_shape.sum(axis=(1, 2))
    assert pixels.min() > 20
    shape_colour = (x * in_shape[:, None]).sum(axis=(2, 3)) / pixels[:, None]
    lift = shape_colour - background
    assert lift.min() > 0.25 and lift.max() < 0.55
    assert 0.0 <= background.min() and background.max() < 0.55


def foreground_spectrum(images):
    """Translation-invariant, colour-invariant features: |FFT| of the foreground mask."""
    x = images.astype(numpy.float32) / 255
    background = border_colour(x)[:, :, None, None]
    mask = (numpy.abs(x - background).sum(axis=1) > 0.45).astype(numpy.float32)
    features = numpy.abs(numpy.fft.rfft2(mask)).reshape(len(x), -1)
    return features / (numpy.linalg.norm(features, axis=1, keepdims=True) + 1e-9)


def test_classes_are_distinguishable(splits):
    # A nearest-class-mean classifier on held-out data: chance is 10%; shape, not colour, must
    # carry the class (raw pixels, whose colours are random, stay near chance).
    (x, y, _), (xt, yt, _), _ = splits
    train, test = foreground_spectrum(x[:2000]), foreground_spectrum(xt)
    means = numpy.stack([train[y[:2000] == k].mean(axis=0) for k in range(10)])
    distances = ((test[:, None, :] - means[None]) ** 2).sum(axis=2)
    accuracy = (distances.argmin(axis=1) == yt).mean()
    assert accuracy > 0.8


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be"):
        make_shapes(-1)
    with pytest.raises(ValueError, match="size"):
        make_shapes(10, size=4)
    with pytest.raises(ValueError, match="split"):
        load_shapes("val")
    images, labels = make_shapes(0)
    assert images.shape == (0, 3, 32, 32) and labels.shape == (0,)
