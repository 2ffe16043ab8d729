"""im2col and col2im, fast: turn a convolution into one matrix product per group.

The textbook version (one strided slice per kernel offset) is ``minialex.naive.im2col``; this
one computes the same numbers, tested against it, at several times its speed.

Shapes first::

    x     (N, C, H, W)
    cols  (C, kh, kw, N, OH, OW)      OH = (H + 2*padding - kh) // stride + 1, likewise OW

``cols[c, i, j, n, oh, ow] = xpad[n, c, stride*oh + i, stride*ow + j]``, where ``xpad`` is ``x``
padded on every side with ``pad_value``. Reshaped to ``(C*kh*kw, N*OH*OW)`` it is the matrix whose
product with the weights ``(O, C*kh*kw)`` is the convolution of the whole batch: one large GEMM
instead of one per image. The batch axis sits after the kernel axes (cuda-convnet's layout) so
that the weight gradient is a single GEMM too, ``dy (O, N*OH*OW) @ cols.T``.

Both functions are a loop over the kh*kw kernel offsets; each step copies (or, in col2im, adds)
one slice of the whole batch. There is no Python loop over images or output pixels. The
channels are split between the CPU cores (``kernels.threads``): each core runs the same loop
on its share of the channels.

Wide columns: how the copies stay fast
--------------------------------------
Copied row by row, an offset's slice is N*C*OH rows of only OW numbers (27 for conv2), and the
per-row overhead, not memory, sets the speed. So the work is done on *wide* columns::

    wide  (C, kh, kw, N, OH, Wq)     Wq = ceil((W + 2*padding) / stride)  >= OW

First the padded input is split into its stride x stride phases, ``xs[c, a, b, n, r, q] =
xpad[n, c, stride*r + a, stride*q + b]`` (for stride 1 that is just the padded input). In a
phase plane the window of offset (i, j) is a plain shift: every output row (oh, 0..Wq-1) of
it starts ``Wq`` numbers after the previous one, so the whole (OH, Wq) block is *one
contiguous run* of the flattened plane, starting at ``(i // stride) * Wq + j // stride``.
Each offset is then N*C long copies. The last ``Wq - OW`` columns of each row wrap around
into the next input row: they hold real but meaningless numbers, the matching outputs are
dropped, and their gradients are zero. ``im2col`` returns the ``[..., :OW]`` view of the wide
buffer; the convolution layer uses the wide buffer directly.
"""

from ..backend import get_array_module
from .dispatch import cuda_kernel
from .geometry import Geometry
from .threads import split_over_cores


def pad(x, padding, value=0.0):
    """``x`` (N, C, H, W) with ``padding = (ph, pw)`` rows/columns of ``value`` on each side.

    Returns ``x`` itself when there is nothing to pad (callers never write into the result).
    """
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    xp = get_array_module(x)
    out = xp.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:h + ph, pw:w + pw] = x
    return out


@cuda_kernel("im2col_wide")
def im2col_wide(x, kernel_size, stride=1, padding=0, pad_value=0.0, out=None):
    """(N, C, H, W) -> wide columns (C, kh, kw, N, OH, Wq) and the :class:`Geometry`.

    ``out``, when given, is a buffer of the wide shape and dtype to fill (so a layer can reuse
    one allocation from step to step instead of page-faulting a fresh one).
    """
    xp = get_array_module(x)
    g = Geometry(x.shape, kernel_size, stride, padding)
    flat = g.to_planes(x, pad_value).reshape(g.c, g.sh, g.sw, g.n, g.hq * g.wq)
    if (out is None or out.shape != g.wide_shape or out.dtype != x.dtype
            or get_array_module(out) is not xp):
        out = xp.empty(g.wide_shape, dtype=x.dtype)
    run = g.oh * g.wq
    cols = out.reshape(g.c, g.kh, g.kw, g.n, run)

    def copy_channels(lo, hi):
        for i, j, a, b, start in g.offsets():
            cols[lo:hi, i, j] = flat[lo:hi, a, b, :, start:start + run]

    split_over_cores(copy_channels, g.c, xp)
    return out, g


@cuda_kernel("col2im_wide")
def col2im_wide(cols, g):
    """Wide columns (C, kh, kw, N, OH, Wq) -> (N, C, H, W): the adjoint of :func:`im2col_wide`.

    Every input pixel receives the sum of the columns it was copied into.
    """
    xp = get_array_module(cols)
    planes = xp.zeros(g.phase_shape, dtype=cols.dtype)
    flat = planes.reshape(g.c, g.sh, g.sw, g.n, g.hq * g.wq)
    run = g.oh * g.wq
    cols = cols.reshape(g.c, g.kh, g.kw, g.n, run)

    def add_channels(lo, hi):
        for i, j, a, b, start in g.offsets():
            flat[lo:hi, a, b, :, start:start + run] += cols[lo:hi, i, j]

    split_over_cores(add_channels, g.c, xp)
    return g.from_planes(planes)


def im2col(x, kernel_size, stride=1, padding=0, pad_value=0.0):
    """(N, C, H, W) -> (C, kh, kw, N, OH, OW); see the module docstring. A view of wide columns."""
    wide, g = im2col_wide(x, kernel_size, stride, padding, pad_value)
    return wide[..., :g.ow]


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """(C, kh, kw, N, OH, OW) -> (N, C, H, W): the adjoint of :func:`im2col`.

    ``<im2col(x), c> == <x, col2im(c)>`` for any ``x`` and ``c``.
    """
    xp = get_array_module(cols)
    g = Geometry(x_shape, kernel_size, stride, padding)
    wide = xp.zeros(g.wide_shape, dtype=cols.dtype)
    wide[..., :g.ow] = cols
    return col2im_wide(wide, g)
