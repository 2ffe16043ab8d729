"""ReLU (§3.1) and tanh (Figure 1's comparison) by hand."""

import numpy


def relu(x):
    """x (any shape) -> y (the same): ``max(x, 0)`` element by element (§3.1: Rectified
    Linear Units, f(x) = max(0, x))."""
    return numpy.where(numpy.asarray(x) > 0, x, 0.0).astype(numpy.asarray(x).dtype)


def relu_backward(x, dy):
    """x, dy (any shape, the same) -> dx: ``dy`` where ``x > 0``, else 0 (§3.1's f has slope 1
    right of the kink and 0 left of it; at exactly 0 we take 0, as PyTorch does)."""
    return numpy.where(numpy.asarray(x) > 0, dy, 0.0).astype(numpy.asarray(dy).dtype)


def tanh(x):
    """x (any shape) -> y (the same): ``(e^x - e^-x) / (e^x + e^-x)`` element by element, the
    saturating unit of §3.1 and Figure 1."""
    return numpy.tanh(x)


def tanh_backward(y, dy):
    """y = tanh(x), dy (any shape, the same) -> dx = ``dy * (1 - y**2)``, from tanh's
    derivative ``1 - tanh(x)**2``."""
    return dy * (1 - numpy.asarray(y) ** 2)
