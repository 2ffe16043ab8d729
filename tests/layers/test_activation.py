"""ReLU (§3.1) and tanh (Figure 1): exact values, the plain tier, gradient checks."""

import math

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import ReLU, Tanh, gradcheck, naive, to_device


def away_from_zero(rng, shape):
    """Normal values pushed at least 0.1 from 0, so no central-difference step crosses a kink."""
    x = rng.standard_normal(shape)
    return x + 0.1 * numpy.sign(x)


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


def test_tanh_forward_exact_values():
    x = numpy.array([-30.0, -1.0, 0.0, 0.5, 30.0])
    y = Tanh().forward(x)
    numpy.testing.assert_allclose(y, [math.tanh(v) for v in x], rtol=1e-15, atol=0)
    assert y[2] == 0.0 and y[0] == -1.0 and y[4] == 1.0


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (3, 5)])
def test_tanh_gradcheck(shape, device, rng):
    x = to_device(away_from_zero(rng, shape), device)
    assert set(gradcheck(Tanh(), x, tol=1e-7)) == {"input"}


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(0, 2**31))
def test_both_match_the_plain_tier_property(shape, seed):
    rng = numpy.random.default_rng(seed)
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    x[rng.random(shape) < 0.2] = 0.0                     # exact zeros: the kink's convention
    relu, tanh = ReLU(), Tanh()
    numpy.testing.assert_array_equal(relu.forward(x), naive.relu(x))
    numpy.testing.assert_array_equal(relu.backward(dy), naive.relu_backward(x, dy))
    y = tanh.forward(x)
    numpy.testing.assert_allclose(y, naive.tanh(x), rtol=1e-15)
    numpy.testing.assert_allclose(tanh.backward(dy), naive.tanh_backward(y, dy), rtol=1e-15)
