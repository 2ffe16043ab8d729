"""Softmax and its log loss (§3.5: "a 1000-way softmax") by hand: one image at a time."""

import numpy


def softmax_cross_entropy(logits, labels):
    """logits (N, K), labels (N,) -> the loss, a number: the mean over the batch of
    ``-log(exp(z[label]) / sum(exp(z)))``, the log loss of §3.5's softmax.

    Each row's largest logit is subtracted first (it cancels in the ratio), so no exp overflows.
    """
    logits = numpy.asarray(logits)
    total = 0.0
    for z, label in zip(logits, labels):
        shifted = z - z.max()
        total += numpy.log(numpy.sum(numpy.exp(shifted))) - shifted[label]
    return total / len(logits)


def softmax_cross_entropy_backward(logits, labels, dloss=1.0):
    """logits (N, K), labels (N,), dloss (a number) -> dlogits (N, K):
    ``dloss * (softmax(z) - onehot(label)) / N`` for each row."""
    logits = numpy.asarray(logits)
    dlogits = numpy.empty_like(logits)
    for n, (z, label) in enumerate(zip(logits, labels)):
        e = numpy.exp(z - z.max())
        dlogits[n] = e / e.sum()
        dlogits[n, label] -= 1.0
    return dlogits * dloss / len(logits)
