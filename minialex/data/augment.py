"""Data augmentation and normalisation of §4.1, on batches (N, C, H, W), NumPy or CuPy.

§4.1 fights overfitting with two label-preserving transformations:

1. Translations and horizontal reflections: "extracting random 224x224 patches (and their
   horizontal reflections) from the 256x256 images" (:func:`random_crop`, :func:`random_flip`);
   at test time "five 224x224 patches (the four corner patches and the center patch) as well as
   their horizontal reflections (hence ten patches in all)", softmax outputs averaged
   (:func:`ten_crop`).
2. PCA lighting: "to each training image, we add multiples of the found principal components, with
   magnitudes proportional to the corresponding eigenvalues times a random variable drawn from a
   Gaussian with mean zero and standard deviation 0.1": the RGB vector
   ``[p1 p2 p3] [a1 l1, a2 l2, a3 l3]^T`` is added to every pixel, where ``p_i``, ``l_i`` are the
   eigenvectors and eigenvalues of the 3x3 covariance of RGB pixel values over the training set and
   ``a_i`` is drawn once per image each time the image is used (:func:`fit_pca_lighting`,
   :func:`pca_lighting`).

And §2: "subtracting the mean activity over the training set from each pixel"
(:func:`compute_mean`, :func:`subtract_mean`).

Random numbers come from a ``numpy.random.Generator`` on the host (a few per image), even for CuPy
arrays: results are then identical on every backend for the same generator. No function writes
into its input.
"""

import numpy

from ..backend import asnumpy, get_array_module
from ..validate import integer

_MEAN_CHUNK = 1024  # images summed at once by compute_mean, bounding its float64 temporaries


def _check_batch(images, name):
    if getattr(images, "ndim", None) != 4:
        raise ValueError(f"{name}: expected a batch of images (N, C, H, W), got shape "
                         f"{getattr(images, 'shape', type(images).__name__)}")


def _check_crop(images, size, name):
    _check_batch(images, name)
    size = integer(size, "size", name, minimum=1)
    height, width = images.shape[2:]
    if size > height or size > width:
        raise ValueError(f"{name}: cannot crop {size}x{size} patches out of {height}x{width} "
                         "images")
    return int(size)


def crop_at(images, size, top, left):
    """(N, C, size, size): image ``i`` cropped at row ``top[i]``, column ``left[i]``.

    One vectorised gather on a strided view of all windows (N, C, H-size+1, W-size+1, size, size):
    no copy until the gather, and on CuPy a single kernel instead of N slicing launches.
    """
    xp = get_array_module(images)
    n, channels, height, width = images.shape
    s_n, s_c, s_h, s_w = images.strides
    windows = xp.lib.stride_tricks.as_strided(
        images, shape=(n, channels, height - size + 1, width - size + 1, size, size),
        strides=(s_n, s_c, s_h, s_w, s_h, s_w))
    # The advanced indices (batch, top, left) are split by the channel slice, so numpy puts the
    # broadcast batch axis first: (N, C, size, size).
    return windows[xp.arange(n), :, xp.asarray(top), xp.asarray(left)]


def random_crop(images, size, rng):
    """(N, C, size, size): an independent uniformly random size x size window of each image (§4.1).

    ``rng``: a ``numpy.random.Generator``; draws ``2N`` integers (rows, then columns).
    """
    size = _check_crop(images, size, "random_crop")
    n, _, height, width = images.shape
    top = rng.integers(0, height - size + 1, n)
    left = rng.integers(0, width - size + 1, n)
    return crop_at(images, size, top, left)


def random_flip(images, rng, p=0.5):
    """(N, C, H, W): each image mirrored left-right with probability ``p`` (§4.1 reflections).

    ``rng``: a ``numpy.random.Generator``; draws ``N`` uniforms. Returns a new array.
    """
    _check_batch(images, "random_flip")
    if not 0 <= p <= 1:
        raise ValueError(f"random_flip: p must lie in [0, 1], got {p!r}")
    xp = get_array_module(images)
    flipped = numpy.flatnonzero(rng.random(images.shape[0]) < p)
    out = images.copy()
    if flipped.size:
        index = xp.asarray(flipped)
        out[index] = images[index][..., ::-1]
    return out


def flip(images):
    """(N, C, H, W): every image mirrored left-right (a new array)."""
    return images[..., ::-1].copy()


