"""im2col and col2im: turn a convolution into one matrix product per group.

Shapes first::

    x     (N, C, H, W)
    cols  (C, kh, kw, N, OH, OW)      OH = (H + 2*padding - kh) // stride + 1, likewise OW

``cols[c, i, j, n, oh, ow] = xpad[n, c, stride*oh + i, stride*ow + j]``, where ``xpad`` is ``x``
padded on every side with ``pad_value``. Reshaped to ``(C*kh*kw, N*OH*OW)`` it is the matrix whose
product with the weights ``(O, C*kh*kw)`` is the convolution of the whole batch at once: one
large GEMM instead of one per image, which is what keeps BLAS busy. The batch axis sits after
the kernel axes (as in cuda-convnet's layout) so that the weight gradient is also a single GEMM,
``dy (O, N*OH*OW) @ cols.T``.

Both functions are a loop over the kh*kw kernel offsets; each step copies (or, in col2im, adds)
a strided slice of the whole batch. There is no Python loop over images or output pixels.
"""

from .backend import get_array_module


def pair(value):
    """``(a, b)`` from an int or a pair of ints."""
    if isinstance(value, int):
        return value, value
    a, b = value
    return int(a), int(b)


def output_size(size, kernel, stride, padding):
    """Output length of a window of ``kernel`` sliding by ``stride`` over ``size + 2*padding``."""
    return (size + 2 * padding - kernel) // stride + 1


def pad(x, padding, value=0.0):
    """``x`` (N, C, H, W) with ``padding = (ph, pw)`` rows/columns of ``value`` on each side.

    Returns ``x`` itself when there is nothing to pad (callers never write into the result).
    """
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    xp = get_array_module(x)
    out = xp.empty((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    # Fill only the border, then the interior: each element is written once.
    out[:, :, :ph, :] = value
    out[:, :, h + ph:, :] = value
    out[:, :, ph:h + ph, :pw] = value
    out[:, :, ph:h + ph, w + pw:] = value
    out[:, :, ph:h + ph, pw:w + pw] = x
    return out


def im2col(x, kernel_size, stride=1, padding=0, pad_value=0.0):
    """(N, C, H, W) -> (C, kh, kw, N, OH, OW); see the module docstring."""
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    xpad = pad(x, (ph, pw), pad_value)
    xp = get_array_module(x)
    cols = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    # The (n, c) -> (c, n) swap is folded into the copy: it costs nothing extra.
    xpad_cn = xpad.transpose(1, 0, 2, 3)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xpad_cn[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
    return cols


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """(C, kh, kw, N, OH, OW) -> (N, C, H, W): the adjoint of :func:`im2col`.

    Every input pixel receives the sum of the columns it was copied into, so
    ``<im2col(x), c> == <x, col2im(c)>`` for any ``x`` and ``c``.
    """
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    n, c, h, w = x_shape
    oh, ow = cols.shape[4], cols.shape[5]
    xp = get_array_module(cols)
    dxpad = xp.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxpad[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += cols[:, i, j]
    # One copy turns the (c, n) order back to NCHW and drops the padding.
    return xp.ascontiguousarray(dxpad[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3))


