"""Sliding-window arithmetic shared by convolution and pooling (layers, kernels, plain tier)."""


def pair(value):
    """``(a, b)`` from an int or a pair of ints: ``3 -> (3, 3)``, ``(3, 2) -> (3, 2)``."""
    if isinstance(value, (tuple, list)):
        a, b = value
        return a, b
    return value, value


def output_size(size, kernel, stride, padding):
    """How many windows of ``kernel`` fit ``size + 2*padding`` when moved by ``stride``:
    ``(size + 2*padding - kernel) // stride + 1``. (§3.5: conv1 on 227: (227 - 11)//4 + 1 = 55.)"""
    return (size + 2 * padding - kernel) // stride + 1
