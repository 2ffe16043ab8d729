"""The plain ReLU, tanh, linear layer, softmax loss and dropout against finite differences."""

import numpy
import pytest

from minialex import naive
from minialex.kernels.random_bits import mask_key
from tests.helpers import assert_gradient_close, numeric_gradient


def test_relu_and_tanh(rng):
    x = rng.standard_normal((3, 4))
    x += 0.1 * numpy.sign(x)                              # no kink within reach
    dy = rng.standard_normal(x.shape)
    assert_gradient_close(naive.relu_backward(x, dy), numeric_gradient(naive.relu, x, dy))
    assert_gradient_close(naive.tanh_backward(naive.tanh(x), dy),
                          numeric_gradient(naive.tanh, x, dy))


def test_linear(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    dy = rng.standard_normal((3, 2))
    dx, dw, db = naive.linear_backward(x, w, dy)
    assert_gradient_close(dx, numeric_gradient(lambda v: naive.linear(v, w, b), x, dy))
    assert_gradient_close(dw, numeric_gradient(lambda v: naive.linear(x, v, b), w, dy))
    assert_gradient_close(db, numeric_gradient(lambda v: naive.linear(x, w, v), b, dy))


def test_softmax_cross_entropy(rng):
    logits, labels = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    assert_gradient_close(
        naive.softmax_cross_entropy_backward(logits, labels, 1.5),
        numeric_gradient(lambda v: naive.softmax_cross_entropy(v, labels), logits, 1.5))


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
