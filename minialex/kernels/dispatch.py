"""One name, two bodies: the ``xp`` reference, and a fused CUDA kernel for CuPy arrays.

On the GPU, each whole-array operation of the ``xp`` code is one kernel launch (and some
microseconds of Python and driver time). The reference bodies in this package are written for
the CPU's caches: a max-pool is a dozen passes, an im2col one copy per kernel offset (121 for
conv1). On a GPU that is a dozen or a hundred launches for work that one launch does, and the
launches, not the arithmetic, set the speed. So a few kernels have a second body, in
:mod:`minialex.kernels.cuda`, that does the whole job in one ``cupy.ElementwiseKernel``.

The decorator keeps them honest::

    @cuda_kernel("im2col_wide")
    def im2col_wide(x, ...):          # the xp code: NumPy, and the reference on CuPy too
        ...

    im2col_wide(x)               # CuPy array -> kernels.cuda.im2col_wide; anything else -> the body
    im2col_wide.reference(x)     # always the xp body: what the tests compare the fused one with

A fused body that does not cover a case (a max-pool window of over 127 numbers, say) returns
``NotImplemented`` before it does any work, and the reference body runs instead.

The array of the first argument decides, as everywhere else (:mod:`minialex.backend`). The
fused bodies launch on the current CUDA device, which the layers and the optimiser set to the
array's own (``with device_of(x)``) before they call a kernel.
"""

import functools

# Bound at import: the real CuPy (or None). A test that swaps a stand-in module into
# minialex.backend (tests/fake_gpus.py) exercises the xp bodies, which are the ones it checks.
from ..backend import cupy


def cuda_kernel(name):
    """Decorate an ``xp`` kernel: CuPy arrays go to ``minialex.kernels.cuda.<name>``."""
    def decorate(reference):
        @functools.wraps(reference)
        def kernel(first, *args, **kwargs):
            if cupy is not None and isinstance(first, cupy.ndarray):
                from . import cuda            # compiled on first use; needs CuPy
                result = getattr(cuda, name)(first, *args, **kwargs)
                if result is not NotImplemented:
                    return result
            return reference(first, *args, **kwargs)
        kernel.reference = reference
        return kernel
    return decorate
