"""Local response normalisation (§3.3) by hand: one channel's window at a time."""

import numpy


def local_response_norm(x, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_over_n=False, groups=1):
    """x (N, C, H, W) -> y (N, C, H, W), §3.3's only equation:
    ``y[c] = x[c] / (k + alpha * sum_{c' in window(c)} x[c']**2) ** beta``.

    ``window(c)`` is ``c - size//2 .. c + (size-1)//2``, clipped to the channels of c's group
    (``groups`` blocks of C/groups channels; the paper's two GPUs). ``alpha_over_n`` divides
    alpha by ``size`` (PyTorch's and Caffe's convention).
    """
    x = numpy.asarray(x)
    return x * _scale(x, size, alpha, k, alpha_over_n, groups) ** -beta


def local_response_norm_backward(x, dy, size=5, alpha=1e-4, beta=0.75, k=2.0,
                                 alpha_over_n=False, groups=1):
    """x, dy (N, C, H, W) -> dx (N, C, H, W), the gradient of :func:`local_response_norm`
    (§3.3).

    With ``S[c] = k + a * sum_{window(c)} x**2`` and ``y[c] = x[c] * S[c]**-beta``, ``y[c]``
    depends on ``x[j]`` directly when ``j = c`` and through ``S[c]`` when ``j`` is in
    ``window(c)``: ``dy[j] * S[j]**-beta`` plus, for every such c,
    ``dy[c] * x[c] * (-beta) * S[c]**(-beta-1) * 2*a*x[j]``.
    """
    x, dy = numpy.asarray(x), numpy.asarray(dy)
    a = alpha / size if alpha_over_n else alpha
    S = _scale(x, size, alpha, k, alpha_over_n, groups)
    dx = dy * S ** -beta
    for c in range(x.shape[1]):
        for j in _window(c, x.shape[1], size, groups):
            dx[:, j] += dy[:, c] * x[:, c] * (-beta) * S[:, c] ** (-beta - 1) * 2 * a * x[:, j]
    return dx


def _scale(x, size, alpha, k, alpha_over_n, groups):
    """S (N, C, H, W): ``k + a * sum of x**2`` over each channel's window."""
    a = alpha / size if alpha_over_n else alpha
    S = numpy.empty_like(x)
    for c in range(x.shape[1]):
        S[:, c] = k + a * sum(x[:, j] ** 2 for j in _window(c, x.shape[1], size, groups))
    return S


def _window(c, channels, size, groups):
    """The channels in the window of channel c, clipped at the ends of c's group."""
    per_group = channels // groups
    first = (c // per_group) * per_group
    return range(max(first, c - size // 2), min(first + per_group - 1, c + (size - 1) // 2) + 1)
