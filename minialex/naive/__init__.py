"""The plain tier: every layer's forward AND backward pass, straight from the equations.

Slow on purpose. Each function is a loop over the output (or over channels), written so that a
reader can check every line by hand against the paper, with NumPy doing no more than the sums
inside one window. The fast layers of :mod:`minialex.layers` (and the kernels behind them) are
tested against these, forward and backward, in float64, on random shapes; the lessons start
here. NumPy arrays in, NumPy arrays out, any float dtype; nothing is written into an input.

=======================  =====================================  ==============================
layer                    forward                                backward
=======================  =====================================  ==============================
convolution (§3.5)       :func:`conv2d`                         :func:`conv2d_backward`
  im2col / col2im        :func:`im2col`                         :func:`col2im` (its adjoint)
  Winograd's algorithm   :func:`winograd_conv2d`                :func:`winograd_conv2d_backward`
max pooling (§3.4)       :func:`max_pool2d`                     :func:`max_pool2d_backward`
LRN (§3.3)               :func:`local_response_norm`            :func:`local_response_norm_backward`
ReLU (§3.1), tanh        :func:`relu`, :func:`tanh`             :func:`relu_backward`, :func:`tanh_backward`
dropout (§4.2)           :func:`dropout` (:func:`dropout_mask`)  :func:`dropout_backward`
fully connected          :func:`linear`                         :func:`linear_backward`
softmax + log loss       :func:`softmax_cross_entropy`          :func:`softmax_cross_entropy_backward`
batch norm (not paper)   :func:`batch_norm2d`                   :func:`batch_norm2d_backward`
=======================  =====================================  ==============================
"""

from .activation import relu, relu_backward, tanh, tanh_backward
from .batchnorm import batch_norm2d, batch_norm2d_backward
from .conv import col2im, conv2d, conv2d_backward, im2col
from .dropout import dropout, dropout_backward, dropout_mask
from .linear import linear, linear_backward
from .loss import softmax_cross_entropy, softmax_cross_entropy_backward
from .lrn import local_response_norm, local_response_norm_backward
from .pool import max_pool2d, max_pool2d_backward
from .winograd import winograd_conv2d, winograd_conv2d_backward

__all__ = ["conv2d", "conv2d_backward", "im2col", "col2im", "max_pool2d", "max_pool2d_backward",
           "local_response_norm", "local_response_norm_backward", "relu", "relu_backward",
           "tanh", "tanh_backward", "dropout", "dropout_backward", "dropout_mask", "linear",
           "linear_backward", "softmax_cross_entropy", "softmax_cross_entropy_backward",
           "batch_norm2d", "batch_norm2d_backward", "winograd_conv2d",
           "winograd_conv2d_backward"]
