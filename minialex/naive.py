"""Loop-by-loop reference versions, written straight from the definitions.

Slow on purpose: every output element is one line of arithmetic you can check by hand. The
tests compare the fast layers against these, and lesson 1 starts here. NumPy only (they run
on host copies), any float dtype.
"""

import numpy


def conv2d(x, weight, bias, stride=1, padding=0, groups=1):
    """x (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) -> (N, O, OH, OW)."""
    x, weight, bias = numpy.asarray(x), numpy.asarray(weight), numpy.asarray(bias)
    n, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    o_per_group = o // groups
    xpad = numpy.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    y = numpy.zeros((n, o, oh, ow), dtype=x.dtype)
    for b in range(n):
        for out_map in range(o):
            group = out_map // o_per_group
            first_in = group * c_per_group
            for i in range(oh):
                for j in range(ow):
                    total = bias[out_map]
                    for ci in range(c_per_group):
                        for u in range(kh):
                            for v in range(kw):
                                total += (weight[out_map, ci, u, v]
                                          * xpad[b, first_in + ci, i * stride + u, j * stride + v])
                    y[b, out_map, i, j] = total
    return y


def max_pool2d(x, kernel_size=3, stride=2, padding=0):
    """x (N, C, H, W) -> (N, C, OH, OW); padding is -inf and never wins."""
    x = numpy.asarray(x)
    n, c, h, w = x.shape
    xpad = numpy.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)),
                     constant_values=-numpy.inf)
    oh = (h + 2 * padding - kernel_size) // stride + 1
    ow = (w + 2 * padding - kernel_size) // stride + 1
    y = numpy.empty((n, c, oh, ow), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best = -numpy.inf
                    for u in range(kernel_size):
                        for v in range(kernel_size):
                            best = max(best, xpad[b, ch, i * stride + u, j * stride + v])
                    y[b, ch, i, j] = best
    return y


def local_response_norm(x, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_over_n=False, groups=1):
    """§3.3: b[c] = a[c] / (k + alpha * sum over the window of a**2) ** beta, per group."""
    x = numpy.asarray(x)
    n, c, h, w = x.shape
    per_group = c // groups
    a = alpha / size if alpha_over_n else alpha
    y = numpy.empty_like(x)
    for b in range(n):
        for ch in range(c):
            group_start = (ch // per_group) * per_group
            low = max(group_start, ch - size // 2)
            high = min(group_start + per_group - 1, ch + (size - 1) // 2)
            for i in range(h):
                for j in range(w):
                    total = 0.0
                    for other in range(low, high + 1):
                        total += x[b, other, i, j] ** 2
                    y[b, ch, i, j] = x[b, ch, i, j] / (k + a * total) ** beta
    return y
