"""Max pooling, overlapping as in the paper (§3.4: z = 3, s = 2)."""

from ..backend import on_input_device
from ..kernels import pool as kernels
from ..kernels.workspace import Workspace
from ..validate import integers
from ..windows import check_fits, output_size, pair
from .base import Layer


class MaxPool2d(Layer):
    """Max over each ``kernel_size`` window, moved by ``stride``; overlapping when stride < kernel.

    Shapes::

        x (N, C, H, W) -> y (N, C, OH, OW),  OH = (H + 2*padding - kh) // stride + 1

    Forward: ``y[n, c, i, j] = max of x over window (i, j)``; padding is -inf, so it never wins.
    Backward: each window's ``dy`` goes to the input that won it, and to no other. Where several
    inputs tie for a window's maximum, the winner is the *first* of them in raster order (top
    row first, then left to right), as in PyTorch.

    The plain version is ``minialex.naive.max_pool2d`` / ``max_pool2d_backward``, one window at
    a time; :mod:`minialex.kernels.pool` computes the same as two 1-D passes. Their scratch
    arrays live in ``workspace``, the one the model's convolutions share (see ``Conv2d``).
    """

    def __init__(self, kernel_size=3, stride=2, padding=0, *, workspace=None):
        super().__init__()
        self.workspace = Workspace() if workspace is None else workspace
        self.kernel_size = integers(pair(kernel_size), "kernel_size", "MaxPool2d", minimum=1)
        self.stride = integers(pair(stride), "stride", "MaxPool2d", minimum=1)
        self.padding = integers(pair(padding), "padding", "MaxPool2d", minimum=0)
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        if not (ph <= kh // 2 and pw <= kw // 2):
            raise ValueError(f"MaxPool2d: padding must be between 0 and half the kernel, got "
                             f"{padding!r} (a window of padding alone would have no maximum)")
        if max(kh, kw) > 127:
            raise ValueError("MaxPool2d: kernel_size above 127 is not supported (int8 indices)")

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
        check_fits(self, x.shape, self.kernel_size, self.padding)
        y, winners = kernels.max_pool(x, self.kernel_size, self.stride, self.padding,
                                      self.workspace)
        self.save_for_backward(winners)
        return y

    @on_input_device
    def backward(self, dy):
        (winners,) = self.saved()
        self.check_gradient(dy, self.output_shape(winners.x_shape))
        return kernels.max_pool_backward(dy, winners, self.workspace)   # dy to each winner
