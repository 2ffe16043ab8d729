"""The fused CUDA kernels (minialex.kernels.cuda) against their xp references, on a GPU.

Each kernel in :mod:`minialex.kernels` with a fused body is called twice on the same CuPy
arrays: by its name (the fused kernel) and as ``.reference`` (the xp code). Copies must agree
exactly; sums may differ in their order of additions, so only by rounding.
"""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import backend
from minialex.kernels import im2col, lrn, pool, sgd
from minialex.kernels.geometry import Geometry
from minialex.kernels.workspace import Workspace

cupy = backend.cupy
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(backend.cuda_device_count() < 1,
                                 reason="needs CuPy and at least one GPU")]

def geometries():
    """(h, w, kernel, stride, padding) with the window fitting the padded input."""
    return st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(1, 5),
                     st.integers(1, 5), st.integers(1, 4), st.integers(1, 4),
                     st.integers(0, 2), st.integers(0, 2)).map(_fit)


def _fit(t):
    h, w, kh, kw, sh, sw, ph, pw = t
    kh, kw = min(kh, h + 2 * ph), min(kw, w + 2 * pw)
    return h, w, (kh, kw), (sh, sw), (ph, pw)


def _both(kernel, *args):
    return kernel(*args), kernel.reference(*args)


def _host(a):
    return cupy.asnumpy(a)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(geometries(), st.integers(0, 2**31))
def test_im2col_wide_copies_what_the_reference_copies(dtype, geometry, seed):
    h, w, k, s, p = geometry
    x = cupy.asarray(numpy.random.default_rng(seed).standard_normal((2, 3, h, w)), dtype=dtype)
    (fused, g), (reference, _) = _both(im2col.im2col_wide, x, k, s, p)
    assert fused.dtype == x.dtype and fused.shape == g.wide_shape
    numpy.testing.assert_array_equal(_host(fused), _host(reference))


@given(geometries(), st.integers(0, 2**31))
def test_col2im_wide_sums_what_the_reference_sums(geometry, seed):
    h, w, k, s, p = geometry
    g = Geometry((2, 3, h, w), k, s, p)
    cols = cupy.asarray(numpy.random.default_rng(seed).standard_normal(g.wide_shape))
    fused, reference = _both(im2col.col2im_wide, cols, g)
    numpy.testing.assert_allclose(_host(fused), _host(reference), rtol=1e-12, atol=1e-12)


def test_im2col_wide_fills_the_buffer_it_is_given(rng):
    x = cupy.asarray(rng.standard_normal((2, 3, 9, 9)), dtype="float32")
    g = Geometry(x.shape, 3, 1, 1)
    buffer = cupy.empty(g.wide_shape, dtype="float32")
    out, _ = im2col.im2col_wide(x, 3, 1, 1, out=buffer)
    assert out is buffer


@given(geometries(), st.integers(0, 2**31))
def test_max_pool_picks_the_reference_winners(geometry, seed):
    h, w, k, s, p = geometry
    p = (min(p[0], k[0] // 2), min(p[1], k[1] // 2))        # as MaxPool2d allows
    rng = numpy.random.default_rng(seed)
    x = cupy.asarray(rng.integers(0, 3, (2, 3, h, w)), dtype="float64")   # many ties
    (y, winners), (y_ref, winners_ref) = _both(pool.max_pool, x, k, s, p, Workspace())
    numpy.testing.assert_array_equal(_host(y), _host(y_ref))
    dy = cupy.asarray(rng.standard_normal(y.shape))
    dx = pool.max_pool_backward(dy, winners, Workspace())
    dx_ref = pool.max_pool_backward.reference(dy, winners_ref, Workspace())
    numpy.testing.assert_allclose(_host(dx), _host(dx_ref), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", [(12, 12), (2, 65)])
def test_a_window_of_over_127_numbers_runs_the_reference(rng, kernel):
    x = cupy.asarray(rng.standard_normal((2, 3, 14, 70)), dtype="float32")
    y, winners = pool.max_pool(x, kernel, (1, 1), (0, 0), Workspace())
    y_ref, _ = pool.max_pool.reference(x, kernel, (1, 1), (0, 0), Workspace())
    numpy.testing.assert_array_equal(_host(y), _host(y_ref))
    dy = cupy.ones(y.shape, dtype="float32")
    dx = pool.max_pool_backward(dy, winners, Workspace())     # routed to the reference too
    assert float(dx.sum()) == dy.size


def test_a_nan_in_a_window_comes_out_of_the_max_pool(rng):
    x = cupy.asarray(rng.standard_normal((1, 1, 6, 6)), dtype="float32")
    x[0, 0, 1, 1] = numpy.nan                    # not the first number of its windows
    y, _ = pool.max_pool(x, (3, 3), (2, 2), (0, 0), Workspace())
    y_ref, _ = pool.max_pool.reference(x, (3, 3), (2, 2), (0, 0), Workspace())
    numpy.testing.assert_array_equal(numpy.isnan(_host(y)), numpy.isnan(_host(y_ref)))
    assert numpy.isnan(_host(y)).any()


@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-6), ("float64", 1e-13)])
@pytest.mark.parametrize("groups, channels, before, after, beta", [
    (1, 7, 2, 2, 0.75), (2, 6, 2, 1, 0.75), (1, 5, 1, 1, 0.5), (1, 1, 2, 2, 0.75)])
def test_lrn_forward_and_backward_match_the_reference(rng, dtype, rtol, groups, channels,
                                                       before, after, beta):
    shape = (3, groups, channels, 5, 4)
    a = cupy.asarray(rng.standard_normal(shape) * 3, dtype=dtype)
    alpha, k = 1e-2, 2.0
    y, scale, scale_pow = lrn.normalise(a, before, after, alpha, k, beta, Workspace())
    y_ref, scale_ref, scale_pow_ref = lrn.normalise.reference(a, before, after, alpha, k, beta,
                                                              Workspace())
    numpy.testing.assert_allclose(_host(y), _host(y_ref), rtol=rtol)
    assert scale is None and scale_pow is None      # recomputed in backward, not kept
    dy = cupy.asarray(rng.standard_normal(shape), dtype=dtype)
    dx = lrn.normalise_backward(dy, a, y, None, None, before, after, alpha, k, beta)
    dx_ref = lrn.normalise_backward.reference(dy, a, y_ref, scale_ref, scale_pow_ref, before,
                                              after, alpha, k, beta)
    numpy.testing.assert_allclose(_host(dx), _host(dx_ref), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("update", [sgd.paper_update, sgd.pytorch_update])
def test_sgd_updates_match_the_reference(rng, update):
    w, v, grad = (cupy.asarray(rng.standard_normal((300, 7)), dtype="float32") for _ in range(3))
    w_ref, v_ref = w.copy(), v.copy()
    update(w, v, grad, 0.01, 0.9, 5e-4)
    update.reference(w_ref, v_ref, grad, 0.01, 0.9, 5e-4)
    numpy.testing.assert_allclose(_host(w), _host(w_ref), rtol=1e-6, atol=1e-7)
    numpy.testing.assert_allclose(_host(v), _host(v_ref), rtol=1e-6, atol=1e-7)
