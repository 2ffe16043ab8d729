"""kernels.dispatch: a kernel's name runs its fused CUDA body for CuPy arrays only."""

import numpy
import pytest

from minialex.kernels import im2col, lrn, pool, sgd
from minialex.kernels.dispatch import cuda_kernel

FUSED = [im2col.im2col_wide, im2col.col2im_wide, pool.max_pool, pool.max_pool_backward,
         lrn.normalise, lrn.normalise_backward, sgd.paper_update, sgd.pytorch_update]


def test_numpy_arrays_run_the_reference_body():
    calls = []

    @cuda_kernel("no_such_fused_kernel")        # would fail if dispatch ever looked it up
    def double(x, factor=2):
        calls.append(x)
        return x * factor

    x = numpy.arange(3.0)
    numpy.testing.assert_array_equal(double(x, factor=3), [0.0, 3.0, 6.0])
    numpy.testing.assert_array_equal(double.reference(x), [0.0, 2.0, 4.0])
    assert len(calls) == 2 and all(c is x for c in calls)     # the body ran both times
    assert double.__name__ == "double"


@pytest.mark.parametrize("kernel", FUSED, ids=lambda k: k.__name__)
def test_every_fused_kernel_keeps_its_reference(kernel):
    from minialex.kernels import cuda                # importable without CuPy; compiles nothing
    assert kernel.reference.__name__ == kernel.__name__
    assert callable(getattr(cuda, kernel.__name__))  # the fused body of the same name exists


def test_the_fused_max_pool_hands_what_it_cannot_do_back_to_the_reference():
    """Checked before any GPU work, so it runs without CuPy: a window of over 127 numbers
    (its int8 offset would overflow), and a backward after the reference's forward."""
    from minialex.kernels import cuda
    from minialex.kernels.workspace import Workspace
    x = numpy.zeros((1, 1, 12, 12), dtype=numpy.float32)
    assert cuda.max_pool(x, (12, 12), (1, 1), (0, 0), Workspace()) is NotImplemented
    _, winners = pool.max_pool(x, (3, 3), (2, 2), (0, 0), Workspace())   # the reference's
    assert cuda.max_pool_backward(numpy.zeros((1, 1, 5, 5)), winners, None) is NotImplemented
