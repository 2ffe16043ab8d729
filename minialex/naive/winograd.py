"""Winograd's convolution (Lavin & Gray, 2016) by hand: one tile at a time.

The same numbers as :func:`minialex.naive.conv2d` for a stride-1, r x r kernel, computed the
way ``Conv2d(algorithm="winograd")`` does, but written out tile by tile so that each line can
be checked by hand. For every ``m x m`` block of outputs, every output map ``o`` and every input
map ``c`` of its group, with ``d`` the ``a x a`` input tile under the block (``a = m + r - 1``)::

    y_block[o] += A^T [ (G w[o, c] G^T) * (B^T d B) ] A        (* element by element)

Why it computes a convolution: in 1-D, ``A^T ((G g) * (B^T d))`` is the correlation of the
filter ``g`` with the signal ``d`` (m outputs); applied along the rows and then the columns of
the tile, it is the 2-D correlation. The multiplies in the middle are ``a*a`` per block
instead of ``m*m*r*r``: 16 instead of 36 for F(2x2, 3x3).

Where the matrices come from: Cook-Toom. Convolving two polynomials is multiplying them; the
product, of degree ``a - 2``, is known from its values at ``a - 1`` points plus its leading
coefficient (the "point at infinity"). ``G`` evaluates the filter's polynomial at those points
(divided by a constant per point, which ``A^T`` would otherwise carry), ``A^T`` holds the
powers of the points, and ``B^T`` is then the only matrix for which the 1-D identity holds for
every ``g`` and ``d``: :func:`transform_matrices` solves for it (a linear system) instead of
typing it in, and the tests check the identity.
"""

import functools

import numpy

from ..windows import pair
from .conv import _group_maps

# The interpolation points: the small integers first (exact in float32), then 1/2.
POINTS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)


@functools.lru_cache(maxsize=None)
def transform_matrices(m, r):
    """``(AT, G, BT)`` of F(m, r) as float64 arrays: ``AT`` (m, a), ``G`` (a, r), ``BT`` (a, a).

    For a 1-D signal ``d`` (a numbers) and filter ``g`` (r numbers),
    ``AT @ ((G @ g) * (BT @ d))`` is the correlation ``y[i] = sum_k g[k] d[i + k]``, i < m.
    """
    a = m + r - 1
    if a - 1 > len(POINTS):
        raise ValueError(f"winograd: F({m}, {r}) needs {a - 1} points, only {len(POINTS)} known")
    points = numpy.array(POINTS[:a - 1])
    AT = numpy.zeros((m, a))
    AT[:, :-1] = points ** numpy.arange(m)[:, None]
    AT[m - 1, -1] = 1.0                              # the point at infinity
    G = numpy.zeros((a, r))
    for j, p in enumerate(points):
        G[j] = p ** numpy.arange(r) / numpy.prod([p - q for q in points if q != p])
    G[-1, r - 1] = 1.0
    # BT: the identity must hold for every g and d, so sum_xi AT[i, xi] G[xi, k] BT[xi, l]
    # must be 1 where l = i + k and 0 elsewhere. That is linear in BT: solve it.
    system = numpy.einsum("ix,xk->ikx", AT, G).reshape(m * r, a)
    target = numpy.zeros((m * r, a))
    for i in range(m):
        for k in range(r):
            target[i * r + k, i + k] = 1.0
    BT, *_ = numpy.linalg.lstsq(system, target, rcond=None)
    # Its entries are exact multiples of a power of two (the points are integers and halves):
    # round away the solver's last bits, so that 1 is 1 (the kernels add rather than multiply
    # for +-1), and check that the identity still holds exactly enough.
    BT = numpy.round(BT * 1024) / 1024
    if not numpy.allclose(system @ BT, target, rtol=0, atol=1e-12):
        raise ValueError(f"winograd: F({m}, {r}) has no exact B^T on these points")
    for matrix in (AT, G, BT):
        matrix += 0.0                       # -0.0 (from the solver) prints as 0.0
        matrix.flags.writeable = False      # cached and shared: nobody may change them
    return AT, G, BT


