"""Max pooling, overlapping as in the paper (§3.4: z = 3, s = 2)."""

import numpy

from ..backend import get_array_module, on_input_device
from ..im2col import output_size, pad, pair
from ..threads import parallel
from .base import Layer, check_positive_ints


class MaxPool2d(Layer):
    """Max over each ``kernel_size`` window, moved by ``stride``; overlapping when stride < kernel.

    Shapes::

        x (N, C, H, W) -> y (N, C, OH, OW),  OH = (H + 2*padding - kh) // stride + 1

    Padding is -inf, so it never wins a max. Where several inputs tie for a window's maximum,
    the gradient goes to the *first* of them in raster order (top row first, then left to
    right), as in PyTorch; the others get none.

    The max over a kh x kw window is the max over kh rows of the max over kw columns, so the
    forward pass runs two 1-D passes (kw - 1 then kh - 1 comparisons per output) instead of
    kh*kw - 1. Each pass keeps the index of the winner as int8; taking the first maximum in
    each pass gives the first row holding the window's maximum, then the first column of that
    row holding it: exactly the first maximum in raster order. Backward routes ``dy`` back
    through the same two passes. The (image, channel) planes are shared out between the CPU
    cores (``minialex.threads``).
    """

    def __init__(self, kernel_size=3, stride=2, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = pair(kernel_size), pair(stride), pair(padding)
        check_positive_ints(self, kernel_size=self.kernel_size, stride=self.stride)
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        if not (0 <= ph <= kh // 2 and 0 <= pw <= kw // 2):
            raise ValueError(f"{self}: padding must be between 0 and half the kernel, got "
                             f"{padding!r} (a window of padding alone would have no maximum)")
        if max(kh, kw) > 127:
            raise ValueError(f"{self}: kernel_size above 127 is not supported (int8 indices)")

    def extra_repr(self):
        text = f"kernel_size={self.kernel_size}, stride={self.stride}"
        return text + (f", padding={self.padding}" if self.padding != (0, 0) else "")

    def output_shape(self, x_shape):
        n, c, h, w = x_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (n, c, output_size(h, kh, sh, ph), output_size(w, kw, sw, pw))

    @on_input_device
    def forward(self, x):
        self.check_input(x, 4)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        n, c, h, w = x.shape
        if kh > h + 2 * ph or kw > w + 2 * pw:
            raise ValueError(f"{self}: kernel {kh}x{kw} is larger than the padded input "
                             f"{h + 2 * ph}x{w + 2 * pw} (input shape {tuple(x.shape)})")
        xp = get_array_module(x)
        _, _, oh, ow = self.output_shape(x.shape)
        planes = pad(x, self.padding, -numpy.inf).reshape(n * c, h + 2 * ph, w + 2 * pw)
        rows = xp.empty((n * c, h + 2 * ph, ow), dtype=x.dtype)      # max over columns
        y = xp.empty((n * c, oh, ow), dtype=x.dtype)                 # then over rows
        self._col_index = xp.empty(rows.shape, dtype=xp.int8)
        self._row_index = xp.empty(y.shape, dtype=xp.int8)

        def pool_planes(lo, hi):
            _max_along(xp, planes[lo:hi], 2, kw, sw, rows[lo:hi], self._col_index[lo:hi])
            _max_along(xp, rows[lo:hi], 1, kh, sh, y[lo:hi], self._row_index[lo:hi])

        parallel(pool_planes, n * c, xp)
        self._x_shape = x.shape
        return y.reshape(n, c, oh, ow)

    @on_input_device
    def backward(self, dy):
        self.check_gradient(dy, self.output_shape(self._x_shape))
        xp = get_array_module(dy)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        n, c, h, w = self._x_shape
        dy = dy.reshape(n * c, dy.shape[2], dy.shape[3])
        drows = xp.zeros(self._col_index.shape, dtype=dy.dtype)
        dplanes = xp.zeros((n * c, h + 2 * ph, w + 2 * pw), dtype=dy.dtype)

        def route_planes(lo, hi):
            _route_back(dy[lo:hi], self._row_index[lo:hi], 1, kh, sh, drows[lo:hi])
            _route_back(drows[lo:hi], self._col_index[lo:hi], 2, kw, sw, dplanes[lo:hi])

        parallel(route_planes, n * c, xp)
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
