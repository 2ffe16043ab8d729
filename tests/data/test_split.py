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
