"""Flatten: C order as PyTorch flattens, round trip, gradient check."""

import math

import numpy
from hypothesis import given, strategies as st

from minialex import Flatten, gradcheck, to_device


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
