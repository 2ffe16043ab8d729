"""Preprocess: the §4.1 recipe for a batch, in training and at test time, saved and restored."""

import io

import numpy
import pytest

from minialex.data import Preprocess, center_crop, compute_mean, subtract_mean, ten_crop
from tests.data.test_augment import batch, window_positions


@pytest.fixture
def train_images(rng):
    return batch(rng, n=32, h=12, w=12)


def test_preprocess_train_crops_the_centred_image(train_images):
    pre = Preprocess(crop_size=8, flip=False, mean=compute_mean(train_images))
    out = pre.train(train_images, numpy.random.default_rng(0))
    assert out.shape == (32, 3, 8, 8) and out.dtype == numpy.float32
    centred = subtract_mean(train_images, pre.mean)
    for i in range(32):  # each crop is a window of the mean-subtracted full image
        assert len(window_positions(centred[i], out[i])) == 1


def test_preprocess_lighting_is_a_constant_offset_per_image(train_images):
    plain = Preprocess.fit(train_images, crop_size=8, pca=False, scale=1 / 255)
    lit = Preprocess.fit(train_images, crop_size=8, pca=True, scale=1 / 255)
    a = plain.train(train_images, numpy.random.default_rng(5))
    b = lit.train(train_images, numpy.random.default_rng(5))  # same crops and flips, then alphas
    shift = b - a
    numpy.testing.assert_allclose(shift, shift[:, :, :1, :1] * numpy.ones_like(shift), atol=1e-5)
    assert numpy.abs(shift).max() > 0


def test_preprocess_test_views(train_images):
    pre = Preprocess.fit(train_images, crop_size=8, mean="channel", scale=0.5)
    centred = subtract_mean(train_images, pre.mean) * 0.5
    numpy.testing.assert_allclose(pre.test(train_images), center_crop(centred, 8), rtol=1e-6)
    views = pre.test_ten_crop(train_images)
    assert views.shape == (10, 32, 3, 8, 8) and views.dtype == numpy.float32
    numpy.testing.assert_allclose(views, ten_crop(centred, 8), rtol=1e-6)
    whole = Preprocess(mean=pre.mean)
    assert whole.test(train_images).shape == (32, 3, 12, 12)
    with pytest.raises(ValueError, match="crop_size"):
        whole.test_ten_crop(train_images)


def test_preprocess_round_trips_through_npz(train_images):
    pre = Preprocess.fit(train_images, crop_size=8, scale=1 / 255, pca_std=0.2)
    buffer = io.BytesIO()
    numpy.savez(buffer, **pre.to_dict())
    buffer.seek(0)
    with numpy.load(buffer, allow_pickle=False) as stored:
        restored = Preprocess.from_dict(dict(stored))
    assert repr(restored) == repr(pre)
    numpy.testing.assert_array_equal(restored.train(train_images, numpy.random.default_rng(9)),
                                     pre.train(train_images, numpy.random.default_rng(9)))
    numpy.testing.assert_array_equal(restored.test(train_images), pre.test(train_images))
    numpy.testing.assert_array_equal(restored.test_ten_crop(train_images),
                                     pre.test_ten_crop(train_images))
    bare = Preprocess.from_dict(Preprocess().to_dict())
    assert bare.crop_size is None and bare.mean is None and bare.eigenvalues is None
    with pytest.raises(ValueError, match="unknown keys"):
        Preprocess.from_dict({**pre.to_dict(), "colour": 1})


def test_without_random_crops_training_takes_the_centre(train_images):
    pre = Preprocess.fit(train_images, crop_size=8, flip=False, pca=False, random_crop=False)
    numpy.testing.assert_array_equal(pre.train(train_images, numpy.random.default_rng(0)),
                                     pre.test(train_images))
    restored = Preprocess.from_dict(pre.to_dict())
    assert restored.random_crop is False
    legacy = {k: v for k, v in pre.to_dict().items() if k != "random_crop"}
    assert Preprocess.from_dict(legacy).random_crop is True      # checkpoints from before it
