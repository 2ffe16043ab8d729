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
        if not hasattr(x, "ndim") or x.ndim < 2:
            raise ValueError(f"{self}: expected an array of shape (N, ...) with a batch axis, "
                             f"got {getattr(x, 'shape', type(x).__name__)}")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    @on_input_device
    def backward(self, dy):
        self.check_gradient(dy, (self._shape[0], math.prod(self._shape[1:])))
        return dy.reshape(self._shape)
