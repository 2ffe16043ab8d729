"""Local response normalisation across channels (§3.3, the paper's only equation of its own)."""

from ..backend import on_input_device
from ..kernels import lrn as kernels
from ..kernels.workspace import Workspace
from ..validate import integer
from .base import Layer


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

    With ``S[c] = k + alpha * sum_{window(c)} a**2`` and ``y = a * S**-beta``, backward is::

        dx[j] = dy[j] * S[j]**-beta - 2*alpha*beta * a[j] * sum_{c : j in window(c)} dy[c] * y[c] / S[c]

    The plain version is ``minialex.naive.local_response_norm`` and its ``_backward``;
    :mod:`minialex.kernels.lrn` computes the same in a few fused passes.
    """

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_over_n=False, groups=1):
        super().__init__()
        self.size = integer(size, "size", "LocalResponseNorm", minimum=1)
        self.groups = integer(groups, "groups", "LocalResponseNorm", minimum=1)
        self.alpha, self.beta, self.k = float(alpha), float(beta), float(k)
        self.alpha_over_n = bool(alpha_over_n)
        # Window of channel c: c - before .. c + after.
        self._before, self._after = size // 2, (size - 1) // 2
        # S and S**-beta, kept for backward (the fused GPU kernels keep neither: they recompute)
        self._workspace = Workspace()

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
        a = x.reshape(n, self.groups, c // self.groups, h, w)   # windows stay inside a group
        # S = k + alpha * window_sum(a**2);  y = a * S**-beta
        y, S, S_beta = kernels.normalise(a, self._before, self._after, self.effective_alpha,
                                         self.k, self.beta, self._workspace)
        self.save_for_backward(a, y, S, S_beta)
        return y.reshape(x.shape)

    @on_input_device
    def backward(self, dy):
        a, y, S, S_beta = self.saved()
        n, groups, per_group, h, w = a.shape
        self.check_gradient(dy, (n, groups * per_group, h, w))
        # dx = dy * S**-beta - 2*alpha*beta * a * window_sum_T(dy * y / S)
        dx = kernels.normalise_backward(dy.reshape(a.shape), a, y, S, S_beta, self._before,
                                        self._after, self.effective_alpha, self.k, self.beta)
        return dx.reshape(dy.shape)
