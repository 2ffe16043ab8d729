"""Max pooling's two 1-D passes against the plain tier's one window at a time."""

import numpy
from hypothesis import given, strategies as st

from minialex import naive
from minialex.kernels import pool
from minialex.kernels.workspace import Workspace


@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(0, 2**31))
def test_forward_and_backward_against_the_plain_tier_property(h, w, kh, kw, sh, sw, padding,
                                                              seed):
    kh, kw = min(kh, h + 2 * padding), min(kw, w + 2 * padding)
    padding = (min(padding, kh // 2), min(padding, kw // 2))
    rng = numpy.random.default_rng(seed)
    x = rng.integers(0, 3, (2, 2, h, w)).astype(float)       # many ties
    workspace = Workspace()
    y, winners = pool.max_pool(x, (kh, kw), (sh, sw), padding, workspace)
    numpy.testing.assert_array_equal(y, naive.max_pool2d(x, (kh, kw), (sh, sw), padding))
    dy = rng.standard_normal(y.shape)
    numpy.testing.assert_allclose(pool.max_pool_backward(dy, winners, workspace),
                                  naive.max_pool2d_backward(x, dy, (kh, kw), (sh, sw), padding),
                                  rtol=1e-14, atol=1e-14)
    assert winners.rows.dtype == winners.columns.dtype == numpy.int8
