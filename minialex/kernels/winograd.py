"""Winograd's minimal filtering: a stride-1 convolution with fewer multiplies.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016). For an ``m x m``
block of outputs of an ``r x r`` filter, F(m x m, r x r) reads an ``a x a`` tile of the input
(``a = m + r - 1``) and computes::

    Y = A^T [ (G W G^T) * (B^T D B) ] A          (* element by element, all matrices small)

``G W G^T`` and ``B^T D B`` are ``a x a``: the filter and the tile in the "Winograd domain",
where the convolution is an element-wise product. Summed over the input channels, each of the
``a*a`` positions (a *frequency* ``xi``) is a matrix product over the whole batch::

    U[xi] = (G W G^T)[xi]   (O, C)         V[xi] = (B^T D B)[xi]   (C, P = tiles)
    M[xi] = U[xi] V[xi]     (O, P)         Y = A^T M A, tile by tile

so a 3x3 convolution with F(2x2, 3x3) does 16 multiplies for every 4 outputs instead of 36
(2.25x fewer, in 16 GEMMs), and with F(4x4, 3x3), the one ``Conv2d`` uses, 36 for every 16
instead of 144 (4x fewer, in 36 GEMMs). The backward passes are the same products transposed::

    dM = A dY A^T     dU[xi] = dM[xi] V[xi]^T     dW = G^T dU G
                      dV[xi] = U[xi]^T dM[xi]     dD = B dV B^T, tiles summed where they overlap

The matrices, and the same algorithm one tile at a time, are in :mod:`minialex.naive.winograd`.

Speed: on the input side the transform is one small matrix applied to every tile at once, so
it is one GEMM over all the tiles of the batch: ``B^T D B`` for every tile ``D`` is
``kron(B^T, B^T)`` (a*a x a*a) times the tiles stacked as columns (a*a x C*P). Such a product
runs at the speed of memory, in one pass, where the same sums as whole-array additions took one
pass per entry (measured: 39 -> 22 ms for AlexNet's conv2). The tiles are gathered from the
padded input first (a*a strided copies). On the output side ``A^T`` has only m rows, and the
sums, columns then rows (:func:`combine`), measured faster than the GEMM (23 against 39 ms);
the m x m blocks are then scattered into y. The tiles keep the batch as their last, contiguous
axis (cuda-convnet's CHWN layout), so the copies move runs of N numbers, and the channels are
shared out between the cores.

Shapes, with tiles ``th x tw`` per image (``th = ceil(OH / m)``), ``P = th * tw * N``::

    planes  (C, Hp, Wp, N)   the padded input, Hp = m*th + r - 1
    D, V    (a, a, C, th, tw, N)     U  (a*a, G, O/G, C/G)     M  (a, a, O, th, tw, N)

Float32 error: the transforms add and subtract numbers of different sizes (larger tiles, larger
ones), so Winograd loses more than the direct product. Against float64, with 192 input maps,
the largest error relative to the largest output measured 6e-7 for F(2x2, 3x3), 1e-5 for
F(4x4, 3x3), 8e-6 for F(3x3, 5x5), and 4e-7 for the direct product
(``tests/kernels/test_winograd.py`` keeps them below a few times that).
"""

import numpy

from ..backend import get_array_module
from ..naive.winograd import transform_matrices  # noqa: F401  (the kernel's matrices)
from .threads import split_over_cores


