"""BatchNorm2d (Ioffe & Szegedy, 2015): not in the paper; the readers ask how it compares to LRN."""

import numpy

from ..backend import get_array_module, on_input_device
from ..validate import integer
from .base import Layer


class BatchNorm2d(Layer):
    """Normalise each channel over the batch, then scale and shift it: PyTorch's semantics.

    Shapes: x (N, C, H, W) -> y (N, C, H, W); ``weight`` (gamma) and ``bias`` (beta) (C,);
    buffers ``running_mean`` and ``running_var`` (C,).

    Training mode, over the m = N*H*W values of each channel c::

        mean = sum(x) / m       var = sum((x - mean)**2) / m      (the biased variance)
        x_hat = (x - mean) / sqrt(var + eps)                      y = gamma * x_hat + beta
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)

    (the running variance is the unbiased one, as in PyTorch). Eval mode normalises with the
    running statistics instead, so ``y`` is an affine function of ``x``.

    Backward in training mode, where the mean and variance depend on every x of the channel::

        dbeta = sum(dy)      dgamma = sum(dy * x_hat)      dx_hat = dy * gamma
        dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps)

    and in eval mode simply ``dx = dy * gamma / sqrt(running_var + eps)``. The plain version
    is ``minialex.naive.batch_norm2d`` / ``batch_norm2d_backward``. ``affine=False`` keeps
    gamma = 1 and beta = 0 fixed (no parameters). Buffers are saved with the weights
    (``state_dict``: ``bn1.running_mean``) and never trained.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, dtype="float32"):
        super().__init__()
        self.num_features = integer(num_features, "num_features", "BatchNorm2d", minimum=1)
        if not float(eps) > 0:
            raise ValueError(f"BatchNorm2d: eps must be > 0, got {eps!r}")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNorm2d: momentum must be in [0, 1], got {momentum!r}")
        if numpy.dtype(dtype).kind != "f":
            raise ValueError(f"BatchNorm2d: dtype must be a floating type, got {dtype}")
        self.eps, self.momentum, self.affine = float(eps), float(momentum), bool(affine)
        if self.affine:          # gamma = 1, beta = 0: the identity until trained
            self.params = {"weight": numpy.ones(num_features, dtype=dtype),
                           "bias": numpy.zeros(num_features, dtype=dtype)}
        self.buffers = {"running_mean": numpy.zeros(num_features, dtype=dtype),
                        "running_var": numpy.ones(num_features, dtype=dtype)}

    def extra_repr(self):
        text = f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
        return text + ("" if self.affine else ", affine=False")

    @on_input_device
    def forward(self, x):
        self.check_input(x, 4, self.num_features)
        xp = get_array_module(x)
        if self.training:
            m = x.shape[0] * x.shape[2] * x.shape[3]
            if m < 2:
                raise ValueError(f"{self}: training mode needs more than one value per channel "
                                 f"to estimate a variance, got input shape {tuple(x.shape)}")
            mean = x.mean(axis=(0, 2, 3))
            centred = x - mean.reshape(1, -1, 1, 1)
            var = (centred * centred).mean(axis=(0, 2, 3))
            self._update_running(mean, var * (m / (m - 1)))
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
            centred = x - mean.reshape(1, -1, 1, 1)
        inv_std = 1 / xp.sqrt(var + x.dtype.type(self.eps))
        x_hat = centred * inv_std.reshape(1, -1, 1, 1)
        gamma, beta = self._gamma_beta(x)
        self.save_for_backward(x_hat, inv_std, gamma, self.training)
        return x_hat * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)

    @on_input_device
    def backward(self, dy):
        x_hat, inv_std, gamma, batch_statistics = self.saved()
        self.check_gradient(dy, x_hat.shape)
        if self.affine:
            self.grads["bias"] = dy.sum(axis=(0, 2, 3))                   # dbeta
            self.grads["weight"] = (dy * x_hat).sum(axis=(0, 2, 3))       # dgamma
        scale = (gamma * inv_std).reshape(1, -1, 1, 1)
        if not batch_statistics:
            return dy * scale                                  # eval: an affine map of x
        m = dy.shape[0] * dy.shape[2] * dy.shape[3]
        mean_dy = dy.sum(axis=(0, 2, 3)).reshape(1, -1, 1, 1) / m
        mean_dy_x_hat = (dy * x_hat).sum(axis=(0, 2, 3)).reshape(1, -1, 1, 1) / m
        # dx = gamma/sqrt(var+eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat))
        return scale * (dy - mean_dy - x_hat * mean_dy_x_hat)

    def _gamma_beta(self, x):
        if self.affine:
            return self.params["weight"], self.params["bias"]
        xp = get_array_module(x)
        return xp.ones(self.num_features, x.dtype), xp.zeros(self.num_features, x.dtype)

    def _update_running(self, mean, unbiased_var):
        """New running statistics (new arrays: the old ones may be held elsewhere)."""
        m = self.momentum
        self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mean
        self.buffers["running_var"] = (1 - m) * self.buffers["running_var"] + m * unbiased_var
