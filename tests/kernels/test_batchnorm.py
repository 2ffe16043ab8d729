"""Batch normalisation's passes against the plain tier."""

import numpy
from hypothesis import given, strategies as st

from minialex import naive
from minialex.kernels import batchnorm


@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4),
       st.booleans(), st.integers(0, 2**31))
def test_forward_and_backward_against_the_plain_tier_property(n, c, h, w, training, seed):
    rng = numpy.random.default_rng(seed)
    n = max(n, 2) if training and h * w == 1 else n
    x, dy = rng.standard_normal((n, c, h, w)), rng.standard_normal((n, c, h, w))
    gamma, beta = 1 + rng.random(c), rng.standard_normal(c)
    running_mean, running_var = rng.standard_normal(c), 0.5 + rng.random(c)
    if training:
        mean, var = batchnorm.batch_statistics(x)
        numpy.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)), rtol=1e-12, atol=1e-14)
        numpy.testing.assert_allclose(var, x.var(axis=(0, 2, 3)), rtol=1e-12, atol=1e-14)
    else:
        mean, var = running_mean, running_var
    x_hat, y, inv_std = batchnorm.normalise(x, mean, var, gamma, beta, 1e-5)
    expected_y, _, _ = naive.batch_norm2d(x, gamma, beta, running_mean, running_var, training)
    numpy.testing.assert_allclose(y, expected_y, rtol=1e-11, atol=1e-12)
    dx, dgamma, dbeta = batchnorm.normalise_backward(dy, x_hat, gamma, inv_std, training)
    expected = naive.batch_norm2d_backward(x, gamma, dy, running_mean, running_var, training)
    for got, want in zip((dx, dgamma, dbeta), expected):
        numpy.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)