def center_crop(images, size):
    """(N, C, size, size): the central size x size patch (a new array).

    With an odd margin the extra row/column is left at the bottom/right:
    top = (H - size) // 2, left = (W - size) // 2, as in :func:`minialex.data.decode_image`.
    """
    size = _check_crop(images, size, "center_crop")
    top = (images.shape[2] - size) // 2
    left = (images.shape[3] - size) // 2
    return images[:, :, top:top + size, left:left + size].copy()


def ten_crop(images, size):
    """(10, N, C, size, size): the ten test patches of §4.1.

    Views 0-4: top-left, top-right, bottom-left, bottom-right and centre patches; views 5-9: the
    same five patches mirrored left-right (view ``5 + k`` is the reflection of view ``k``). The
    network's softmax outputs are averaged over the ten views.
    """
    size = _check_crop(images, size, "ten_crop")
    xp = get_array_module(images)
    height, width = images.shape[2:]
    bottom, right = height - size, width - size
    corners = [images[:, :, top:top + size, left:left + size]
               for top, left in ((0, 0), (0, right), (bottom, 0), (bottom, right))]
    views = corners + [center_crop(images, size)]
    views += [view[..., ::-1] for view in views]
    return xp.stack(views)


def fit_pca_lighting(images, pixel_max=255.0, max_pixels=1_000_000, seed=0):
    """``(eigenvalues (3,), eigenvectors (3, 3))`` of the RGB covariance of ``images``' pixels.

    images: (N, 3, H, W), any dtype, values in [0, pixel_max]. Values are divided by
    ``pixel_max`` first, so the eigenvalues are variances in units of the [0, 1] range whatever
    the storage (``pixel_max=255`` for 0..255 data, 1 for data already in [0, 1]).
    ``eigenvectors[:, i]`` is the principal component ``p_i`` of §4.1, of unit length, its
    largest component positive; eigenvalues ``l_i`` descending. Computed in float64 on at most
    ``max_pixels`` pixels drawn at random (seeded by ``seed``): the 3x3 covariance of a million
    pixels is accurate to well under a percent.

    The paper adds ``a_i l_i`` with the covariance eigenvalues ``l_i`` themselves, so the
    units matter: in [0, 1] units natural photos have ``l_1`` around 0.2 (Tiny ImageNet: 0.19),
    and the typical shift along ``p_1`` is 0.1 * 0.19 * 255, about 5 levels out of 255. (Fitted on
    0..255 values the same formula would shift by hundreds of levels, which is why the
    eigenvalues are always expressed in [0, 1] units here.)
    """
    _check_batch(images, "fit_pca_lighting")
    if images.shape[1] != 3:
        raise ValueError(f"fit_pca_lighting: expected RGB images (N, 3, H, W), got shape "
                         f"{images.shape}")
    n, _, height, width = images.shape
    total = n * height * width
    if total < 2:
        raise ValueError("fit_pca_lighting: need at least two pixels to estimate a covariance")
    if total > max_pixels:
        picks = numpy.random.default_rng(seed).choice(total, size=max_pixels, replace=False)
        image, rest = numpy.divmod(picks, height * width)
        row, column = numpy.divmod(rest, width)
        xp = get_array_module(images)
        pixels = asnumpy(images[xp.asarray(image), :, xp.asarray(row), xp.asarray(column)])
    else:
        pixels = asnumpy(images).transpose(0, 2, 3, 1).reshape(-1, 3)
    pixels = pixels.astype(numpy.float64) / float(pixel_max)
    covariance = numpy.cov(pixels, rowvar=False)
    eigenvalues, eigenvectors = numpy.linalg.eigh(covariance)  # ascending
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    # eigh's signs are arbitrary; fixing them makes the result reproducible across LAPACKs.
    signs = numpy.sign(eigenvectors[numpy.argmax(numpy.abs(eigenvectors), axis=0), [0, 1, 2]])
    eigenvectors = eigenvectors * signs
    return numpy.clip(eigenvalues, 0.0, None), numpy.ascontiguousarray(eigenvectors)


