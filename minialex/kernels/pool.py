"""Max pooling, fast: two 1-D passes over contiguous memory, winners kept as int8.

Why it is fast:

* The max over a kh x kw window is the max over kh rows of the max over kw columns: two 1-D
  passes (kw - 1, then kh - 1 comparisons per output) instead of kh*kw - 1.
* Each pass runs over one long, contiguous 1-D array. NumPy's comparisons and maxima are
  several times slower on strided views (stride 2 here) than on contiguous ones, and slower
  still row by row on rows of 13 to 55 numbers. So the padded input is first split into its
  stride x stride *phases* (:class:`minialex.kernels.geometry.Geometry`, as for the wide
  im2col columns): in a phase, the element of offset k of every window is a plain shift of
  the flattened planes, ``k // stride`` numbers along (or rows of them). A window that runs
  off its row's end reads the next row; its output is one of the few spare ones, never read.
* Each pass keeps the offset of its winner as int8 (1 byte per output, not an 8-byte index).
  Taking the first maximum in each pass gives the first row holding the window's maximum,
  then the first column of that row holding it: exactly the first maximum in raster order,
  the rule the plain tier (``minialex.naive.max_pool2d_backward``) follows window by window.

Backward routes ``dy`` back through the same two passes. The (image, channel) planes are shared
out between the CPU cores (:mod:`minialex.kernels.threads`).

Shapes, with ``P = N * C`` planes and phase planes ``hq x wq`` (see ``Geometry``)::

    phases  (sh, sw, P, hq, wq)    the padded input, split by row and column phase
    columns (sh, P, hq, wq)        max over each window's columns, for each row phase
    rows    (P, hq, wq)            max over the window's rows too: y in its first OH x OW
"""

import numpy

from ..backend import get_array_module
from .dispatch import cuda_kernel
from .geometry import Geometry
from .threads import split_over_cores


class Winners:
    """Where each window's maximum was: int8 offsets of the column pass and of the row pass."""

    def __init__(self, columns, rows, x_shape, kernel_size, stride, padding):
        self.columns, self.rows, self.x_shape = columns, rows, x_shape
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding


