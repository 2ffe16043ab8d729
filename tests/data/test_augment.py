"""§4.1 augmentation: crops, reflections, ten-crop, PCA lighting, mean."""

import numpy
import pytest

from minialex import asnumpy, to_device
from minialex.data import (center_crop, compute_mean, fit_pca_lighting, flip, pca_lighting,
                           random_crop, random_flip, subtract_mean, ten_crop)


def batch(rng, n=16, c=3, h=9, w=11, dtype=numpy.uint8):
    """Random images whose windows are all distinct, so a crop identifies its position."""
    if dtype == numpy.uint8:
        return rng.integers(0, 256, (n, c, h, w), dtype=numpy.uint8)
    return rng.standard_normal((n, c, h, w)).astype(dtype)


def window_positions(source, crop):
    """All (top, left) where ``crop`` equals a window of ``source`` (C, H, W)."""
    size = crop.shape[-1]
    return [(top, left)
            for top in range(source.shape[1] - size + 1)
            for left in range(source.shape[2] - size + 1)
            if numpy.array_equal(source[:, top:top + size, left:left + size], crop)]


# -- crops and reflections -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [numpy.uint8, numpy.float32])
def test_random_crop_is_a_window_of_its_own_image(device, rng, dtype):
    images = batch(rng, dtype=dtype)
    before = images.copy()
    crops = random_crop(to_device(images, device), 5, numpy.random.default_rng(7))
    crops = asnumpy(crops)
    assert crops.shape == (16, 3, 5, 5) and crops.dtype == dtype
    positions = set()
    for i in range(16):
        found = window_positions(images[i], crops[i])
        assert len(found) == 1
        positions.add(found[0])
    assert len(positions) > 4  # offsets really vary
    numpy.testing.assert_array_equal(images, before)
    # Same generator state, same crops.
    again = asnumpy(random_crop(images, 5, numpy.random.default_rng(7)))
    numpy.testing.assert_array_equal(again, crops)


def test_random_crop_reaches_every_offset(rng):
    images = numpy.arange(4 * 4, dtype=numpy.float32).reshape(1, 1, 4, 4).repeat(400, axis=0)
    crops = random_crop(images, 2, rng)
    corners = set(crops[:, 0, 0, 0].tolist())  # the top-left value identifies the offset
    assert corners == {0, 1, 2, 4, 5, 6, 8, 9, 10}


def test_crop_size_errors(rng):
    images = batch(rng)
    with pytest.raises(ValueError, match="cannot crop 10x10"):
        random_crop(images, 10, rng)
    with pytest.raises(ValueError, match="N, C, H, W"):
        center_crop(images[0], 3)
    with pytest.raises(ValueError, match="positive integer"):
        ten_crop(images, 0)


def test_flips(device, rng):
    images = batch(rng)
    before = images.copy()
    numpy.testing.assert_array_equal(flip(flip(images)), images)
    numpy.testing.assert_array_equal(flip(images), images[..., ::-1])
    on_device = to_device(images, device)
    numpy.testing.assert_array_equal(asnumpy(random_flip(on_device, rng, p=1.0)), flip(images))
    numpy.testing.assert_array_equal(asnumpy(random_flip(on_device, rng, p=0.0)), images)
    mixed = asnumpy(random_flip(on_device, numpy.random.default_rng(3)))
    flipped = [numpy.array_equal(m, f) for m, f in zip(mixed, flip(images))]
    kept = [numpy.array_equal(m, i) for m, i in zip(mixed, images)]
    assert all(a != b for a, b in zip(flipped, kept))  # each image exactly one of the two
    assert 0 < sum(flipped) < 16
    numpy.testing.assert_array_equal(images, before)


def test_center_crop_position(rng):
    images = batch(rng, h=7, w=10)
    crop = center_crop(images, 4)
    # Margins 3 and 6: the odd extra row goes to the bottom.
    numpy.testing.assert_array_equal(crop, images[:, :, 1:5, 3:7])
    crop[:] = 0
    assert images.any()  # a copy, not a view


def test_ten_crop_views(device, rng):
    images = batch(rng, n=4, h=8, w=9)
    views = asnumpy(ten_crop(to_device(images, device), 5))
    assert views.shape == (10, 4, 3, 5, 5)
    numpy.testing.assert_array_equal(views[0], images[:, :, :5, :5])
    numpy.testing.assert_array_equal(views[1], images[:, :, :5, 4:])
    numpy.testing.assert_array_equal(views[2], images[:, :, 3:, :5])
    numpy.testing.assert_array_equal(views[3], images[:, :, 3:, 4:])
    numpy.testing.assert_array_equal(views[4], center_crop(images, 5))
    for k in range(5):
        numpy.testing.assert_array_equal(views[5 + k], views[k][..., ::-1])


# -- PCA lighting ---------------------------------------------------------------------------------
def random_rotation(rng):
    q, r = numpy.linalg.qr(rng.standard_normal((3, 3)))
    return q * numpy.sign(numpy.diag(r))


def offsets_of(n, eigenvalues, eigenvectors, rng, std=0.1):
    """The RGB offset pca_lighting adds to each of n 1x1 black float64 images."""
    zeros = numpy.zeros((n, 3, 1, 1))
    return pca_lighting(zeros, eigenvalues, eigenvectors, rng, std=std, pixel_max=1.0)[:, :, 0, 0]


