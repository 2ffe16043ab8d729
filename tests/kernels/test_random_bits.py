"""Counter-based random bits: the fast mask against the plain tier's, and its statistics."""

import math

import numpy
import pytest

from minialex import naive
from minialex.kernels.random_bits import keep_mask, keep_threshold, mask_key


@pytest.mark.parametrize("shape, offset", [((3, 7), 0), ((3, 7), 3), ((2, 3, 4, 5), 1),
                                           ((2, 5, 3), 7), ((1, 1), 0), ((4, 9), 2)])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_the_mask_is_the_plain_tier_s(shape, offset, p):
    key = mask_key(3, "drop6", 11)
    numpy.testing.assert_array_equal(keep_mask(shape, p, key, offset),
                                     naive.dropout_mask(shape, p, key, offset))


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9])
def test_the_drop_rate_is_p(p):
    keep = keep_mask((500, 800), p, mask_key(2, "d", 0))
    assert keep_threshold(p) / 2 ** 16 == pytest.approx(p, abs=2 ** -17)
    assert abs((1 - keep.mean()) - p) <= 5 * math.sqrt(p * (1 - p) / keep.size) + 1e-12


def test_a_part_of_the_channels_is_that_part_of_the_whole_mask():
    key = mask_key(0, "drop6", 4)
    whole = keep_mask((6, 10, 3), 0.3, key)
    for start, stop in ((0, 5), (5, 10), (3, 7), (9, 10)):
        numpy.testing.assert_array_equal(keep_mask((6, stop - start, 3), 0.3, key, start),
                                         whole[:, start:stop])


def test_the_key_depends_on_every_part():
    keys = {mask_key(*parts) for parts in [(0, "a", 0, 0), (1, "a", 0, 0), (0, "b", 0, 0),
                                          (0, "a", 1, 0), (0, "a", 0, 1), (0, None, 0, 0)]}
    assert len(keys) == 6 and all(0 <= k < 2 ** 64 for k in keys)


def test_units_and_steps_are_independent():
    # Neighbouring units share one 64-bit hash (a 16-bit quarter each), and consecutive steps
    # differ only in the key: both pairs must still be kept together with probability (1-p)**2.
    p, n = 0.5, 400_000
    shape = (200, n // 200)
    first = keep_mask(shape, p, mask_key(0, "d", 0)).ravel()
    second = keep_mask(shape, p, mask_key(0, "d", 1)).ravel()
    sigma = math.sqrt((1 - p) ** 2 * (1 - (1 - p) ** 2) / n)
    assert abs((first[:-1] & first[1:]).mean() - (1 - p) ** 2) <= 5 * sigma
    assert abs((first & second).mean() - (1 - p) ** 2) <= 5 * sigma


