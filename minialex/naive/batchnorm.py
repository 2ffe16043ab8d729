"""Batch normalisation (Ioffe & Szegedy, 2015; not in the paper) by hand: one channel at a time."""

import numpy


def batch_norm2d(x, gamma, beta, running_mean, running_var, training=True, eps=1e-5,
                 momentum=0.1):
    """x (N, C, H, W), gamma, beta, running_mean, running_var (C,) -> (y (N, C, H, W), new
    running_mean (C,), new running_var (C,)). Not in the paper (Ioffe & Szegedy 2015, Alg. 1).

    Training: each channel is centred and scaled by the mean and (biased) variance of its
    N*H*W values, then ``y = gamma * x_hat + beta``; the running statistics move towards the
    batch's by ``momentum`` (with the unbiased variance, as PyTorch keeps it). Eval: the
    running statistics stand in for the batch's, and stay as they are.
    """
    x = numpy.asarray(x)
    y = numpy.empty_like(x)
    new_mean = numpy.array(running_mean, dtype=x.dtype)
    new_var = numpy.array(running_var, dtype=x.dtype)
    for c in range(x.shape[1]):
        values = x[:, c]
        if training:
            m = values.size
            mean = values.sum() / m
            var = ((values - mean) ** 2).sum() / m
            new_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean
            new_var[c] = (1 - momentum) * running_var[c] + momentum * var * m / (m - 1)
        else:
            mean, var = running_mean[c], running_var[c]
        y[:, c] = gamma[c] * (values - mean) / numpy.sqrt(var + eps) + beta[c]
    return y, new_mean, new_var


def batch_norm2d_backward(x, gamma, dy, running_mean, running_var, training=True, eps=1e-5):
    """x, dy (N, C, H, W), gamma, running_mean, running_var (C,) -> (dx (N, C, H, W),
    dgamma (C,), dbeta (C,)), the gradients of :func:`batch_norm2d`, by the chain rule one step
    at a time (Ioffe & Szegedy 2015, §3).

    ``y = gamma * x_hat + beta`` gives ``dbeta = sum(dy)`` and ``dgamma = sum(dy * x_hat)``. In
    training mode x_hat depends on x directly and through the batch's mean and variance; each
    dependence contributes its term. In eval mode the statistics are constants and
    ``dx = dy * gamma / sqrt(running_var + eps)``.
    """
    x, dy = numpy.asarray(x), numpy.asarray(dy)
    dx = numpy.empty_like(dy)
    dgamma = numpy.empty(x.shape[1], dtype=dy.dtype)
    dbeta = numpy.empty(x.shape[1], dtype=dy.dtype)
    for c in range(x.shape[1]):
        values, g = x[:, c], dy[:, c]
        m = values.size
        if training:
            mean = values.sum() / m
            var = ((values - mean) ** 2).sum() / m
        else:
            mean, var = running_mean[c], running_var[c]
        std = numpy.sqrt(var + eps)
        x_hat = (values - mean) / std
        dbeta[c] = g.sum()
        dgamma[c] = numpy.sum(g * x_hat)
        dx_hat = g * gamma[c]
        if not training:
            dx[:, c] = dx_hat / std
            continue
        # x_hat = (x - mean) * (var + eps) ** -1/2, with mean = sum(x)/m and
        # var = sum((x - mean)**2)/m: the chain rule through var, then mean, then x itself.
        dvar = numpy.sum(dx_hat * (values - mean)) * -0.5 * std ** -3
        dmean = -numpy.sum(dx_hat) / std + dvar * numpy.sum(-2 * (values - mean)) / m
        dx[:, c] = dx_hat / std + dvar * 2 * (values - mean) / m + dmean / m
    return dx, dgamma, dbeta
