"""The §4.1 recipe in one object: what training does to a batch, and what testing does.

A :class:`Preprocess` holds everything the transformation depends on (crop size, reflections,
the PCA lighting components, the mean image, the output scale), so the evaluation of a saved
model can repeat exactly the preprocessing it was trained with: ``to_dict()`` gives plain arrays
and numbers to store in an ``.npz`` checkpoint beside the weights, ``from_dict()`` rebuilds it.
"""

import numpy

from ..backend import asnumpy, get_array_module
from ..validate import integer
from . import augment

_PIXEL_MAX = 255.0  # inputs are 0..255 (uint8 straight from the loaders)
_KEYS = ("crop_size", "random_crop", "flip", "pca_std", "scale", "mean", "eigenvalues",
         "eigenvectors")


class Preprocess:
    """Batch preprocessing of §4.1 and §2 for uint8 images (N, 3, H, W) with values 0..255.

    * ``train(images, rng)`` -> float32 (N, 3, s, s): mean subtracted, random s x s crop (the
      centre one when ``random_crop`` is False), random reflection, PCA lighting (once per
      image per call), times ``scale``.
    * ``test(images)`` -> float32 (N, 3, s, s): mean subtracted, centre crop, times ``scale``.
    * ``test_ten_crop(images)`` -> float32 (10, N, 3, s, s): the ten views of
      :func:`minialex.data.ten_crop`, for averaging the softmax.

    ``crop_size``: s (224 in the paper, for 256 images); ``None`` keeps the whole image.
    ``flip``: random horizontal reflections in ``train``. ``eigenvalues``, ``eigenvectors``: from
    :func:`minialex.data.fit_pca_lighting` (``None`` for no PCA lighting); ``pca_std``: the
    standard deviation of the alphas (0.1 in the paper). ``mean``: from
    :func:`minialex.data.compute_mean` on the uncropped training images, (3, H, W) or (3, 1, 1),
    or ``None``. A mean image is subtracted before cropping, so every crop loses the matching part
    of the mean image, as when the paper's 256x256 images were centred and then cropped.
    ``scale``: multiplies the result; 1 (the paper feeds raw, centred 0..255 values), or for
    example 1/255 or 1/std for inputs of order one.

    ``Preprocess`` instances are transforms for :class:`minialex.data.Loader`: pass ``pre`` (the
    training transform, ``pre(images, rng)``) or ``pre.test`` (which ignores the rng).
    """

    def __init__(self, crop_size=None, flip=True, eigenvalues=None, eigenvectors=None,
                 pca_std=0.1, mean=None, scale=1.0, random_crop=True):
        if crop_size is not None:
            crop_size = integer(crop_size, "crop_size", "Preprocess", minimum=1)
        if (eigenvalues is None) != (eigenvectors is None):
            raise ValueError("Preprocess: give both eigenvalues and eigenvectors (PCA lighting) "
                             "or neither")
        self.crop_size = crop_size
        self.random_crop, self.flip = bool(random_crop), bool(flip)
        self.pca_std = float(pca_std)
        self.scale = float(scale)
        self.eigenvalues = None if eigenvalues is None else \
            numpy.array(asnumpy(eigenvalues), dtype=numpy.float64)
        self.eigenvectors = None if eigenvectors is None else \
            numpy.array(asnumpy(eigenvectors), dtype=numpy.float64)
        if self.eigenvalues is not None and (self.eigenvalues.shape != (3,) or
                                             self.eigenvectors.shape != (3, 3)):
            raise ValueError(f"Preprocess: expected eigenvalues (3,) and eigenvectors (3, 3), got "
                             f"{self.eigenvalues.shape} and {self.eigenvectors.shape}")
        self.mean = None if mean is None else numpy.array(asnumpy(mean), dtype=numpy.float32)
        if self.mean is not None and self.mean.ndim == 1:
            self.mean = self.mean.reshape(-1, 1, 1)
        if self.mean is not None and self.mean.ndim != 3:
            raise ValueError(f"Preprocess: mean must be (C, H, W), (C, 1, 1) or (C,), got shape "
                             f"{self.mean.shape}")

    @classmethod
    def fit(cls, images, crop_size=None, flip=True, pca=True, mean="pixel", scale=1.0,
            pca_std=0.1, random_crop=True):
        """A Preprocess with the mean (``"pixel"``, ``"channel"`` or ``None``) and, when ``pca``,
        the PCA lighting components computed from the training ``images`` (N, 3, H, W) uint8."""
        eigenvalues = eigenvectors = None
        if pca:
            eigenvalues, eigenvectors = augment.fit_pca_lighting(images, pixel_max=_PIXEL_MAX)
        mean_array = None if mean is None else augment.compute_mean(images, per=mean)
        return cls(crop_size=crop_size, flip=flip, eigenvalues=eigenvalues,
                   eigenvectors=eigenvectors, pca_std=pca_std, mean=mean_array, scale=scale,
                   random_crop=random_crop)

    def output_size(self, input_size):
        """The side of the output images for inputs of side ``input_size``."""
        return input_size if self.crop_size is None else self.crop_size

    def _centred(self, images):
        """float32 copy of ``images`` with the mean subtracted (before any cropping)."""
        if self.mean is None:
            xp = get_array_module(images)
            return images.astype(xp.float32)
        return augment.subtract_mean(images, self.mean)

    def _scaled(self, x):
        if self.scale != 1.0:
            x *= numpy.float32(self.scale)
        return x

    def train(self, images, rng):
        """float32 (N, 3, s, s): the training transformation, random draws from ``rng`` in the
        order crop offsets, reflections, lighting alphas (so a seed fixes the whole batch)."""
        x = self._centred(images)
        if self.crop_size is not None:
            x = augment.random_crop(x, self.crop_size, rng) if self.random_crop else \
                augment.center_crop(x, self.crop_size)
        if self.flip:
            x = augment.random_flip(x, rng)
        if self.eigenvalues is not None:
            x = augment.pca_lighting(x, self.eigenvalues, self.eigenvectors, rng, self.pca_std,
                                     pixel_max=_PIXEL_MAX)
        return self._scaled(x)

    def __call__(self, images, rng):
        """The training transformation: ``pre(images, rng)`` is ``pre.train(images, rng)``."""
        return self.train(images, rng)

    def test(self, images, rng=None):
        """float32 (N, 3, s, s): centred and centre-cropped. ``rng`` is ignored (it lets
        ``pre.test`` serve as a Loader transform)."""
        x = self._centred(images)
        if self.crop_size is not None:
            x = augment.center_crop(x, self.crop_size)
        return self._scaled(x)

    def test_ten_crop(self, images):
        """float32 (10, N, 3, s, s): the ten views of §4.1 (see :func:`minialex.data.ten_crop`)."""
        if self.crop_size is None:
            raise ValueError("Preprocess.test_ten_crop needs a crop_size smaller than the images")
        return self._scaled(augment.ten_crop(self._centred(images), self.crop_size))

    def to_dict(self):
        """Plain numbers and NumPy arrays (no ``None``, no objects), ready for ``numpy.savez``.

        ``crop_size`` 0 stands for no crop; absent PCA or mean leave their keys out.
        """
        state = {"crop_size": numpy.int64(self.crop_size or 0),
                 "random_crop": numpy.bool_(self.random_crop), "flip": numpy.bool_(self.flip),
                 "pca_std": numpy.float64(self.pca_std), "scale": numpy.float64(self.scale)}
        if self.eigenvalues is not None:
            state["eigenvalues"] = self.eigenvalues.copy()
            state["eigenvectors"] = self.eigenvectors.copy()
        if self.mean is not None:
            state["mean"] = self.mean.copy()
        return state

    @classmethod
    def from_dict(cls, state):
        """The Preprocess saved by :meth:`to_dict` (values may be 0-d arrays, as ``numpy.load``
        returns them)."""
        unknown = sorted(set(state) - set(_KEYS))
        missing = sorted({"crop_size", "flip", "pca_std", "scale"} - set(state))
        if unknown or missing:
            raise ValueError(f"Preprocess.from_dict: unknown keys {unknown}, missing keys "
                             f"{missing}; expected the keys of Preprocess.to_dict(): {list(_KEYS)}")
        crop_size = int(numpy.asarray(state["crop_size"]))
        return cls(crop_size=crop_size or None, flip=bool(numpy.asarray(state["flip"])),
                   eigenvalues=state.get("eigenvalues"), eigenvectors=state.get("eigenvectors"),
                   pca_std=float(numpy.asarray(state["pca_std"])),
                   mean=state.get("mean"), scale=float(numpy.asarray(state["scale"])),
                   random_crop=bool(numpy.asarray(state.get("random_crop", True))))

    def __repr__(self):
        mean = None if self.mean is None else f"array{self.mean.shape}"
        pca = "off" if self.eigenvalues is None else f"std={self.pca_std}"
        return (f"Preprocess(crop_size={self.crop_size}, random_crop={self.random_crop}, "
                f"flip={self.flip}, pca={pca}, "
                f"mean={mean}, scale={self.scale})")
