"""Max pooling, fast: two 1-D passes that remember their winners as int8.

Why it is fast: the max over a kh x kw window is the max over kh rows of the max over kw
columns, so the forward pass runs two 1-D passes (kw - 1 then kh - 1 comparisons per output)
instead of kh*kw - 1, each a handful of whole-array operations. Each pass keeps the offset of
its winner as int8 (1 byte per output instead of an 8-byte flat index). Taking the first
maximum in each pass gives the first row holding the window's maximum, then the first column
of that row holding it: exactly the first maximum in raster order, the rule the plain tier
(``minialex.naive.max_pool2d_backward``) follows one window at a time. Backward routes ``dy``
back through the same two passes. The (image, channel) planes are shared out between the CPU
cores (:mod:`minialex.kernels.threads`).
"""

import numpy

from ..backend import get_array_module
from ..windows import output_size
from .im2col import pad
from .threads import split_over_cores


class Winners:
    """Where each window's maximum was: int8 offsets of the column pass and of the row pass."""

    def __init__(self, columns, rows, x_shape, kernel_size, stride, padding):
        self.columns, self.rows, self.x_shape = columns, rows, x_shape
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding


def max_pool(x, kernel_size, stride, padding):
    """x (N, C, H, W) -> (y (N, C, OH, OW), :class:`Winners`). Padding is -inf."""
    xp = get_array_module(x)
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    planes = pad(x, padding, -numpy.inf).reshape(n * c, h + 2 * ph, w + 2 * pw)
    rows = xp.empty((n * c, h + 2 * ph, ow), dtype=x.dtype)      # max over columns
    y = xp.empty((n * c, oh, ow), dtype=x.dtype)                 # then over rows
    column_winner = xp.empty(rows.shape, dtype=xp.int8)
    row_winner = xp.empty(y.shape, dtype=xp.int8)

    def pool_planes(lo, hi):
        _max_along(xp, planes[lo:hi], 2, kw, sw, rows[lo:hi], column_winner[lo:hi])
        _max_along(xp, rows[lo:hi], 1, kh, sh, y[lo:hi], row_winner[lo:hi])

    split_over_cores(pool_planes, n * c, xp)
    winners = Winners(column_winner, row_winner, x.shape, kernel_size, stride, padding)
    return y.reshape(n, c, oh, ow), winners


def max_pool_backward(dy, winners):
    """dy (N, C, OH, OW) -> dx (N, C, H, W): each window's dy added at its winner."""
    xp = get_array_module(dy)
    (kh, kw), (sh, sw), (ph, pw) = winners.kernel_size, winners.stride, winners.padding
    n, c, h, w = winners.x_shape
    dy = dy.reshape(n * c, dy.shape[2], dy.shape[3])
    drows = xp.zeros(winners.columns.shape, dtype=dy.dtype)
    dplanes = xp.zeros((n * c, h + 2 * ph, w + 2 * pw), dtype=dy.dtype)

    def route_planes(lo, hi):
        _route_back(dy[lo:hi], winners.rows[lo:hi], 1, kh, sh, drows[lo:hi])
        _route_back(drows[lo:hi], winners.columns[lo:hi], 2, kw, sw, dplanes[lo:hi])

    split_over_cores(route_planes, n * c, xp)
    dx = dplanes.reshape(n, c, h + 2 * ph, w + 2 * pw)
    if (ph, pw) == (0, 0):
        return dx
    return xp.ascontiguousarray(dx[:, :, ph:ph + h, pw:pw + w])


def _window(a, axis, offset, stride, count):
    """The ``count`` elements ``offset, offset + stride, ...`` of ``a`` along ``axis``."""
    index = [slice(None)] * a.ndim
    index[axis] = slice(offset, offset + stride * (count - 1) + 1, stride)
    return a[tuple(index)]


def _max_along(xp, a, axis, kernel, stride, best, index):
    """1-D max pooling of ``a`` along ``axis`` into ``best``, with the int8 offset of the first
    maximum of each window in ``index``."""
    count = best.shape[axis]
    best[...] = _window(a, axis, 0, stride, count)
    index[...] = 0
    for offset in range(1, kernel):
        candidate = _window(a, axis, offset, stride, count)
        wins = candidate > best              # strict: a tie keeps the earlier element
        xp.copyto(index, offset, where=wins)
        xp.maximum(best, candidate, out=best)


def _route_back(dy, index, axis, kernel, stride, dx):
    """Adjoint of :func:`_max_along`: add each ``dy`` into ``dx`` (zeros) at its window's winner."""
    count = dy.shape[axis]
    for offset in range(kernel):
        _window(dx, axis, offset, stride, count)[...] += dy * (index == offset)
