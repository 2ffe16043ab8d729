"""Memory kept from step to step: the shared scratch space and reused result buffers.

Why it is fast: a fresh NumPy allocation of a large array costs a page fault per 4 KiB the
first time each page is written. For a 230 MB column buffer (AlexNet's conv2 at batch 32) that
costs as much as filling it. Buffers kept from one training step to the next are already
mapped, so the step pays only for the arithmetic.
"""

import math

import numpy

from ..backend import device_of, get_array_module


class Workspace:
    """Scratch buffers, one per (name, dtype, device), shared by the layers given the same one.

    ``get(name, shape, dtype, like)`` returns an uninitialised array of that shape, a view of a
    buffer kept from call to call and grown when a larger one is asked for. Layers that share
    a workspace must not expect its contents to survive from one call to the next: the
    convolutions of a model share one and refill their columns whenever they need them, so the
    network holds its largest im2col columns only once.
    """

    def __init__(self):
        self._buffers = {}

    def get(self, name, shape, dtype, like):
        """A (shape, dtype) array named ``name`` on the device and array module of ``like``."""
        xp = get_array_module(like)
        size = math.prod(shape)
        key = (name, numpy.dtype(dtype).str, device_of(like).name)
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < size:
            self._buffers.pop(key, None)    # free the old one before allocating the new
            with device_of(like):
                buffer = self._buffers[key] = xp.empty(size, dtype=dtype)
        return buffer[:size].reshape(shape)

    def parts(self, name, shapes, dtype, like):
        """Several arrays laid one after another in the buffer ``name``, one per shape: the
        scratch arrays of one computation, in a single buffer that other layers reuse."""
        sizes = [math.prod(shape) for shape in shapes]
        flat = self.get(name, (sum(sizes),), dtype, like)
        ends = numpy.cumsum(sizes)
        return [flat[end - size:end].reshape(shape)
                for end, size, shape in zip(ends, sizes, shapes)]


def reusable(array, shape, dtype, like):
    """``array`` if it can hold a new (shape, dtype) result on the device of ``like``, else a
    fresh empty array there. A layer passes its previous result (say, its last weight
    gradient, which backward overwrites anyway) to write the new one into the same memory."""
    xp = get_array_module(like)
    if (array is not None and array.shape == tuple(shape) and array.dtype == dtype
            and get_array_module(array) is xp and device_of(array) == device_of(like)
            and array.flags.c_contiguous):
        return array
    with device_of(like):
        return xp.empty(shape, dtype=dtype)


def matmul_reusing(a, b, previous):
    """``a @ b`` (2-D), written into ``previous`` when it fits: a layer passes its last
    gradient, which this step overwrites anyway, and the product needs no new memory."""
    out = reusable(previous, (a.shape[0], b.shape[1]), a.dtype, like=a)
    return get_array_module(a).matmul(a, b, out=out)
