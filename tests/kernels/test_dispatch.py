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
    assert calls == [x] and double.reference(x) is not None and len(calls) == 2
    assert double.__name__ == "double"


@pytest.mark.parametrize("kernel", FUSED, ids=lambda k: k.__name__)
def test_every_fused_kernel_keeps_its_reference(kernel):
    from minialex.kernels import cuda                # importable without CuPy; compiles nothing
    assert kernel.reference.__name__ == kernel.__name__
    assert callable(getattr(cuda, kernel.__name__))  # the fused body of the same name exists
