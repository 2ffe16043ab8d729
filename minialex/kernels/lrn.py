"""Local response normalisation, fast: fused passes, split over the cores, no general power.

``minialex.layers.LocalResponseNorm`` says what is computed (§3.3)::

    S = k + alpha * window_sum(a**2)            y = a * S**-beta
    dx = dy * S**-beta - 2*alpha*beta * a * window_sum_T(dy * y / S)

Why it is fast:

* the window sum is ``size`` shifted adds along the channel axis (2*(size//2) slices of the
  whole array), not a loop over channels;
* the images are shared out between the cores (:mod:`minialex.kernels.threads`), and each
  core works through its share a few images at a time (``BLOCK_BYTES`` of them), start to
  finish, so that the dozen passes find them in its cache; every intermediate is written in
  place or is one block long;
* the paper's beta = 0.75 is computed as two square roots, ``S**-0.75 = 1 / (sqrt(S) *
  sqrt(sqrt(S)))``: several times faster than a general power, and exact to rounding;
* ``S`` and ``S**-beta`` live in the layer's :class:`Workspace` (kept for backward, reused
  from step to step). The fused GPU kernels (:mod:`minialex.kernels.cuda`) keep neither and
  return ``None`` for them: their backward recomputes S from ``a``, cheaper there than memory.

Shapes: ``a``, ``y``, ``S`` are (N, G, C/G, H, W), the G groups (towers) side by side, so a
window never crosses from one group's channels into the other's.
"""

import math

from ..backend import get_array_module
from .dispatch import cuda_kernel
from .threads import split_over_cores

BLOCK_BYTES = 1 << 20


def _images_per_block(a):
    return max(1, BLOCK_BYTES // (math.prod(a.shape[1:]) * a.itemsize))


@cuda_kernel("normalise")
def normalise(a, before, after, alpha, k, beta, workspace):
    """a (N, G, C/G, H, W) -> (y, S, S**-beta); the window of channel c is c-before..c+after."""
    xp = get_array_module(a)
    scale = workspace.get("scale", a.shape, a.dtype, like=a)
    scale_pow = workspace.get("scale_pow", a.shape, a.dtype, like=a)
    y = xp.empty(a.shape, dtype=a.dtype)
    alpha, k = a.dtype.type(alpha), a.dtype.type(k)

    def images(lo, hi):
        s = window_sum(a[lo:hi] * a[lo:hi], before, after, out=scale[lo:hi])
        s *= alpha
        s += k                                                   # S = k + alpha * sum a**2
        p = power(xp, s, -beta, out=scale_pow[lo:hi])            # S ** -beta
        xp.multiply(a[lo:hi], p, out=y[lo:hi])                   # y = a * S ** -beta

    split_over_cores(images, a.shape[0], xp, block=_images_per_block(a))
    return y, scale, scale_pow


@cuda_kernel("normalise_backward")
def normalise_backward(dy, a, y, scale, scale_pow, before, after, alpha, k, beta):
    """dy (N, G, C/G, H, W) -> dx, from the saved a, y, S and S**-beta. (``k`` is not needed
    here; the fused GPU body, which keeps no S, recomputes S from ``a`` with it.)"""
    xp = get_array_module(dy)
    dx = xp.empty(a.shape, dtype=dy.dtype)
    coefficient = dy.dtype.type(-2.0 * alpha * beta)

    def images(lo, hi):
        t = dy[lo:hi] * y[lo:hi]
        t /= scale[lo:hi]
        # Channel c's window reaches from c - before to c + after, so channel j is read by
        # the windows of j - after .. j + before: the same sum with the reaches swapped.
        t = window_sum(t, after, before, out=dx[lo:hi])
        t *= a[lo:hi]
        t *= coefficient
        t += dy[lo:hi] * scale_pow[lo:hi]

    split_over_cores(images, a.shape[0], xp, block=_images_per_block(a))
    return dx


def window_sum(a, before, after, out):
    """``out[:, :, c] = sum(a[:, :, c - before : c + after + 1])`` along axis 2, clipped at the
    ends; ``a`` is (N, G, C/G, H, W), so no window crosses a group. ``out`` must not be ``a``."""
    out[...] = a
    for d in range(1, before + 1):
        out[:, :, d:] += a[:, :, :-d]
    for d in range(1, after + 1):
        out[:, :, :-d] += a[:, :, d:]
    return out


def power(xp, s, exponent, out):
    """``s ** exponent`` for ``s > 0``, into ``out``; -0.75 by two square roots."""
    if exponent == -0.75:
        xp.sqrt(s, out=out)
        out *= xp.sqrt(out)            # s ** 0.75
        return xp.reciprocal(out, out=out)
    return xp.power(s, s.dtype.type(exponent), out=out)
