"""The plain dropout against finite differences; its mask and SplitMix64 by a published value."""

import pytest

from minialex import naive
from minialex.kernels.random_bits import mask_key
from minialex.naive.dropout import GOLDEN, splitmix64
from tests.helpers import assert_gradient_close, numeric_gradient


@pytest.mark.parametrize("mode", ["paper", "inverted"])
@pytest.mark.parametrize("training", [True, False])
def test_dropout(mode, training, rng):
    x, dy = rng.standard_normal((3, 8)), rng.standard_normal((3, 8))
    keep = naive.dropout_mask(x.shape, 0.5, mask_key(0, "drop", 0))
    assert_gradient_close(naive.dropout_backward(dy, keep, 0.5, mode, training),
                          numeric_gradient(lambda v: naive.dropout(v, keep, 0.5, mode, training),
                                           x, dy))


def test_dropout_mask_keeps_about_one_minus_p():
    keep = naive.dropout_mask((40, 50), 0.25, mask_key(1, "drop", 2))
    assert abs(keep.mean() - 0.75) < 5 * (0.25 * 0.75 / keep.size) ** 0.5


def test_splitmix64_gives_its_published_first_number():
    # SplitMix64 seeded with 0 returns mix(0 + GOLDEN) first: 0xe220a8397b1dcdaf (the reference
    # sequence of Vigna's splitmix64.c, and of every port tested against it).
    assert splitmix64(GOLDEN) == 0xE220A8397B1DCDAF
