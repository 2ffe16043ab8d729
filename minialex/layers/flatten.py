"""Flatten: the seam between conv5's pooled maps and fc6."""

import math

from ..backend import on_input_device
from .base import Layer


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W), in C order as PyTorch flattens, so fc6 weights exchange.

    Backward reshapes the gradient back to the input's shape.
    """

    def output_shape(self, x_shape):
        return (x_shape[0], math.prod(x_shape[1:]))

    @on_input_device
    def forward(self, x):
        self.check_input(x, layout="(N, ...) with a batch axis", min_ndim=2)
        self.save_for_backward(x.shape)
        return x.reshape(x.shape[0], -1)

    @on_input_device
    def backward(self, dy):
        (shape,) = self.saved()
        self.check_gradient(dy, self.output_shape(shape))
        return dy.reshape(shape)
