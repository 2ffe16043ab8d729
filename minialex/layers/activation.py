"""Element-wise nonlinearities: ReLU (§3.1) and, for Figure 1's comparison, tanh."""

from ..backend import get_array_module, on_input_device
from .base import Layer


class ReLU(Layer):
    """``y = max(x, 0)`` (§3.1: Rectified Linear Units, f(x) = max(0, x)).

    Shapes: any; y has x's shape. Backward: ``dx = dy * (x > 0)``; at exactly 0 the gradient
    is taken as 0, the subgradient PyTorch uses too.
    """

    @on_input_device
    def forward(self, x):
        self.check_input(x, layout="(any shape)")
        y = get_array_module(x).maximum(x, 0)
        # y > 0 exactly where x > 0. Keeping y (which the next layer keeps anyway) instead of a
        # mask saves memory and a pass; like every saved output, y must not be edited in place.
        self.save_for_backward(y)
        return y

    @on_input_device
    def backward(self, dy):
        (y,) = self.saved()
        self.check_gradient(dy, y.shape)
        return dy * (y > 0)


class Tanh(Layer):
    """``y = tanh(x)``: the saturating unit the paper compares ReLU against (Figure 1).

    Shapes: any; y has x's shape. Backward: ``dx = dy * (1 - y**2)``.
    """

    @on_input_device
    def forward(self, x):
        self.check_input(x, layout="(any shape)")
        y = get_array_module(x).tanh(x)
        self.save_for_backward(y)
        return y

    @on_input_device
    def backward(self, dy):
        (y,) = self.saved()
        self.check_gradient(dy, y.shape)
        return dy * (1 - y * y)
