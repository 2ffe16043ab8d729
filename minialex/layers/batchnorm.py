"""BatchNorm2d (Ioffe & Szegedy, 2015): not in the paper; the readers ask how it compares to LRN."""

import numpy

from ..backend import get_array_module, on_input_device
from ..kernels import batchnorm as kernels
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
    is ``minialex.naive.batch_norm2d`` / ``batch_norm2d_backward``; the passes run in
    :mod:`minialex.kernels.batchnorm`. ``affine=False`` keeps
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
        gamma, beta = self._gamma_beta(x)
        if self.training:
            count = x.shape[0] * x.shape[2] * x.shape[3]
            if count < 2:
                raise ValueError(f"{self}: training mode needs more than one value per channel "
                                 f"to estimate a variance, got input shape {tuple(x.shape)}")
            mean, var = kernels.batch_statistics(x)
            self._update_running(mean, var * (count / (count - 1)))
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        # x_hat = (x - mean) / sqrt(var + eps);  y = gamma * x_hat + beta
        x_hat, y, inv_std = kernels.normalise(x, mean, var, gamma, beta, self.eps)
        self.save_for_backward(x_hat, inv_std, gamma, self.training)
        return y

    @on_input_device
    def backward(self, dy):
        x_hat, inv_std, gamma, batch_statistics = self.saved()
        self.check_gradient(dy, x_hat.shape)
        # dbeta = sum dy, dgamma = sum dy x_hat; dx = gamma / sqrt(var + eps) * (dy - mean(dy)
        # - x_hat mean(dy x_hat)) in training, gamma / sqrt(var + eps) * dy in eval
        dx, dgamma, dbeta = kernels.normalise_backward(dy, x_hat, gamma, inv_std,
                                                       batch_statistics)
        if self.affine:
            self.grads["weight"], self.grads["bias"] = dgamma, dbeta
        return dx

    def _gamma_beta(self, x):
        if self.affine:
            return self.params["weight"], self.params["bias"]
        xp = get_array_module(x)
        return xp.ones(self.num_features, x.dtype), xp.zeros(self.num_features, x.dtype)

    def _update_running(self, mean, unbiased_var):
        """New running statistics (new arrays: the old ones may be held elsewhere)."""
        keep, take = 1 - self.momentum, self.momentum
        self.buffers["running_mean"] = keep * self.buffers["running_mean"] + take * mean
        self.buffers["running_var"] = keep * self.buffers["running_var"] + take * unbiased_var
