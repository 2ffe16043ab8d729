"""Hold-out splits: a validation set carved from the training set."""

import numpy
import pytest

from minialex.data import train_val_split


def test_train_val_split_partitions_deterministically():
    train, val = train_val_split(103, 0.2, seed=5)
    assert len(val) == 21 and len(train) == 82
    numpy.testing.assert_array_equal(numpy.sort(numpy.concatenate([train, val])), numpy.arange(103))
    again = train_val_split(103, 0.2, seed=5)
    numpy.testing.assert_array_equal(again[1], val)
    assert not numpy.array_equal(train_val_split(103, 0.2, seed=6)[1], val)
    train, val = train_val_split(10, 0, seed=0)
    assert len(val) == 0 and len(train) == 10
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(10, 1.0)


def test_a_limit_samples_every_class_in_proportion():
    from minialex.data import stratified_subset
    labels = numpy.repeat(numpy.arange(10), 450)              # stored class by class
    subset = stratified_subset(labels, 600, seed=0)
    assert len(subset) == 600 and len(set(subset.tolist())) == 600
    assert numpy.bincount(labels[subset]).tolist() == [60] * 10
    assert not numpy.array_equal(subset, stratified_subset(labels, 600, seed=1))
    numpy.testing.assert_array_equal(subset, stratified_subset(labels, 600, seed=0))
    skewed = numpy.array([0] * 90 + [1] * 9 + [2])
    for n in (3, 10, 50):
        counts = numpy.bincount(skewed[stratified_subset(skewed, n)], minlength=3)
        assert counts.sum() == n and counts.min() >= 1      # the rare class is kept
    with pytest.raises(ValueError, match="positive"):
        stratified_subset(skewed, 0)
