"""The layers of AlexNet, one concept per file; each follows the contract in ``base.py``.

Each layer's ``forward`` and ``backward`` say what they compute in the paper's terms; the
speed machinery they call lives in :mod:`minialex.kernels`, and the plain, loop-by-loop
version of every pass in :mod:`minialex.naive`.
"""

from .activation import ReLU, Tanh
from .base import Layer
from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Linear
from .loss import SoftmaxCrossEntropy
from .lrn import LocalResponseNorm
from .pool import MaxPool2d

__all__ = ["Layer", "Conv2d", "Linear", "Flatten", "ReLU", "Tanh", "LocalResponseNorm",
           "MaxPool2d", "Dropout", "BatchNorm2d", "SoftmaxCrossEntropy"]
