"""Linear (fc6, fc7, fc8): by hand, against the plain tier, gradient checks."""

import math

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import Linear, gradcheck, naive, to_device


def test_linear_forward_by_hand(rng):
    layer = Linear(5, 3, dtype="float64", seed=0)
    layer.params["bias"] = rng.standard_normal(3)
    w, b = layer.params["weight"], layer.params["bias"]
    assert w.shape == (3, 5) and b.shape == (3,)
    x = rng.standard_normal((4, 5))
    expected = numpy.empty((4, 3))
    for n in range(4):
        for o in range(3):
            expected[n, o] = b[o] + math.fsum(x[n, i] * w[o, i] for i in range(5))
    numpy.testing.assert_allclose(layer.forward(x), expected, rtol=1e-13, atol=1e-14)


def test_linear_backward_by_hand(rng):
    layer = Linear(5, 3, dtype="float64", seed=0)
    x = rng.standard_normal((4, 5))
    dy = rng.standard_normal((4, 3))
    layer.forward(x)
    dx = layer.backward(dy)
    w = layer.params["weight"]
    for n in range(4):
        for i in range(5):
            assert dx[n, i] == pytest.approx(sum(dy[n, o] * w[o, i] for o in range(3)), abs=1e-13)
    for o in range(3):
        assert layer.grads["bias"][o] == pytest.approx(sum(dy[:, o]), abs=1e-13)
        for i in range(5):
            assert layer.grads["weight"][o, i] == pytest.approx(
                sum(dy[n, o] * x[n, i] for n in range(4)), abs=1e-13)


@pytest.mark.parametrize("in_features, out_features, batch", [(6, 4, 3), (1, 1, 1), (9, 2, 2)])
def test_linear_gradcheck(in_features, out_features, batch, device, rng):
    layer = Linear(in_features, out_features, dtype="float64", seed=2)
    layer.params["bias"] = rng.standard_normal(out_features)
    layer.to(device)
    x = to_device(rng.standard_normal((batch, in_features)), device)
    errors = gradcheck(layer, x, tol=1e-7)
    assert set(errors) == {"input", "weight", "bias"}


def test_linear_uses_replaced_weight(rng):
    layer = Linear(4, 3, dtype="float64", seed=0)
    x = rng.standard_normal((2, 4))
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    layer.params["weight"], layer.params["bias"] = w, b
    numpy.testing.assert_allclose(layer.forward(x), x @ w.T + b, rtol=1e-13)


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**31))
def test_forward_and_backward_match_the_plain_tier_property(batch, n_in, n_out, seed):
    rng = numpy.random.default_rng(seed)
    layer = Linear(n_in, n_out, dtype="float64", seed=seed % 100)
    layer.params["bias"] = rng.standard_normal(n_out)
    x, dy = rng.standard_normal((batch, n_in)), rng.standard_normal((batch, n_out))
    w, b = layer.params["weight"], layer.params["bias"]
    numpy.testing.assert_allclose(layer.forward(x), naive.linear(x, w, b), rtol=1e-12,
                                  atol=1e-13)
    dx = layer.backward(dy)
    for got, want in zip((dx, layer.grads["weight"], layer.grads["bias"]),
                         naive.linear_backward(x, w, dy)):
        numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
