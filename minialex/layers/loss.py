"""Softmax cross-entropy: the 1000-way softmax of fc8 and its log loss (§3.5)."""

from ..backend import device_of, get_array_module, on_input_device
from .base import Layer


class SoftmaxCrossEntropy(Layer):
    """Mean over the batch of ``-log softmax(logits)[label]``.

    Shapes: logits (N, K) float, labels (N,) integers in [0, K) -> loss, a 0-d array of the
    logits' dtype.

    Stable for any finite logits (±1e4 included): ``log softmax(z) = z - max(z) - log sum
    exp(z - max(z))``, so no exponent is ever positive.

    ``backward(dloss=1.0) -> dlogits = dloss * (softmax(logits) - onehot(labels)) / N``; like
    every layer's backward it takes the upstream gradient, here a scalar.
    """

    @on_input_device
    def forward(self, logits, labels):
        self.check_input(logits, 2, layout="(N, K) logits")
        xp = get_array_module(logits)
        n, k = logits.shape
        if not hasattr(labels, "dtype"):
            labels = xp.asarray(labels)
        if labels.dtype.kind not in "iu" or labels.shape != (n,):
            raise ValueError(f"{self}: labels must be an integer array of shape ({n},), got "
                             f"dtype {labels.dtype} and shape {tuple(labels.shape)}")
        labels = xp.asarray(labels)           # onto the logits' device
        if n and (int(labels.min()) < 0 or int(labels.max()) >= k):
            raise ValueError(f"{self}: labels must lie in [0, {k}) for {k} classes, got values "
                             f"from {int(labels.min())} to {int(labels.max())}")
        rows = xp.arange(n)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        log_probs_of_labels = shifted[rows, labels] - xp.log(sum_exp[:, 0])
        self.save_for_backward(exp / sum_exp, labels)
        return -log_probs_of_labels.mean()

    def backward(self, dloss=1.0):
        probs, labels = self.saved()
        with device_of(probs):
            xp = get_array_module(probs)
            n = probs.shape[0]
            dlogits = probs.copy()
            dlogits[xp.arange(n), labels] -= 1
            dlogits *= xp.asarray(dloss, dtype=dlogits.dtype) / n
            return dlogits