def winograd_conv2d(x, weight, bias, padding=0, groups=1, m=2):
    """x (N, C, H, W), weight (O, C/groups, r, r), bias (O,) -> y (N, O, OH, OW), stride 1,
    by F(m x m, r x r), one tile at a time."""
    x, weight = numpy.asarray(x), numpy.asarray(weight)
    xpad, (AT, G, BT), (th, tw), (oh, ow) = _setup(x, weight, padding, m)
    y = numpy.zeros((x.shape[0], weight.shape[0], m * th, m * tw), dtype=x.dtype)
    for block, pairs in _tiles(x.shape[0], weight, groups, m, th, tw):
        for kernel, tile in pairs:
            U = G @ weight[kernel] @ G.T                  # the filter, transformed
            V = BT @ xpad[tile] @ BT.T                    # the tile, transformed
            y[block] += AT @ (U * V) @ AT.T               # back to m x m outputs
    return y[:, :, :oh, :ow] + numpy.asarray(bias).reshape(1, -1, 1, 1)


def winograd_conv2d_backward(x, weight, dy, padding=0, groups=1, m=2):
    """The gradients (dx, dweight, dbias) of :func:`winograd_conv2d`, tile by tile: every line
    of the forward loop, run backwards. With ``M = U * V`` and ``block = A^T M A``::

        dM = A dblock A^T     dU = dM * V  ->  dw += G^T dU G
                              dV = dM * U  ->  dd  = B dV B^T, added onto the tile's pixels
    """
    x, weight, dy = numpy.asarray(x), numpy.asarray(weight), numpy.asarray(dy)
    xpad, (AT, G, BT), (th, tw), (oh, ow) = _setup(x, weight, padding, m)
    (ph, pw), (h, w) = pair(padding), x.shape[2:]
    dy_full = numpy.zeros((x.shape[0], weight.shape[0], m * th, m * tw), dtype=dy.dtype)
    dy_full[:, :, :oh, :ow] = dy                          # no gradient past the edge
    dxpad, dweight = numpy.zeros_like(xpad), numpy.zeros_like(weight)
    for block, pairs in _tiles(x.shape[0], weight, groups, m, th, tw):
        dM = AT.T @ dy_full[block] @ AT
        for kernel, tile in pairs:
            U = G @ weight[kernel] @ G.T
            V = BT @ xpad[tile] @ BT.T
            dweight[kernel] += G.T @ (dM * V) @ G
            dxpad[tile] += BT.T @ (dM * U) @ BT
    return dxpad[:, :, ph:ph + h, pw:pw + w], dweight, dy.sum(axis=(0, 2, 3))


def _tiles(n, weight, groups, m, th, tw):
    """Every m x m output block, as ``(block, pairs)``: its index in the output, and for each
    input map of its group the kernel's index and the index of the input tile under it."""
    o, per_group, r = weight.shape[:3]
    a = m + r - 1
    for b in range(n):
        for out_map in range(o):
            maps = _group_maps(out_map, o // groups, per_group)
            for ty in range(th):
                for tx in range(tw):
                    rows, cols = slice(m * ty, m * ty + m), slice(m * tx, m * tx + m)
                    under = (slice(m * ty, m * ty + a), slice(m * tx, m * tx + a))
                    yield (b, out_map, rows, cols), [
                        ((out_map, k), (b, maps.start + k) + under) for k in range(per_group)]


def _setup(x, weight, padding, m):
    """The padded input (zeros to cover every tile), the matrices, the tile and output counts."""
    (ph, pw), r = pair(padding), weight.shape[2]
    n, c, h, w = x.shape
    oh, ow = h + 2 * ph - r + 1, w + 2 * pw - r + 1
    th, tw = -(-oh // m), -(-ow // m)
    xpad = numpy.zeros((n, c, m * th + r - 1, m * tw + r - 1), dtype=x.dtype)
    xpad[:, :, ph:ph + h, pw:pw + w] = x
    AT, G, BT = (matrix.astype(x.dtype) for matrix in transform_matrices(m, r))
    return xpad, (AT, G, BT), (th, tw), (oh, ow)
