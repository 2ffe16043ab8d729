"""Conv2d: the convolutional layers of §3.5, with the paper's groups (Figure 2)."""

from ..backend import get_array_module, on_input_device
from ..im2col import col2im, im2col, output_size, pair
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
    the whole batch), ``db = sum of dy``, ``dx = col2im(W_g.T @ dy_g)``.
    The columns are kept from forward to backward: memory for speed.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, *,
                 weight_std=None, bias_init=0.0, dtype="float32", seed=None):
        super().__init__()
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

    @on_input_device
    def forward(self, x):
        self.check_input(x, 4, self.in_channels)
        n, _, h, w = x.shape
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        if kh > h + 2 * ph or kw > w + 2 * pw:
            raise ValueError(f"{self}: kernel {kh}x{kw} is larger than the padded input "
                             f"{h + 2 * ph}x{w + 2 * pw} (input shape {tuple(x.shape)})")
        xp = get_array_module(x)
        g = self.groups
        cols = im2col(x, self.kernel_size, self.stride, self.padding)
        _, _, _, _, oh, ow = cols.shape
        cols = cols.reshape(g, -1, n * oh * ow)                      # (G, K_g, N*P)
        weight = self.params["weight"].reshape(g, self.out_channels // g, -1)  # (G, O_g, K_g)
        y = xp.matmul(weight, cols)                                   # (G, O_g, N*P)
        y = y.reshape(self.out_channels, n, oh, ow).transpose(1, 0, 2, 3)
        y = y + self.params["bias"].reshape(1, -1, 1, 1)             # also makes y NCHW-contiguous
        self._cache = (x.shape, cols)
        return y

    @on_input_device
    def backward(self, dy):
        x_shape, cols = self._cache
        self.check_gradient(dy, self.output_shape(x_shape))
        xp = get_array_module(dy)
        g, o = self.groups, self.out_channels
        n, _, oh, ow = dy.shape
        self.grads["bias"] = dy.sum(axis=(0, 2, 3))
        # (N, O, OH, OW) -> (G, O_g, N*P): the one copy of dy that puts the batch beside the pixels.
        dy_g = xp.ascontiguousarray(dy.transpose(1, 0, 2, 3)).reshape(g, o // g, n * oh * ow)
        dweight = xp.matmul(dy_g, cols.transpose(0, 2, 1))           # (G, O_g, K_g)
        self.grads["weight"] = dweight.reshape(self.params["weight"].shape)
        weight = self.params["weight"].reshape(g, o // g, -1)
        dcols = xp.matmul(weight.transpose(0, 2, 1), dy_g)           # (G, K_g, N*P)
        kh, kw = self.kernel_size
        dcols = dcols.reshape(self.in_channels, kh, kw, n, oh, ow)
        return col2im(dcols, x_shape, self.kernel_size, self.stride, self.padding)
