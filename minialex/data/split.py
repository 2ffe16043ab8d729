"""Hold-out splits: a validation set carved from the training set.

The paper tunes on ILSVRC's validation set and reports on it or on the test set; in miniature we
carve a validation set from the training images (for the learning-rate schedule of §5, which
divides ε by 10 when the validation error stops improving) and keep the test set for the end.
"""

import numbers

import numpy

from ..validate import integer


def train_val_split(n, val_fraction=0.1, seed=0):
    """``(train_idx, val_idx)``: int64 index arrays that partition ``range(n)``.

    ``round(n * val_fraction)`` indices, chosen by a permutation seeded by ``seed``, go to the
    validation set, the rest to the training set; each array is sorted (the loader shuffles later,
    and sorted indices read a memory-mapped array in order). The same ``(n, val_fraction, seed)``
    always gives the same split. ``val_fraction=0`` gives an empty validation set.
    """
    n = integer(n, "n", "train_val_split", minimum=0)
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) \
            or not 0 <= val_fraction < 1:
        raise ValueError(
            f"train_val_split: val_fraction must be a number in [0, 1), got {val_fraction!r}")
    n_val = int(round(n * float(val_fraction)))
    permutation = numpy.random.default_rng(seed).permutation(int(n))
    val_idx = numpy.sort(permutation[:n_val]).astype(numpy.int64)
    train_idx = numpy.sort(permutation[n_val:]).astype(numpy.int64)
    return train_idx, val_idx
