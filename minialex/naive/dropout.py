"""Dropout (§4.2) by hand, and its mask computed one element at a time."""

import math

import numpy

# SplitMix64 (Steele, Lea & Flood, 2014): the increment, the finaliser's two multipliers.
GOLDEN, MIX1, MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
MASK64 = 2 ** 64 - 1


def splitmix64(z):
    """SplitMix64's finaliser of one 64-bit integer (a Python int)."""
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def dropout_mask(shape, p, key, channel_offset=0):
    """shape (N, C, ...) -> bool (N, C, ...): which units a training forward keeps (§4.2:
    each is dropped with probability p), one unit at a time.

    Unit (n, c, s), with c counted from ``channel_offset`` and s its place in the (H, W) plane
    of size S, is unit ``e = c * S + s`` of its image. Its random number is the 16-bit quarter
    ``j = e % 4`` of SplitMix64's ``mix(key + (n * 2**32 + e // 4 + 1) * GOLDEN)``, and the
    unit is dropped when that number is below ``p * 2**16``. ``key`` comes from
    ``minialex.kernels.random_bits.mask_key(seed, name, step, rank)``. The fast version is
    ``minialex.kernels.random_bits.keep_mask``.
    """
    n, c = shape[0], shape[1] if len(shape) > 1 else 1
    plane = math.prod(shape[2:])
    keep = numpy.empty((n, c, plane), dtype=bool)
    for image in range(n):
        for channel in range(c):
            for s in range(plane):
                e = (channel + channel_offset) * plane + s
                z = splitmix64((key + (image * 2 ** 32 + e // 4 + 1) * GOLDEN) & MASK64)
                number = (z >> (16 * (e % 4))) & 0xFFFF
                keep[image, channel, s] = number >= min(round(p * 2 ** 16), 2 ** 16 - 1)
    return keep.reshape(shape)


def dropout(x, keep, p, mode="paper", training=True):
    """x, keep (N, ...) -> y (N, ...) = x * m (§4.2): in training ``m`` is ``keep`` (times
    ``1/(1-p)`` in the inverted mode); at test time ``m`` is ``1 - p`` in the paper's mode
    ("multiply their outputs by 0.5"), 1 in the inverted one."""
    return numpy.asarray(x) * _multiplier(keep, p, mode, training, numpy.asarray(x).dtype)


def dropout_backward(dy, keep, p, mode="paper", training=True):
    """dy, keep (N, ...) -> dx (N, ...) = dy * m, with the ``m`` of :func:`dropout`: y is
    linear in x."""
    return numpy.asarray(dy) * _multiplier(keep, p, mode, training, numpy.asarray(dy).dtype)


def _multiplier(keep, p, mode, training, dtype):
    if training:
        scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
        return numpy.where(keep, scale, 0.0).astype(dtype)
    return dtype.type(1.0 - p if mode == "paper" else 1.0)
