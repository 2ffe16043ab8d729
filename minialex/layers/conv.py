"""Conv2d: the convolutional layers of §3.5, with the paper's groups (Figure 2)."""

import math

from ..backend import get_array_module, on_input_device
from ..im2col import Geometry, Workspace, col2im_wide, im2col_wide, output_size, pair
from .base import Layer, check_positive_ints, init_params


class Conv2d(Layer):
    """2-D convolution (cross-correlation, as in every deep-learning library) with groups.

    Shapes::

        x       (N, C_in, H, W)
        weight  (C_out, C_in / groups, kh, kw)        bias (C_out,)
        y       (N, C_out, OH, OW)   OH = (H + 2*padding - kh) // stride + 1

    ``y[n, o] = bias[o] + sum_{c in group(o)} weight[o, c] * xpad[n, c]`` over each window.
    With ``groups=2`` the first half of the output maps sees only the first half of the input
    maps: the paper's two GPUs (§3.2, Figure 2) as one layer.

    Forward: ``cols = im2col(x)`` of shape ``(C_in*kh*kw, N*OH*OW)``, then per group one GEMM
    ``W_g (C_out/G, C_in/G*kh*kw) @ cols_g``. Backward: ``dW_g = dy_g @ cols_g.T`` (one GEMM over
    the whole batch), ``db = sum of dy``, ``dx = col2im(W_g.T @ dy_g)``. The columns are the
    "wide" ones of ``minialex.im2col`` (a few wrapped columns per row, dropped from y).

    Memory: the columns are the biggest arrays of the whole network (230 MB for AlexNet's
    conv2 at batch 32), so they are not kept from forward to backward: backward recomputes
    them (a copy, a few percent of the layer's time), and then overwrites them with the column
    gradient. They live in ``workspace`` (a :class:`minialex.im2col.Workspace`): the models
    give all their convolutions on one device the same one, so the network needs the memory
    of its largest columns only, once, reused every step. By default each layer has its own.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, *,
                 weight_std=None, bias_init=0.0, dtype="float32", seed=None, workspace=None):
        super().__init__()
        self.workspace = Workspace() if workspace is None else workspace
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = pair(kernel_size), pair(stride), pair(padding)
        self.groups = groups
        check_positive_ints(self, in_channels=in_channels, out_channels=out_channels,
                            kernel_size=self.kernel_size, stride=self.stride, groups=groups)
        if min(self.padding) < 0:
            raise ValueError(f"{self}: padding must be >= 0, got {padding!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{self}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        kh, kw = self.kernel_size
        init_params(self, (out_channels, in_channels // groups, kh, kw),
                    fan_in=in_channels // groups * kh * kw, weight_std=weight_std,
                    bias_init=bias_init, dtype=dtype, seed=seed)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text

    def output_shape(self, x_shape):
        n, _, h, w = x_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (n, self.out_channels, output_size(h, kh, sh, ph), output_size(w, kw, sw, pw))

    def multiply_adds(self, x_shape):
        kh, kw = self.kernel_size
        return math.prod(self.output_shape(x_shape)) * (self.in_channels // self.groups) * kh * kw

    @on_input_device
    def forward(self, x):
        self.check_input(x, 4, self.in_channels)
        n, _, h, w = x.shape
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        if kh > h + 2 * ph or kw > w + 2 * pw:
            raise ValueError(f"{self}: kernel {kh}x{kw} is larger than the padded input "
                             f"{h + 2 * ph}x{w + 2 * pw} (input shape {tuple(x.shape)})")
        xp = get_array_module(x)
        groups, o = self.groups, self.out_channels
        cols, geo = self._columns(x)
        weight = self.params["weight"].reshape(groups, o // groups, -1)      # (G, O_g, K_g)
        y = xp.matmul(weight, cols.reshape(groups, weight.shape[2], -1))    # (G, O_g, N*OH*Wq)
        y = y.reshape(o, n, geo.oh, geo.wq)[..., :geo.ow].transpose(1, 0, 2, 3)
        self._x = x
        # One pass adds the bias, drops the wrapped columns and restores NCHW order. (A plain
        # `y + bias` would keep the transposed memory order of y.)
        out = xp.empty((n, o, geo.oh, geo.ow), dtype=x.dtype)
        return xp.add(y, self.params["bias"].reshape(1, o, 1, 1), out=out)

    @on_input_device
    def backward(self, dy):
        self.check_gradient(dy, self.output_shape(self._x.shape))
        xp = get_array_module(dy)
        groups, o = self.groups, self.out_channels
        cols, geo = self._columns(self._x)   # recomputed: cheaper than keeping them (see above)
        self.grads["bias"] = dy.sum(axis=(0, 2, 3))
        # dy as wide rows (O, N, OH, Wq): zero in the wrapped columns, which had no output.
        dy_wide = self.workspace.get("dy", (o, geo.n, geo.oh, geo.wq), dy.dtype, like=dy)
        dy_wide[..., geo.ow:] = 0
        dy_wide[..., :geo.ow] = dy.transpose(1, 0, 2, 3)
        dy_wide = dy_wide.reshape(groups, o // groups, -1)                   # (G, O_g, N*OH*Wq)
        cols = cols.reshape(groups, -1, dy_wide.shape[2])                   # (G, K_g, N*OH*Wq)
        dweight = self.reusable(self.grads.get("weight"), self.params["weight"].shape,
                                dy.dtype, xp)
        xp.matmul(dy_wide, cols.transpose(0, 2, 1),                          # (G, O_g, K_g)
                  out=dweight.reshape(groups, o // groups, -1))
        self.grads["weight"] = dweight
        # The columns are spent: their buffer takes the column gradient.
        weight = self.params["weight"].reshape(groups, o // groups, -1)
        xp.matmul(weight.transpose(0, 2, 1), dy_wide, out=cols)
        return col2im_wide(cols, geo)

    def _columns(self, x):
        """The wide columns of ``x``, in the workspace's buffer."""
        geo = Geometry(x.shape, self.kernel_size, self.stride, self.padding)
        buffer = self.workspace.get("columns", geo.wide_shape, x.dtype, like=x)
        return im2col_wide(x, self.kernel_size, self.stride, self.padding, out=buffer)
