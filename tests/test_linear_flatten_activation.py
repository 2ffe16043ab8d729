"""Linear, Flatten, ReLU and Tanh: forward by hand, gradient checks, the contract."""

import math

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import Flatten, Linear, ReLU, Tanh, gradcheck, to_device


def away_from_zero(rng, shape):
    """Normal values pushed at least 0.1 from 0, so no central-difference step crosses a kink."""
    x = rng.standard_normal(shape)
    return x + 0.1 * numpy.sign(x)


# -- Linear ---------------------------------------------------------------------------------------------
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


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_keeps_dtype_and_leaves_inputs(dtype, rng):
    layer = Linear(4, 3, dtype=dtype, seed=0)
    x = rng.standard_normal((2, 4)).astype(dtype)
    x_copy = x.copy()
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dy_copy = dy.copy()
    dx = layer.backward(dy)
    assert y.dtype == dx.dtype == layer.grads["weight"].dtype == layer.grads["bias"].dtype == dtype
    numpy.testing.assert_array_equal(x, x_copy)
    numpy.testing.assert_array_equal(dy, dy_copy)


def test_linear_backward_overwrites_grads(rng):
    layer = Linear(4, 3, dtype="float64", seed=0)
    x = rng.standard_normal((2, 4))
    layer.forward(x)
    dy1, dy2 = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    layer.backward(dy1)
    layer.backward(dy2)
    numpy.testing.assert_allclose(layer.grads["weight"], dy2.T @ x, rtol=1e-13)
    numpy.testing.assert_allclose(layer.grads["bias"], dy2.sum(axis=0), rtol=1e-13)


def test_linear_uses_replaced_weight(rng):
    layer = Linear(4, 3, dtype="float64", seed=0)
    x = rng.standard_normal((2, 4))
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    layer.params["weight"], layer.params["bias"] = w, b
    numpy.testing.assert_allclose(layer.forward(x), x @ w.T + b, rtol=1e-13)


# -- Flatten --------------------------------------------------------------------------------------------
def test_flatten_is_c_order(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    y = Flatten().forward(x)
    assert y.shape == (2, 60)
    for c in range(3):
        for h in range(4):
            for w in range(5):
                assert y[1, c * 20 + h * 5 + w] == x[1, c, h, w]


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 3))
def test_flatten_round_trip(rest, batch):
    shape = (batch, *rest)
    x = numpy.random.default_rng(len(rest)).standard_normal(shape)
    layer = Flatten()
    y = layer.forward(x)
    assert y.shape == (batch, math.prod(rest))
    back = layer.backward(y)
    assert back.shape == shape
    numpy.testing.assert_array_equal(back, x)


def test_flatten_gradcheck(device, rng):
    x = to_device(rng.standard_normal((2, 3, 2, 3)), device)
    assert set(gradcheck(Flatten(), x, tol=1e-7)) == {"input"}


# -- ReLU -------------------------------------------------------------------------------------------------
def test_relu_forward_exact_values():
    x = numpy.array([-2.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 3.0])
    y = ReLU().forward(x)
    numpy.testing.assert_array_equal(y, [0.0, 0.0, 0.0, 0.0, 1e-300, 0.5, 3.0])


def test_relu_backward_is_the_mask_and_zero_at_zero():
    layer = ReLU()
    x = numpy.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.0]])
    layer.forward(x)
    dy = numpy.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    numpy.testing.assert_array_equal(layer.backward(dy), [[0.0, 0.0, 30.0], [40.0, 0.0, 0.0]])


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (3, 5)])
def test_relu_gradcheck(shape, device, rng):
    x = to_device(away_from_zero(rng, shape), device)
    assert set(gradcheck(ReLU(), x, tol=1e-7)) == {"input"}


# -- Tanh -------------------------------------------------------------------------------------------------
def test_tanh_forward_exact_values():
    x = numpy.array([-30.0, -1.0, 0.0, 0.5, 30.0])
    y = Tanh().forward(x)
    numpy.testing.assert_allclose(y, [math.tanh(v) for v in x], rtol=1e-15, atol=0)
    assert y[2] == 0.0 and y[0] == -1.0 and y[4] == 1.0


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (3, 5)])
def test_tanh_gradcheck(shape, device, rng):
    x = to_device(away_from_zero(rng, shape), device)
    assert set(gradcheck(Tanh(), x, tol=1e-7)) == {"input"}


# -- both activations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_type", [ReLU, Tanh])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_keeps_dtype_and_leaves_inputs(layer_type, dtype, check_dtype_and_inputs):
    check_dtype_and_inputs(layer_type(), (2, 3, 4), dtype)
