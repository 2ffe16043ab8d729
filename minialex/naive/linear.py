"""Fully-connected layers (fc6, fc7, fc8) by hand: one output at a time."""

import numpy


def linear(x, weight, bias):
    """x (N, I), weight (O, I), bias (O,) -> y (N, O): the fully-connected layers of §3.5,
    ``y[n, o] = bias[o] + sum_i x[n, i] * weight[o, i]``."""
    x, weight, bias = numpy.asarray(x), numpy.asarray(weight), numpy.asarray(bias)
    y = numpy.empty((x.shape[0], weight.shape[0]), dtype=x.dtype)
    for n in range(x.shape[0]):
        for o in range(weight.shape[0]):
            y[n, o] = bias[o] + numpy.sum(x[n] * weight[o])
    return y


def linear_backward(x, weight, dy):
    """x (N, I), weight (O, I), dy (N, O) -> (dx (N, I), dweight (O, I), dbias (O,)), the
    gradients of :func:`linear` (§3.5): each ``y[n, o]`` sends ``dy[n, o] * weight[o]`` to
    ``dx[n]``, ``dy[n, o] * x[n]`` to ``dweight[o]`` and ``dy[n, o]`` to ``dbias[o]``."""
    x, weight, dy = numpy.asarray(x), numpy.asarray(weight), numpy.asarray(dy)
    dx, dweight = numpy.zeros_like(x), numpy.zeros_like(weight)
    dbias = numpy.zeros(weight.shape[0], dtype=dy.dtype)
    for n in range(x.shape[0]):
        for o in range(weight.shape[0]):
            dx[n] += dy[n, o] * weight[o]
            dweight[o] += dy[n, o] * x[n]
            dbias[o] += dy[n, o]
    return dx, dweight, dbias
