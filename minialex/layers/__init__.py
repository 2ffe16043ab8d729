"""The layers of AlexNet, one concept per file; each follows the contract in ``base.py``."""

from .activation import ReLU, Tanh
from .base import Layer
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Linear
from .loss import SoftmaxCrossEntropy
from .lrn import LocalResponseNorm
from .pool import MaxPool2d

__all__ = ["Layer", "Conv2d", "Linear", "Flatten", "ReLU", "Tanh", "LocalResponseNorm",
           "MaxPool2d", "Dropout", "SoftmaxCrossEntropy"]