class Tiles:
    """The tile grid of one stride-1 convolution, computed once from the input shape."""

    def __init__(self, x_shape, m, r, padding):
        self.n, self.c, self.h, self.w = x_shape
        self.m, self.r, self.a = m, r, m + r - 1
        self.ph, self.pw = padding
        self.oh, self.ow = self.h + 2 * self.ph - r + 1, self.w + 2 * self.pw - r + 1
        self.th, self.tw = -(-self.oh // m), -(-self.ow // m)
        self.hp, self.wp = m * self.th + r - 1, m * self.tw + r - 1   # >= the padded input
        self.count = self.th * self.tw * self.n                       # P, the GEMM's columns

    def tile(self, i, j):
        """Element (i, j) of every tile: its rows and columns of the padded input."""
        return (slice(i, i + self.m * self.th, self.m), slice(j, j + self.m * self.tw, self.m))

    def output_block(self, a, b):
        """Output pixels ``(m*ty + a, m*tx + b)``: their slices of y, and how many there are."""
        rows, cols = slice(a, self.oh, self.m), slice(b, self.ow, self.m)
        return rows, cols, len(range(a, self.oh, self.m)), len(range(b, self.ow, self.m))


def tiles_shape(t):
    """The shape of V, the transformed input tiles: (a, a, C, th, tw, N)."""
    return (t.a, t.a, t.c, t.th, t.tw, t.n)


def buffers(workspace, t, outputs, dtype, like, V=None):
    """The arrays of one Winograd convolution, carved from the two buffers that the direct
    convolutions of the model use too ("columns" and "dy"), so Winograd adds no memory where
    those are larger. ``V``: an array of :func:`tiles_shape` to use as V instead (a layer that
    keeps V from forward to backward owns it). Returns a dict of views::

        V       (a, a, C, th, tw, N)    the transformed tiles, then their gradient dV
        M       (a, a, O, th, tw, N)    U V, then the output gradient dM
        planes  (C, Hp, Wp, N)          the padded input, then its gradient
        D       (a, a, C, th, tw, N)    the tiles, then their gradient
        half    (a, m, O, th, tw, N)    the output transform, half done (columns only)
        out     (m, m, O, th, tw, N)    the output blocks, then their gradient

    ``half`` and ``out`` share memory with ``planes`` and ``D``: never needed at once.
    """
    grid = (t.th, t.tw, t.n)
    planes_size, tiles_size = t.c * t.hp * t.wp * t.n, t.a * t.a * t.c * t.count
    half_size, out_size = t.a * t.m * outputs * t.count, t.m * t.m * outputs * t.count
    shapes = [(max(planes_size + tiles_size, half_size + out_size),)]
    if V is None:
        V, scratch = workspace.parts("columns", [tiles_shape(t)] + shapes, dtype, like)
    else:
        (scratch,) = workspace.parts("columns", shapes, dtype, like)
    return dict(
        V=V, M=workspace.get("dy", (t.a, t.a, outputs) + grid, dtype, like),
        planes=scratch[:planes_size].reshape(t.c, t.hp, t.wp, t.n),
        D=scratch[planes_size:planes_size + tiles_size].reshape((t.a, t.a, t.c) + grid),
        half=scratch[:half_size].reshape((t.a, t.m, outputs) + grid),
        out=scratch[half_size:half_size + out_size].reshape((t.m, t.m, outputs) + grid))


def transform(matrix, tiles, out):
    """``out[k, s] = sum_ij matrix[k, i] * matrix[s, j] * tiles[i, j]`` for every tile at once:
    one GEMM with ``kron(matrix, matrix)``. ``tiles`` (b, b, ...) -> ``out`` (k, k, ...)."""
    xp = get_array_module(tiles)
    kron = xp.asarray(numpy.kron(matrix, matrix), dtype=tiles.dtype)
    xp.matmul(kron, tiles.reshape(kron.shape[1], -1), out=out.reshape(kron.shape[0], -1))
    return out


def combine(matrix, terms, out):
    """``out[i] = sum_k matrix[i, k] * terms[k]`` for small, sparse ``matrix``: one whole-array
    operation per non-zero entry (a +-1 entry is an add or a subtract)."""
    for i, row in enumerate(matrix):
        write_sum(out[i], [(float(c), term) for c, term in zip(row, terms) if c != 0])


def write_sum(out, entries):
    """``out[...] = sum c * t`` over the ``(c, t)`` in ``entries``."""
    xp = get_array_module(out)
    (first, t0), rest = entries[0], entries[1:]
    if first == 1.0 and rest and abs(rest[0][0]) == 1.0:
        (xp.add if rest[0][0] > 0 else xp.subtract)(t0, rest[0][1], out=out)
        rest = rest[1:]
    elif first == 1.0:
        out[...] = t0
    else:
        xp.multiply(t0, first, out=out)
    accumulate(out, rest)


def accumulate(out, entries):
    """``out += sum c * t`` over the ``(c, t)`` in ``entries``, in place."""
    xp = get_array_module(out)
    for c, t in entries:
        if c == 1.0:
            xp.add(out, t, out=out)
        elif c == -1.0:
            xp.subtract(out, t, out=out)
        else:
            out += c * t


def weight_tiles(weight, G, groups):
    """W (O, C/G, r, r) -> U = G W G^T as (a*a, G, O/G, C/G): one small GEMM."""
    xp = get_array_module(weight)
    o, cg, r, _ = weight.shape
    kron = xp.asarray(numpy.kron(G, G), dtype=weight.dtype)          # (a*a, r*r)
    return xp.matmul(kron, weight.reshape(o * cg, r * r).T).reshape(-1, groups, o // groups, cg)


def weight_gradient(du, G, weight_shape):
    """dU (a*a, G, O/G, C/G) -> dW = G^T dU G, (O, C/G, r, r): the adjoint of weight_tiles."""
    xp = get_array_module(du)
    kron = xp.asarray(numpy.kron(G, G), dtype=du.dtype)
    return xp.matmul(du.reshape(kron.shape[0], -1).T, kron).reshape(weight_shape)


def input_tiles(x, t, BT, buf):
    """x (N, C, H, W) -> V = B^T D B for every tile D, (a*a, C, P)."""
    xp = get_array_module(x)
    planes, D = buf["planes"], buf["D"]
    inside_h, inside_w = slice(t.ph, t.ph + t.h), slice(t.pw, t.pw + t.w)
    x_chwn = x.transpose(1, 2, 3, 0)

    def gather_channels(lo, hi):
        p = planes[lo:hi]
        p[:, :t.ph] = 0                      # the zero padding (the buffer is shared: refill)
        p[:, t.ph + t.h:] = 0
        p[:, inside_h, :t.pw] = 0
        p[:, inside_h, t.pw + t.w:] = 0
        p[:, inside_h, inside_w] = x_chwn[lo:hi]
        for i in range(t.a):
            for j in range(t.a):
                D[i, j, lo:hi] = p[(slice(None),) + t.tile(i, j)]

    split_over_cores(gather_channels, t.c, xp)
    return transform(BT, D, buf["V"]).reshape(t.a * t.a, t.c, t.count)


def output_images(M, t, AT, bias, buf):
    """M (a*a, O, P) -> y = A^T M A + bias, (N, O, OH, OW): columns, then rows."""
    xp = get_array_module(M)
    o = M.shape[1]
    M = M.reshape(t.a, t.a, o, t.th, t.tw, t.n)
    half, tiles = buf["half"], buf["out"]
    y = xp.empty((t.n, o, t.oh, t.ow), dtype=M.dtype)
    y_chwn = y.transpose(1, 2, 3, 0)

    def transform_maps(lo, hi):
        for k in range(t.a):
            combine(AT, [M[k, s, lo:hi] for s in range(t.a)], half[k, :, lo:hi])
        for b in range(t.m):
            combine(AT, [half[k, b, lo:hi] for k in range(t.a)], tiles[:, b, lo:hi])
        for a in range(t.m):
            for b in range(t.m):
                rows, cols, nr, nc = t.output_block(a, b)
                xp.add(tiles[a, b, lo:hi, :nr, :nc], bias[lo:hi, None, None, None],
                       out=y_chwn[lo:hi, rows, cols])

    split_over_cores(transform_maps, o, xp)
    return y


def output_gradient_tiles(dy, t, AT, buf):
    """dy (N, O, OH, OW) -> dM = A dY A^T, (a*a, O, P): the adjoint of output_images."""
    xp = get_array_module(dy)
    o = dy.shape[1]
    tiles, dM = buf["out"], buf["M"]
    half = buf["half"].reshape((t.m, t.a) + buf["half"].shape[2:])
    dy_chwn = dy.transpose(1, 2, 3, 0)

    def transform_maps(lo, hi):
        for a in range(t.m):
            for b in range(t.m):
                rows, cols, nr, nc = t.output_block(a, b)
                block = tiles[a, b, lo:hi]
                block[:, nr:] = 0                  # tiles past the image's edge: no gradient
                block[:, :nr, nc:] = 0
                block[:, :nr, :nc] = dy_chwn[lo:hi, rows, cols]
        for a in range(t.m):
            combine(AT.T, [tiles[a, b, lo:hi] for b in range(t.m)], half[a, :, lo:hi])
        for s in range(t.a):
            combine(AT.T, [half[a, s, lo:hi] for a in range(t.m)], dM[:, s, lo:hi])

    split_over_cores(transform_maps, o, xp)
    return dM.reshape(t.a * t.a, o, t.count)


def input_gradient(dV, t, BT, buf):
    """dV (a*a, C, P) -> dx (N, C, H, W): dD = B dV B^T, each tile summed back onto the image
    where it came from (tiles overlap by r - 1 rows and columns). The adjoint of input_tiles."""
    xp = get_array_module(dV)
    dD = transform(BT.T, dV.reshape(buf["D"].shape), buf["D"])
    dplanes = buf["planes"]
    dx = xp.empty((t.n, t.c, t.h, t.w), dtype=dV.dtype)
    dx_chwn = dx.transpose(1, 2, 3, 0)
    every = slice(None)

    def scatter_channels(lo, hi):
        p = dplanes[lo:hi]
        # The first m x m tile elements of all tiles cover the planes up to (m*th, m*tw)
        # exactly once: write those, zero the rest, then add the overlapping ones.
        p[:, t.m * t.th:] = 0
        p[:, :, t.m * t.tw:] = 0
        for i in range(t.a):
            for j in range(t.a):
                window = p[(every,) + t.tile(i, j)]
                if i < t.m and j < t.m:
                    window[...] = dD[i, j, lo:hi]
                else:
                    window += dD[i, j, lo:hi]
        dx_chwn[lo:hi] = p[:, t.ph:t.ph + t.h, t.pw:t.pw + t.w]

    split_over_cores(scatter_channels, t.c, xp)
    return dx
