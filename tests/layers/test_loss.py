"""SoftmaxCrossEntropy: value by hand, stability at ±1e4, gradients, dtype, label checks."""

import math

import numpy
import pytest

from hypothesis import given, strategies as st

from minialex import SoftmaxCrossEntropy, gradcheck, naive, to_device


def loss_by_hand(logits, labels):
    """-mean(log softmax(z)[label]), one row at a time with math.fsum (float64)."""
    total = []
    for row, label in zip(logits.tolist(), labels.tolist()):
        top = max(row)
        log_sum = top + math.log(math.fsum(math.exp(v - top) for v in row))
        total.append(log_sum - row[label])
    return math.fsum(total) / len(total)


def grad_by_hand(logits, labels):
    n, k = logits.shape
    out = numpy.empty((n, k))
    for i in range(n):
        top = max(logits[i])
        exps = [math.exp(v - top) for v in logits[i]]
        s = math.fsum(exps)
        for j in range(k):
            out[i, j] = (exps[j] / s - (1.0 if j == labels[i] else 0.0)) / n
    return out


def test_loss_value_by_hand(rng):
    logits = 3 * rng.standard_normal((6, 5))
    labels = rng.integers(0, 5, 6)
    loss = SoftmaxCrossEntropy().forward(logits, labels)
    assert numpy.ndim(loss) == 0
    assert float(loss) == pytest.approx(loss_by_hand(logits, labels), rel=1e-13)


def test_uniform_logits_give_log_k():
    loss = SoftmaxCrossEntropy().forward(numpy.zeros((3, 10)), numpy.array([0, 4, 9]))
    assert float(loss) == pytest.approx(math.log(10), rel=1e-14)


def test_gradient_by_hand(rng):
    logits = rng.standard_normal((4, 3))
    labels = numpy.array([0, 2, 1, 2])
    layer = SoftmaxCrossEntropy()
    layer.forward(logits, labels)
    dlogits = layer.backward()
    numpy.testing.assert_allclose(dlogits, grad_by_hand(logits, labels), rtol=1e-12, atol=1e-15)
    numpy.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_for_huge_logits(dtype):
    logits = numpy.array([[1e4, -1e4, 0.0],
                          [-1e4, 1e4, 1e4],
                          [0.0, 0.0, 0.0]], dtype=dtype)
    labels = numpy.array([1, 0, 2])
    # By hand: row 0 pays 1e4 - (-1e4) = 2e4 (the other terms are below e**-1e4); row 1
    # pays 2e4 + log 2 (two equal leaders); row 2 pays log 3.
    expected = (2e4 + (2e4 + math.log(2)) + math.log(3)) / 3
    layer = SoftmaxCrossEntropy()
    loss = layer.forward(logits, labels)
    assert numpy.isfinite(loss)
    assert float(loss) == pytest.approx(expected, rel=1e-6 if dtype == "float32" else 1e-14)
    dlogits = layer.backward()
    assert numpy.all(numpy.isfinite(dlogits))
    expected_grad = numpy.array([[1.0, -1.0, 0.0],
                                 [-1.0, 0.5, 0.5],
                                 [1 / 3, 1 / 3, -2 / 3]]) / 3
    numpy.testing.assert_allclose(dlogits, expected_grad, atol=1e-6 if dtype == "float32" else 1e-15)


@pytest.mark.parametrize("n, k", [(4, 5), (1, 3), (3, 2)])
def test_gradcheck_with_labels(n, k, device, rng):
    logits = to_device(rng.standard_normal((n, k)), device)
    labels = to_device(rng.integers(0, k, n), device)
    assert set(gradcheck(SoftmaxCrossEntropy(), logits, labels, tol=1e-7)) == {"input"}


def test_backward_scales_with_dloss(rng):
    logits = rng.standard_normal((4, 6))
    labels = rng.integers(0, 6, 4)
    layer = SoftmaxCrossEntropy()
    layer.forward(logits, labels)
    g1 = layer.backward(1.0)
    numpy.testing.assert_array_equal(layer.backward(), g1)     # the default upstream is 1
    numpy.testing.assert_allclose(layer.backward(3.0), 3.0 * g1, rtol=1e-15)
    numpy.testing.assert_allclose(layer.backward(numpy.float64(-0.5)), -0.5 * g1, rtol=1e-15)


@given(st.integers(1, 5), st.integers(1, 6), st.floats(-2, 2), st.integers(0, 2**31))
def test_forward_and_backward_match_the_plain_tier_property(n, k, dloss, seed):
    rng = numpy.random.default_rng(seed)
    logits, labels = 5 * rng.standard_normal((n, k)), rng.integers(0, k, n)
    layer = SoftmaxCrossEntropy()
    assert float(layer.forward(logits, labels)) == pytest.approx(
        naive.softmax_cross_entropy(logits, labels), rel=1e-12, abs=1e-14)
    numpy.testing.assert_allclose(layer.backward(dloss),
                                  naive.softmax_cross_entropy_backward(logits, labels, dloss),
                                  rtol=1e-12, atol=1e-15)


def test_labels_as_a_list(rng):
    logits = rng.standard_normal((3, 4))
    a = SoftmaxCrossEntropy().forward(logits, [0, 3, 1])
    b = SoftmaxCrossEntropy().forward(logits, numpy.array([0, 3, 1]))
    assert float(a) == float(b)


@pytest.mark.parametrize("labels, fragment", [
    (numpy.array([0, 5, 1]), "[0, 5)"),
    (numpy.array([0, -1, 1]), "[0, 5)"),
    (numpy.array([[0], [1], [2]]), "shape (3,)"),
    (numpy.array([0, 1]), "shape (3,)"),
    (numpy.array([0.0, 1.0, 2.0]), "integer"),
    ([0.0, 1.0, 2.0], "integer"),
    (numpy.array([True, False, True]), "integer"),
])
def test_bad_labels(labels, fragment, rng):
    layer = SoftmaxCrossEntropy()
    with pytest.raises(ValueError, match="SoftmaxCrossEntropy") as info:
        layer.forward(rng.standard_normal((3, 5)), labels)
    assert fragment in str(info.value)
