"""LRN's fused passes against the plain tier, and beta = 0.75 by square roots."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import naive
from minialex.kernels import lrn
from minialex.kernels.workspace import Workspace


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6),
       st.sampled_from([0.75, 0.5, 1.1]), st.integers(0, 2**31))
def test_forward_and_backward_against_the_plain_tier_property(n, groups, per_group, size,
                                                              beta, seed):
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((n, groups * per_group, 2, 3))
    a = x.reshape(n, groups, per_group, 2, 3)
    before, after = size // 2, (size - 1) // 2
    y, scale, scale_pow = lrn.normalise(a, before, after, 0.8, 1.3, beta, Workspace())
    config = dict(size=size, alpha=0.8, beta=beta, k=1.3, groups=groups)
    numpy.testing.assert_allclose(y.reshape(x.shape), naive.local_response_norm(x, **config),
                                  rtol=1e-12, atol=1e-13)
    dy = rng.standard_normal(x.shape)
    dx = lrn.normalise_backward(dy.reshape(a.shape), a, y, scale, scale_pow, before, after,
                                0.8, 1.3, beta)
    numpy.testing.assert_allclose(dx.reshape(x.shape),
                                  naive.local_response_norm_backward(x, dy, **config),
                                  rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_square_roots_are_the_power(dtype, rng):
    s = (0.5 + 10 * rng.random(1000)).astype(dtype)
    got = lrn.power(numpy, s, -0.75, out=numpy.empty_like(s))
    numpy.testing.assert_allclose(got, s.astype(numpy.float64) ** -0.75,
                                  rtol=4 * numpy.finfo(dtype).eps)