def pca_offsets(n, eigenvalues, eigenvectors, rng, std=0.1):
    """(n, 3) float64: the §4.1 RGB offsets ``P (alpha_i * lambda)``, alpha_i ~ N(0, std^2)^3.

    ``rng`` draws ``3n`` normals, once per image: call once per epoch for the paper's recipe.
    """
    eigenvalues = numpy.asarray(eigenvalues, dtype=numpy.float64)
    eigenvectors = numpy.asarray(eigenvectors, dtype=numpy.float64)
    if eigenvalues.shape != (3,) or eigenvectors.shape != (3, 3):
        raise ValueError(f"pca lighting: expected eigenvalues (3,) and eigenvectors (3, 3), got "
                         f"{eigenvalues.shape} and {eigenvectors.shape}")
    alpha = rng.normal(0.0, std, size=(n, 3))
    # Row i is eigenvectors @ (alpha[i] * eigenvalues), for all images in one product.
    return (alpha * eigenvalues) @ eigenvectors.T


def pca_lighting(images, eigenvalues, eigenvectors, rng, std=0.1, pixel_max=255.0):
    """(N, 3, H, W), dtype kept: ``images`` plus one RGB offset per image (§4.1 PCA lighting).

    Image ``i`` gets ``pixel_max * eigenvectors @ (alpha_i * eigenvalues)`` added to every pixel,
    ``alpha_i ~ N(0, std^2)`` (3 values) drawn from ``rng`` once per image, so once per epoch when
    called once per batch. ``eigenvalues``, ``eigenvectors``: from :func:`fit_pca_lighting`, in
    [0, 1] units; ``pixel_max`` is the white level of ``images`` (255 for 0..255 values, 1 for
    [0, 1] values). ``images`` must be floating point (a fraction of a level would be lost, or
    wrap around, in uint8) and is not modified.
    """
    _check_batch(images, "pca_lighting")
    if images.shape[1] != 3:
        raise ValueError(f"pca_lighting: expected RGB images (N, 3, H, W), got {images.shape}")
    if images.dtype.kind != "f":
        raise TypeError(f"pca_lighting: expected floating-point images, got {images.dtype}; "
                        "convert with images.astype(numpy.float32) first")
    xp = get_array_module(images)
    offsets = pca_offsets(images.shape[0], eigenvalues, eigenvectors, rng, std) * pixel_max
    return images + xp.asarray(offsets.astype(images.dtype))[:, :, None, None]


def compute_mean(images, per="pixel"):
    """float32 mean of the training images: (C, H, W) for ``per="pixel"`` (the mean image of §2),
    (C, 1, 1) for ``per="channel"`` (one value per colour; fits any crop size).

    Summed in float64, a chunk of images at a time, so a large uint8 set needs no float copy.
    """
    _check_batch(images, "compute_mean")
    if per not in ("pixel", "channel"):
        raise ValueError(f"compute_mean: per must be 'pixel' or 'channel', got {per!r}")
    if images.shape[0] == 0:
        raise ValueError("compute_mean: no images")
    xp = get_array_module(images)
    total = xp.zeros(images.shape[1:], dtype=xp.float64)
    for start in range(0, images.shape[0], _MEAN_CHUNK):
        total += images[start:start + _MEAN_CHUNK].sum(axis=0, dtype=xp.float64)
    mean = total / images.shape[0]
    if per == "channel":
        mean = mean.mean(axis=(1, 2), keepdims=True)
    return mean.astype(xp.float32)


def subtract_mean(images, mean):
    """float32 (N, C, H, W): ``images - mean``, a new array.

    ``mean``: (C, H, W) matching the images' size, or (C, 1, 1) / (C,) per channel. A mean image
    of another size is an error rather than a silent broadcast or crop: subtract it before
    cropping (as :class:`minialex.data.Preprocess` does) or use a per-channel mean.
    """
    _check_batch(images, "subtract_mean")
    xp = get_array_module(images)
    mean = xp.asarray(mean, dtype=xp.float32)
    if mean.ndim == 1:
        mean = mean.reshape(-1, 1, 1)
    channels, height, width = images.shape[1:]
    if mean.ndim != 3 or mean.shape[0] != channels or \
            mean.shape[1:] not in ((1, 1), (height, width)):
        raise ValueError(f"subtract_mean: a mean of shape {tuple(mean.shape)} does not fit images "
                         f"of shape {tuple(images.shape)}; expected ({channels}, {height}, "
                         f"{width}), ({channels}, 1, 1) or ({channels},)")
    out = images.astype(xp.float32)  # always a copy
    out -= mean
    return out
