"""Local response normalisation across channels (§3.3, the paper's only equation of its own)."""

from ..backend import get_array_module, on_input_device
from ..threads import parallel
from .base import Layer, check_positive_ints


class LocalResponseNorm(Layer):
    """§3.3: ``b[c] = a[c] / (k + alpha * sum_{c' in window(c)} a[c']**2) ** beta``.

    Shapes: x (N, C, H, W) -> y (N, C, H, W).

    The window holds ``size`` adjacent channels centred on ``c``: ``c - size//2`` to
    ``c + (size-1)//2``, clipped at the first and last channel (the paper's
    ``max(0, i - n/2) .. min(N-1, i + n/2)`` for odd ``size``). Defaults are the paper's:
    ``k=2, size=5, alpha=1e-4, beta=0.75``; AlexNet applies it after the ReLU of conv1 and conv2.

    ``alpha`` multiplies the sum as the paper writes it. PyTorch, Caffe and cuda-convnet divide
    it by ``size`` instead (``alpha / n * sum``): pass ``alpha_over_n=True`` for their convention;
    ``alpha_over_n=False, alpha=a`` equals ``alpha_over_n=True, alpha=a*size``.

    ``groups=G`` splits the channels into G consecutive blocks and never lets a window cross a
    block boundary: in the paper's two-GPU net each GPU normalises its own kernel maps only.

    Backward, with ``S[c] = k + alpha * sum a**2`` and ``y = a * S**-beta``::

        dx[j] = dy[j] * S[j]**-beta - 2*alpha*beta * a[j] * sum_{c : j in window(c)} dy[c] * y[c] / S[c]
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_over_n=False, groups=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, float(alpha), float(beta), float(k)
        self.alpha_over_n, self.groups = bool(alpha_over_n), groups
        check_positive_ints(self, size=size, groups=groups)
        # Window of channel c: c - before .. c + after.
        self._before, self._after = size // 2, (size - 1) // 2

    def extra_repr(self):
        text = f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
        if self.alpha_over_n:
            text += ", alpha_over_n=True"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text

    @property
    def effective_alpha(self):
        """The factor in front of the sum of squares."""
        return self.alpha / self.size if self.alpha_over_n else self.alpha

    @on_input_device
    def forward(self, x):
        self.check_input(x, 4)
        n, c, h, w = x.shape
        if c % self.groups:
            raise ValueError(f"{self}: groups={self.groups} must divide the {c} channels of "
                             f"the input (N, C, H, W) = {tuple(x.shape)}")
        xp = get_array_module(x)
        xg = x.reshape(n, self.groups, c // self.groups, h, w)
        # S and S**-beta are private: their buffers are reused; y is handed on, so it is new.
        cached = getattr(self, "_cache", (None,) * 4)
        scale = self.reusable(cached[1], xg.shape, x.dtype, xp)
        scale_pow = self.reusable(cached[2], xg.shape, x.dtype, xp)
        y = xp.empty(xg.shape, dtype=x.dtype)
        alpha, k = x.dtype.type(self.effective_alpha), x.dtype.type(self.k)

        def normalise(lo, hi):
            a = xg[lo:hi]
            s = _window_sum(a * a, self._before, self._after, out=scale[lo:hi])
            s *= alpha
            s += k                                                  # S = k + alpha * sum a**2
            p = _power(xp, s, -self.beta, out=scale_pow[lo:hi])     # S ** -beta
            xp.multiply(a, p, out=y[lo:hi])

        parallel(normalise, n, xp)
        self._cache = (xg, scale, scale_pow, y)
        return y.reshape(x.shape)

    @on_input_device
    def backward(self, dy):
        xg, scale, scale_pow, y = self._cache
        x_shape = (xg.shape[0], xg.shape[1] * xg.shape[2]) + xg.shape[3:]
        self.check_gradient(dy, x_shape)
        xp = get_array_module(dy)
        dyg = dy.reshape(xg.shape)
        dx = xp.empty(xg.shape, dtype=dy.dtype)
        coefficient = dy.dtype.type(-2.0 * self.effective_alpha * self.beta)

        def differentiate(lo, hi):
            t = dyg[lo:hi] * y[lo:hi]
            t /= scale[lo:hi]
            # Channel c's window reaches from c - before to c + after, so channel j is read
            # by the windows of j - after .. j + before: the same sum, reaches swapped.
            t = _window_sum(t, self._after, self._before, out=dx[lo:hi])
            t *= xg[lo:hi]
            t *= coefficient
            t += dyg[lo:hi] * scale_pow[lo:hi]

        parallel(differentiate, xg.shape[0], xp)
        return dx.reshape(x_shape)


def _window_sum(a, before, after, out):
    """``out[:, :, c] = sum(a[:, :, c - before : c + after + 1])`` along axis 2, clipped at the
    ends; ``a`` is (N, G, C/G, H, W), so no window crosses a group. ``out`` must not be ``a``."""
    out[...] = a
    for d in range(1, before + 1):
        out[:, :, d:] += a[:, :, :-d]
    for d in range(1, after + 1):
        out[:, :, :-d] += a[:, :, d:]
    return out


def _power(xp, s, exponent, out):
    """``s ** exponent`` for ``s > 0``, into ``out``. The paper's beta = 0.75 takes two square
    roots instead of a general power: several times faster, and exact to rounding."""
    if exponent == -0.75:
        xp.sqrt(s, out=out)
        out *= xp.sqrt(out)            # s ** 0.75
        return xp.reciprocal(out, out=out)
    return xp.power(s, s.dtype.type(exponent), out=out)
