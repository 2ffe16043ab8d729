"""Max pooling (§3.4) by hand: one window at a time."""

import numpy

from ..windows import output_size, pair


def max_pool2d(x, kernel_size=3, stride=2, padding=0):
    """x (N, C, H, W) -> y (N, C, OH, OW): the largest input of each window (§3.4: z = 3,
    s = 2 overlaps the windows).

    Padding is -inf, so it never wins (a window always holds a real input: padding <= half
    the kernel).
    """
    x = numpy.asarray(x)
    winners = _winners(x, kernel_size, stride, padding)
    n, c, oh, ow = winners.shape[:4]
    y = numpy.empty((n, c, oh, ow), dtype=x.dtype)
    for b, ch, i, j in numpy.ndindex(n, c, oh, ow):
        r, q = winners[b, ch, i, j]
        y[b, ch, i, j] = x[b, ch, r, q]
    return y


def max_pool2d_backward(x, dy, kernel_size=3, stride=2, padding=0):
    """x (N, C, H, W), dy (N, C, OH, OW) -> dx (N, C, H, W), the gradient of
    :func:`max_pool2d` (§3.4).

    Each window's ``dy`` goes to its maximum; where several inputs tie, to the *first* of them
    in raster order (top row first, then left to right). An input that wins several
    overlapping windows collects all their gradients.
    """
    x, dy = numpy.asarray(x), numpy.asarray(dy)
    winners = _winners(x, kernel_size, stride, padding)
    dx = numpy.zeros_like(x, dtype=dy.dtype)
    for b, ch, i, j in numpy.ndindex(*dy.shape):
        r, q = winners[b, ch, i, j]
        dx[b, ch, r, q] += dy[b, ch, i, j]
    return dx


def _winners(x, kernel_size, stride, padding):
    """(N, C, OH, OW, 2): the (row, column) in x of each window's first maximum."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    winners = numpy.empty((n, c, oh, ow, 2), dtype=numpy.int64)
    for b, ch, i, j in numpy.ndindex(n, c, oh, ow):
        best = None
        for u in range(kh):                      # raster order: rows, then columns
            for v in range(kw):
                r, q = i * sh + u - ph, j * sw + v - pw
                inside = 0 <= r < h and 0 <= q < w
                if inside and (best is None or x[b, ch, r, q] > x[b, ch, best[0], best[1]]):
                    best = (r, q)                # strictly greater: a tie keeps the first
        winners[b, ch, i, j] = best
    return winners
