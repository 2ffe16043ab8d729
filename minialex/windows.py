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


def check_fits(owner, x_shape, kernel_size, padding):
    """Raise ``ValueError`` naming ``owner`` when the window is larger than the padded input
    (N, C, H, W): then not even one window fits."""
    (kh, kw), (ph, pw) = kernel_size, padding
    h, w = x_shape[2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(f"{owner}: kernel {kh}x{kw} is larger than the padded input "
                         f"{h + 2 * ph}x{w + 2 * pw} (input shape {tuple(x_shape)})")
