"""The in-place SGD updates against their formulas, written out element-wise."""

import numpy
import pytest

from minialex.kernels import sgd


@pytest.mark.parametrize("size", [1, 7, 10_001])
def test_both_updates_against_their_formulas(size, rng):
    w, v, g = (rng.standard_normal(size) for _ in range(3))
    lr, momentum, decay = 0.03, 0.9, 5e-4
    for update, (v_new, w_new) in [
            (sgd.paper_update, ((momentum * v - decay * lr * w - lr * g),
                                w + (momentum * v - decay * lr * w - lr * g))),
            (sgd.pytorch_update, ((momentum * v + g + decay * w),
                                  w - lr * (momentum * v + g + decay * w)))]:
        w_run, v_run, g_run = w.copy(), v.copy(), g.copy()
        update(w_run, v_run, g_run, lr, momentum, decay)
        numpy.testing.assert_allclose(v_run, v_new, rtol=1e-13, atol=1e-16)
        numpy.testing.assert_allclose(w_run, w_new, rtol=1e-13, atol=1e-16)
        numpy.testing.assert_array_equal(g_run, g)               # the gradient is not written
