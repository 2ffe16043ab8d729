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
from ..windows import output_size, pair
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


class Geometry:
    """The sizes of one convolution's columns, computed once from the input shape."""

    def __init__(self, x_shape, kernel_size, stride, padding):
        self.n, self.c, self.h, self.w = x_shape
        (self.kh, self.kw), (self.sh, self.sw) = pair(kernel_size), pair(stride)
        self.ph, self.pw = pair(padding)
        self.oh = output_size(self.h, self.kh, self.sh, self.ph)
        self.ow = output_size(self.w, self.kw, self.sw, self.pw)
        hp, wp = self.h + 2 * self.ph, self.w + 2 * self.pw
        # Phase planes; one extra row catches the last wide row's overrun.
        self.hq, self.wq = -(-hp // self.sh) + 1, -(-wp // self.sw)
        self.wide_shape = (self.c, self.kh, self.kw, self.n, self.oh, self.wq)
        self.phase_shape = (self.c, self.sh, self.sw, self.n, self.hq, self.wq)

    def offsets(self):
        """Each kernel offset (i, j) with its phase (a, b) and start in the flattened plane."""
        for i in range(self.kh):
            for j in range(self.kw):
                start = (i // self.sh) * self.wq + j // self.sw
                yield i, j, i % self.sh, j % self.sw, start

    def phases(self):
        """For each phase (a, b): the input rows and columns that land in it, and where.

        Yields ``(a, b, rows, cols, plane_rows, plane_cols)``: ``x[..., rows, cols]`` is
        ``planes[:, a, b, :, plane_rows, plane_cols]``.
        """
        for a in range(self.sh):
            y0 = (a - self.ph) % self.sh
            ny = len(range(y0, self.h, self.sh))
            r0 = (y0 + self.ph) // self.sh
            for b in range(self.sw):
                x0 = (b - self.pw) % self.sw
                nx = len(range(x0, self.w, self.sw))
                q0 = (x0 + self.pw) // self.sw
                yield (a, b, slice(y0, self.h, self.sh), slice(x0, self.w, self.sw),
                       slice(r0, r0 + ny), slice(q0, q0 + nx))

    def to_planes(self, x, pad_value):
        """(N, C, H, W) -> padded phase planes (C, sh, sw, N, hq, wq): one pass over x."""
        xp = get_array_module(x)
        planes = xp.full(self.phase_shape, pad_value, dtype=x.dtype)
        x_cn = x.transpose(1, 0, 2, 3)
        for a, b, rows, cols, plane_rows, plane_cols in self.phases():
            planes[:, a, b, :, plane_rows, plane_cols] = x_cn[:, :, rows, cols]
        return planes

    def from_planes(self, planes):
        """Phase planes (C, sh, sw, N, hq, wq) -> the (N, C, H, W) input region, a new array."""
        xp = get_array_module(planes)
        x = xp.empty((self.n, self.c, self.h, self.w), dtype=planes.dtype)
        x_cn = x.transpose(1, 0, 2, 3)
        for a, b, rows, cols, plane_rows, plane_cols in self.phases():
            x_cn[:, :, rows, cols] = planes[:, a, b, :, plane_rows, plane_cols]
        return x


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
