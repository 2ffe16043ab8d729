"""The plain softmax log loss against finite differences."""

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient


def test_softmax_cross_entropy(rng):
    logits, labels = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    assert_gradient_close(
        naive.softmax_cross_entropy_backward(logits, labels, 1.5),
        numeric_gradient(lambda v: naive.softmax_cross_entropy(v, labels), logits, 1.5))