def _shifts(kernel, stride, unit):
    """For each offset k of a 1-D window: its phase and its shift in the flattened phase."""
    return [(k % stride, (k // stride) * unit) for k in range(kernel)]


def _scratch(workspace, g, like):
    """The phases, the column maxima and the row maxima (or their gradients): scratch arrays
    in the workspace that the model's convolutions share, so they cost no memory of their own
    where the convolutions' columns are larger."""
    planes = g.n * g.c
    return workspace.parts("columns", [(g.sh, g.sw, planes, g.hq, g.wq),
                                       (g.sh, planes, g.hq, g.wq), (planes, g.hq, g.wq)],
                           like.dtype, like)


@cuda_kernel("max_pool")
def max_pool(x, kernel_size, stride, padding, workspace):
    """x (N, C, H, W) -> (y (N, C, OH, OW), :class:`Winners`). Padding is -inf. (On CuPy the
    fused kernel returns its own ``kernels.cuda.WindowWinners``, which only its backward reads.)"""
    xp = get_array_module(x)
    g = Geometry(x.shape, kernel_size, stride, padding)
    planes, plane = g.n * g.c, g.hq * g.wq
    phases, columns, rows = _scratch(workspace, g, x)
    column_winner = xp.empty(columns.shape, dtype=xp.int8)
    row_winner = xp.empty(rows.shape, dtype=xp.int8)
    x_planes = x.reshape(planes, g.h, g.w)
    by_column, by_row = _shifts(g.kw, g.sw, 1), _shifts(g.kh, g.sh, g.wq)

    def pool_planes(lo, hi):
        span = slice(lo * plane, hi * plane)
        for a, b, x_rows, x_cols, p_rows, p_cols in g.phases():
            _fill_phase(phases[a, b, lo:hi], x_planes[lo:hi, x_rows, x_cols], p_rows, p_cols)
        flat_phases = phases.reshape(g.sh, g.sw, -1)
        for a in range(g.sh):
            _max_along([flat_phases[a, b, span] for b in range(g.sw)], by_column,
                       columns[a].reshape(-1)[span], column_winner[a].reshape(-1)[span])
        _max_along([columns[a].reshape(-1)[span] for a in range(g.sh)], by_row,
                   rows.reshape(-1)[span], row_winner.reshape(-1)[span])

    split_over_cores(pool_planes, planes, xp)
    y = xp.ascontiguousarray(rows[:, :g.oh, :g.ow]).reshape(g.n, g.c, g.oh, g.ow)
    return y, Winners(column_winner, row_winner, x.shape, kernel_size, stride, padding)


@cuda_kernel("max_pool_backward")
def max_pool_backward(dy, winners, workspace):
    """dy (N, C, OH, OW) -> dx (N, C, H, W): each window's dy added at its winner."""
    xp = get_array_module(dy)
    g = Geometry(winners.x_shape, winners.kernel_size, winners.stride, winners.padding)
    planes, plane = g.n * g.c, g.hq * g.wq
    dphases, dcolumns, drows = _scratch(workspace, g, dy)
    drows[:, :g.oh, :g.ow] = dy.reshape(planes, g.oh, g.ow)
    drows[:, g.oh:] = 0                              # the spare outputs pass back nothing
    drows[:, :g.oh, g.ow:] = 0
    dx = xp.empty((planes, g.h, g.w), dtype=dy.dtype)
    by_column, by_row = _shifts(g.kw, g.sw, 1), _shifts(g.kh, g.sh, g.wq)

    def route_planes(lo, hi):
        span = slice(lo * plane, hi * plane)
        _route_back(drows.reshape(-1)[span], winners.rows.reshape(-1)[span], by_row,
                    [dcolumns[a].reshape(-1)[span] for a in range(g.sh)])
        flat_dphases = dphases.reshape(g.sh, g.sw, -1)
        for a in range(g.sh):
            _route_back(dcolumns[a].reshape(-1)[span], winners.columns[a].reshape(-1)[span],
                        by_column, [flat_dphases[a, b, span] for b in range(g.sw)])
        for a, b, x_rows, x_cols, p_rows, p_cols in g.phases():
            dx[lo:hi, x_rows, x_cols] = dphases[a, b, lo:hi, p_rows, p_cols]

    split_over_cores(route_planes, planes, xp)
    return dx.reshape(winners.x_shape)


def _fill_phase(phase, values, rows, cols):
    """One phase plane: ``values`` at ``[rows, cols]``, -inf around them (the padding)."""
    phase[:, :rows.start] = -numpy.inf
    phase[:, rows.stop:] = -numpy.inf
    phase[:, rows, :cols.start] = -numpy.inf
    phase[:, rows, cols.stop:] = -numpy.inf
    phase[:, rows, cols] = values


def _max_along(sources, shifts, best, index):
    """1-D max pooling over flattened phases: ``best[j] = max_k sources[phase_k][j + shift_k]``,
    with the offset k of the first maximum in ``index`` (int8). The last outputs, whose window
    would run past the end of ``sources``, are spare ones: set to -inf."""
    xp = get_array_module(best)
    count = len(best) - max(shift for _, shift in shifts)
    best[count:] = -numpy.inf
    index[count:] = 0
    best, index = best[:count], index[:count]
    for k, (phase, shift) in enumerate(shifts):
        candidate = sources[phase][shift:shift + count]
        if k == 0:
            best[...] = candidate
            index[...] = 0
            continue
        wins = candidate > best              # strict: a tie keeps the earlier element
        # index = k where wins: k is larger than every offset before it, so a maximum does
        # it without the slow, branchy masked copy
        xp.maximum(index, wins * numpy.int8(k), out=index)
        xp.maximum(best, candidate, out=best)


def _route_back(dy, index, shifts, targets):
    """Adjoint of :func:`_max_along`: ``targets[phase_k][j + shift_k]`` gets the sum of the
    ``dy[j]`` whose window's winner is offset k. The first offset of each phase (shift 0) writes
    its part, and only then do the others add to it, so ``targets`` need not be zeroed."""
    count = len(dy) - max(shift for _, shift in shifts)
    dy, index = dy[:count], index[:count]
    for phase in range(len(shifts), len(targets)):      # a window narrower than its stride
        targets[phase][...] = 0                         # skips these phases
    for k, (phase, shift) in enumerate(shifts):
        part = targets[phase][shift:shift + count]
        if shift == 0:
            get_array_module(dy).multiply(dy, index == k, out=part)
            targets[phase][count:] = 0
        else:
            part += dy * (index == k)
