"""Batch normalisation, fast: each core takes a block of channels through every pass.

``minialex.layers.BatchNorm2d`` says what is computed (per channel c, over its N*H*W values)::

    x_hat = (x - mean) / sqrt(var + eps)         y = gamma * x_hat + beta
    dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat))

Why it is fast: channels are independent, so the cores share them out
(:mod:`minialex.kernels.threads`), and each core runs all passes over its own channels while
they are in cache, with the intermediates written in place: a statistics pass, then one
subtraction, one scaling and one affine pass forward (after two passes for the statistics in
training mode); two reductions and three in-place passes backward. The per-channel sums of ``dy`` and ``dy * x_hat`` are both what the parameter
gradients need and what the input gradient needs, so each is computed once. Every sum runs
over one channel at a time, so the results are the same bits whatever the number of cores.
"""

from ..backend import get_array_module
from .threads import split_over_cores


def batch_statistics(x):
    """x (N, C, H, W) -> (mean, biased variance), each (C,), over the N*H*W values of each
    channel."""
    xp = get_array_module(x)
    c, count = x.shape[1], x.shape[0] * x.shape[2] * x.shape[3]
    mean, var = xp.empty(c, dtype=x.dtype), xp.empty(c, dtype=x.dtype)

    def channels(lo, hi):
        part = x[:, lo:hi]
        _channel_sums(part, mean[lo:hi])
        mean[lo:hi] /= count
        centred = part - mean[lo:hi].reshape(1, -1, 1, 1)
        centred *= centred
        _channel_sums(centred, var[lo:hi])
        var[lo:hi] /= count

    split_over_cores(channels, c, xp)
    return mean, var


def normalise(x, mean, var, gamma, beta, eps):
    """x (N, C, H, W) and per-channel (C,) statistics -> (x_hat, y, 1/sqrt(var + eps))."""
    xp = get_array_module(x)
    inv_std = 1 / xp.sqrt(var + x.dtype.type(eps))
    x_hat, y = xp.empty_like(x), xp.empty_like(x)

    def channels(lo, hi):
        hat = x_hat[:, lo:hi]
        xp.subtract(x[:, lo:hi], mean[lo:hi].reshape(1, -1, 1, 1), out=hat)   # x - mean
        hat *= inv_std[lo:hi].reshape(1, -1, 1, 1)                             # x_hat
        xp.multiply(hat, gamma[lo:hi].reshape(1, -1, 1, 1), out=y[:, lo:hi])
        y[:, lo:hi] += beta[lo:hi].reshape(1, -1, 1, 1)                        # gamma x_hat + beta

    split_over_cores(channels, x.shape[1], xp)
    return x_hat, y, inv_std


def normalise_backward(dy, x_hat, gamma, inv_std, batch_statistics):
    """(dx, dgamma, dbeta) from the upstream dy and what forward kept."""
    xp = get_array_module(dy)
    c = dy.shape[1]
    count = dy.shape[0] * dy.shape[2] * dy.shape[3]
    dx = xp.empty_like(dy)
    dgamma, dbeta = xp.empty(c, dtype=dy.dtype), xp.empty(c, dtype=dy.dtype)

    def channels(lo, hi):
        g, hat, out = dy[:, lo:hi], x_hat[:, lo:hi], dx[:, lo:hi]
        _channel_sums(g, dbeta[lo:hi])                                    # sum dy
        xp.multiply(g, hat, out=out)
        _channel_sums(out, dgamma[lo:hi])                                 # sum dy * x_hat
        scale = (gamma[lo:hi] * inv_std[lo:hi]).reshape(1, -1, 1, 1)
        if not batch_statistics:
            xp.multiply(g, scale, out=out)                                # eval: affine
            return
        xp.multiply(hat, (dgamma[lo:hi] / count).reshape(1, -1, 1, 1), out=out)
        xp.subtract(g, out, out=out)                       # dy - x_hat * mean(dy * x_hat)
        out -= (dbeta[lo:hi] / count).reshape(1, -1, 1, 1)                # - mean(dy)
        out *= scale

    split_over_cores(channels, c, xp)
    return dx, dgamma, dbeta


def _channel_sums(a, out):
    """``out[c] = sum of a[:, c]``, one channel at a time, so that the result does not depend
    on how the channels were shared out between the cores."""
    for c in range(a.shape[1]):
        out[c] = a[:, c].sum()
