"""The convolution's machinery: columns in a shared workspace, GEMM layouts, the bias pass.

``minialex.layers.Conv2d`` says what a convolution computes (``Y_g = W_g X_g``, its three
gradients); these functions arrange the memory so that it is fast:

* the columns ``X`` are the *wide* columns of :mod:`minialex.kernels.im2col` (one long copy
  per kernel offset instead of thousands of short rows), kept in a :class:`Workspace` that all
  convolutions of a model share, so the network holds only its largest columns, once, and
  reuses them every step without page faults;
* ``Y`` comes out of the GEMM as (O, N, OH, Wq) rows; one pass adds the bias, drops the
  wrapped columns and restores NCHW order (a plain ``y + bias`` would keep the transposed
  memory order, and every later layer would pay for it);
* backward writes the column gradient into the spent columns' buffer, and the weight
  gradient into last step's weight-gradient array, so a training step allocates no new
  large arrays.

Shapes, with G groups, K_g = C/G * kh * kw, P = N * OH * Wq (Wq >= OW: the wide rows)::

    X   (G, K_g, P)     W   (G, O/G, K_g)     Y, dY   (G, O/G, P)
"""

from ..backend import get_array_module
from .geometry import Geometry
from .im2col import col2im_wide, im2col_wide
from .workspace import reusable


def columns(x, kernel_size, stride, padding, groups, workspace):
    """x (N, C, H, W) -> (X (G, K_g, P), geometry): every window as a column, per group."""
    geometry = Geometry(x.shape, kernel_size, stride, padding)
    buffer = workspace.get("columns", geometry.wide_shape, x.dtype, like=x)
    wide, _ = im2col_wide(x, kernel_size, stride, padding, out=buffer)
    return wide.reshape(groups, -1, geometry.n * geometry.oh * geometry.wq), geometry


def to_images(y_rows, geometry, bias):
    """Y (G, O/G, P) -> y (N, O, OH, OW) = Y + bias, in one pass over memory."""
    xp = get_array_module(y_rows)
    g, n = geometry, geometry.n
    o = y_rows.shape[0] * y_rows.shape[1]
    y = y_rows.reshape(o, n, g.oh, g.wq)[..., :g.ow].transpose(1, 0, 2, 3)
    out = xp.empty((n, o, g.oh, g.ow), dtype=y_rows.dtype)
    return xp.add(y, bias.reshape(1, o, 1, 1), out=out)


def from_images(dy, geometry, groups, workspace):
    """dy (N, O, OH, OW) -> dY (G, O/G, P): the layout of Y, zero in the wrapped columns
    (which produced no output). Kept in the workspace."""
    g = geometry
    o = dy.shape[1]
    rows = workspace.get("dy", (o, g.n, g.oh, g.wq), dy.dtype, like=dy)
    rows[..., g.ow:] = 0
    rows[..., :g.ow] = dy.transpose(1, 0, 2, 3)
    return rows.reshape(groups, o // groups, -1)


def weight_gradient(dy_rows, cols, weight_shape, previous=None):
    """dW_g = dY_g X_g^T for each group: (G, O/G, P) x (G, K_g, P) -> weight_shape.

    One 2-D GEMM per group (a batched product with a transposed operand would make some array
    libraries copy the columns), written into ``previous`` when it fits (last step's gradient).
    """
    xp = get_array_module(dy_rows)
    dweight = reusable(previous, weight_shape, dy_rows.dtype, like=dy_rows)
    grouped = dweight.reshape(dy_rows.shape[0], dy_rows.shape[1], -1)
    for group in range(dy_rows.shape[0]):
        xp.matmul(dy_rows[group], cols[group].T, out=grouped[group])
    return dweight


def input_gradient(weight_rows, dy_rows, spent_cols, geometry):
    """dx = col2im(W_g^T dY_g): (G, O/G, K_g), (G, O/G, P) -> (N, C, H, W).

    The column gradient is written into ``spent_cols``, the buffer of the columns that the
    weight gradient has just used, then summed back onto the image by col2im.
    """
    xp = get_array_module(dy_rows)
    dcols = xp.matmul(weight_rows.transpose(0, 2, 1), dy_rows, out=spent_cols)
    return col2im_wide(dcols, geometry)