def test_pca_offsets_have_the_paper_distribution(rng):
    vectors = random_rotation(rng)
    values = numpy.array([0.5, 0.2, 0.05])
    offsets = offsets_of(20000, values, vectors, rng)
    # alpha ~ N(0, 0.1^2) => offset ~ N(0, V diag((0.1 lambda)^2) V^T).
    want = vectors @ numpy.diag((0.1 * values) ** 2) @ vectors.T
    # Standard error of the mean: at most 0.05 / sqrt(20000) = 3.5e-4 per channel.
    numpy.testing.assert_allclose(offsets.mean(axis=0), 0, atol=5 * 3.5e-4)
    numpy.testing.assert_allclose(numpy.cov(offsets, rowvar=False), want, atol=1e-4)


def test_pca_offsets_lie_along_the_weighted_eigenvectors(rng):
    vectors = random_rotation(rng)
    offsets = offsets_of(50, [1.0, 0.0, 0.0], vectors, rng)
    numpy.testing.assert_allclose(numpy.cross(offsets, vectors[:, 0]), 0, atol=1e-12)
    # Coordinates in the eigenbasis are alpha_i * lambda_i, so 1 x N(0, 0.1^2) along p1.
    coordinates = offsets @ vectors
    numpy.testing.assert_allclose(coordinates[:, 1:], 0, atol=1e-12)
    assert 0.05 < coordinates[:, 0].std() < 0.15


def test_pca_lighting_adds_one_offset_per_image_and_keeps_dtype(device, rng):
    images = batch(rng, n=6, h=4, w=5, dtype=numpy.float32) * 50 + 128
    before = images.copy()
    values, vectors = numpy.array([0.2, 0.02, 0.004]), random_rotation(rng)
    out = pca_lighting(to_device(images, device), values, vectors, numpy.random.default_rng(1))
    assert out.dtype == numpy.float32
    shift = asnumpy(out) - images
    numpy.testing.assert_allclose(shift, shift[:, :, :1, :1] * numpy.ones_like(shift), atol=1e-4)
    # Offsets in [0, 1] units, scaled by pixel_max=255 to 0..255 images.
    want = offsets_of(6, values, vectors, numpy.random.default_rng(1)) * 255
    numpy.testing.assert_allclose(shift[:, :, 0, 0], want, atol=1e-3)
    numpy.testing.assert_array_equal(images, before)
    assert pca_lighting(images.astype(numpy.float64), values, vectors, rng).dtype == numpy.float64
    with pytest.raises(TypeError, match="floating-point"):
        pca_lighting(images.astype(numpy.uint8), values, vectors, rng)


def test_fit_pca_lighting_recovers_a_known_covariance(rng):
    vectors = random_rotation(rng)
    values = numpy.array([0.04, 0.01, 0.002])
    covariance = vectors @ numpy.diag(values) @ vectors.T
    pixels = rng.multivariate_normal([0.5, 0.4, 0.3], covariance, size=200 * 32 * 32)
    images = pixels.reshape(200, 32, 32, 3).transpose(0, 3, 1, 2)
    got_values, got_vectors = fit_pca_lighting(images, pixel_max=1.0, max_pixels=100_000)
    numpy.testing.assert_allclose(got_values, values, rtol=0.05)
    assert (numpy.abs(numpy.sum(got_vectors * vectors, axis=0)) > 0.995).all()
    numpy.testing.assert_allclose(got_vectors.T @ got_vectors, numpy.eye(3), atol=1e-12)
    # uint8 storage of 0..255 values gives the same [0, 1]-unit eigenvalues.
    as_uint8 = numpy.clip(numpy.rint(images * 255), 0, 255).astype(numpy.uint8)
    uint8_values, _ = fit_pca_lighting(as_uint8, max_pixels=100_000)
    numpy.testing.assert_allclose(uint8_values, values, rtol=0.05)


# -- mean -----------------------------------------------------------------------------------------
def test_mean_image_and_channel_mean(rng):
    images = batch(rng, n=2500)  # more than one chunk of compute_mean
    before = images.copy()
    pixel = compute_mean(images)
    channel = compute_mean(images, per="channel")
    assert pixel.shape == (3, 9, 11) and channel.shape == (3, 1, 1)
    assert pixel.dtype == channel.dtype == numpy.float32
    numpy.testing.assert_allclose(pixel, images.mean(axis=0), rtol=1e-6)
    numpy.testing.assert_allclose(channel[:, 0, 0], images.mean(axis=(0, 2, 3)), rtol=1e-6)
    centred = subtract_mean(images, pixel)
    assert centred.dtype == numpy.float32
    numpy.testing.assert_allclose(centred.mean(axis=0), 0, atol=1e-3)
    numpy.testing.assert_allclose(subtract_mean(images, channel[:, 0, 0]),
                                  subtract_mean(images, channel))
    numpy.testing.assert_array_equal(images, before)
    with pytest.raises(ValueError, match="does not fit"):
        subtract_mean(images[:, :, :5, :5], pixel)
    with pytest.raises(ValueError, match="per must be"):
        compute_mean(images, per="image")
