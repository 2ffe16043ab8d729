"""Convolution (§3.5) by hand: one window at a time, and the textbook im2col / col2im."""

import numpy

from ..windows import output_size, pair


def conv2d(x, weight, bias, stride=1, padding=0, groups=1):
    """x (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) -> y (N, O, OH, OW): the
    convolutional layers of §3.5 (with ``groups=2``, Figure 2's two GPUs as one layer).

    ``y[n, o, i, j] = bias[o] + sum(weight[o] * window)``, where ``window`` is the kh x kw patch
    of the padded input at row ``i*sh``, column ``j*sw``, over the input maps of o's group.
    """
    x, weight, bias = numpy.asarray(x), numpy.asarray(weight), numpy.asarray(bias)
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    n, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    xpad = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    y = numpy.zeros((n, o, oh, ow), dtype=x.dtype)
    for b in range(n):
        for out_map in range(o):
            maps = _group_maps(out_map, o // groups, c_per_group)
            for i in range(oh):
                for j in range(ow):
                    window = xpad[b, maps, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[b, out_map, i, j] = bias[out_map] + numpy.sum(weight[out_map] * window)
    return y


def conv2d_backward(x, weight, dy, stride=1, padding=0, groups=1):
    """x (N, C, H, W), weight (O, C/groups, kh, kw), dy (N, O, OH, OW) -> (dx, dweight,
    dbias), the gradients of :func:`conv2d` (§3.5).

    Each output ``y[n, o, i, j]`` is ``bias[o] + sum(weight[o] * window)``, so its gradient
    ``g = dy[n, o, i, j]`` adds ``g`` to ``dbias[o]``, ``g * window`` to ``dweight[o]``, and
    ``g * weight[o]`` to the window's pixels in ``dx`` (padding's share is dropped).
    """
    x, weight, dy = numpy.asarray(x), numpy.asarray(weight), numpy.asarray(dy)
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    n, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    xpad = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxpad = numpy.zeros_like(xpad)
    dweight = numpy.zeros_like(weight)
    dbias = numpy.zeros(o, dtype=dy.dtype)
    for b in range(n):
        for out_map in range(o):
            maps = _group_maps(out_map, o // groups, c_per_group)
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    g = dy[b, out_map, i, j]
                    rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                    dbias[out_map] += g
                    dweight[out_map] += g * xpad[b, maps, rows, cols]
                    dxpad[b, maps, rows, cols] += g * weight[out_map]
    return dxpad[:, :, ph:ph + h, pw:pw + w], dweight, dbias


def _group_maps(out_map, outputs_per_group, inputs_per_group):
    """The input maps that output map ``out_map`` reads: those of its group."""
    first = (out_map // outputs_per_group) * inputs_per_group
    return slice(first, first + inputs_per_group)


def im2col(x, kernel_size, stride=1, padding=0, pad_value=0.0):
    """x (N, C, H, W) -> cols (C, kh, kw, N, OH, OW), the textbook way: §3.5's convolutions
    as one matrix product.

    ``cols[c, i, j, n, oh, ow] = xpad[n, c, sh*oh + i, sw*ow + j]``: for each kernel offset
    (i, j), one strided slice of the padded batch. Reshaped to (C*kh*kw, N*OH*OW), each column
    holds one window, and the convolution is one matrix product with the weights (O, C*kh*kw).
    """
    x = numpy.asarray(x)
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    xpad = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    cols = numpy.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            window_corner = xpad[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]   # (N, C, OH, OW)
            cols[:, i, j] = window_corner.transpose(1, 0, 2, 3)
    return cols


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """cols (C, kh, kw, N, OH, OW), x_shape -> (N, C, H, W): the adjoint of :func:`im2col`.

    Every pixel receives the sum of the columns it was copied into (the same slices, added).
    """
    cols = numpy.asarray(cols)
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
    n, c, h, w = x_shape
    oh, ow = cols.shape[4], cols.shape[5]
    dxpad = numpy.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxpad[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += cols[:, i, j].transpose(1, 0, 2, 3)
    return dxpad[:, :, ph:ph + h, pw:pw + w]
