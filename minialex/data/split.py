"""Hold-out splits (a validation set carved from the training set) and class-balanced subsets.

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


def stratified_subset(labels, n, seed=0):
    """int64 indices, sorted, of ``n`` of the ``labels`` (N,) with every class in proportion.

    Class c gets ``n * count_c / N`` rows, rounded so that the total is exactly ``n`` (the
    largest remainders round up), at least one where ``n`` allows, drawn at random with
    ``seed``. So ``--limit 600`` on a data set stored class by class still sees every class,
    not the first two.
    """
    labels = numpy.asarray(labels)
    n = integer(n, "n", "stratified_subset", minimum=1)
    if n >= len(labels):
        return numpy.arange(len(labels), dtype=numpy.int64)
    classes, counts = numpy.unique(labels, return_counts=True)
    share = n * counts / len(labels)
    take = numpy.floor(share).astype(int)
    if n >= len(classes):                      # every class at least once when n allows
        take = numpy.maximum(take, 1)
    while take.sum() > n:                      # the floor of 1 overshot: trim where it
        over = numpy.where(take > 1, take - share, -numpy.inf)   # rounded up the most
        take[numpy.argmax(over)] -= 1
    rng = numpy.random.default_rng(seed)
    # Largest remainders round up; equal ones in an order the seed picks, so that with fewer
    # images than classes the seed, not the class order, says which classes are seen.
    shuffled = rng.permutation(len(classes))
    order = shuffled[numpy.argsort(-(share - take)[shuffled], kind="stable")]
    for i in order[:n - take.sum()]:
        take[i] += 1
    chosen = [rng.choice(numpy.flatnonzero(labels == c), size=k, replace=False)
              for c, k in zip(classes, take)]
    return numpy.sort(numpy.concatenate(chosen)).astype(numpy.int64)
