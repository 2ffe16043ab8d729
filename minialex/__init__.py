"""minialex: AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012) in NumPy, every pass by hand.

The array decides its module (``backend.get_array_module``), so the same code runs on NumPy
and, when CuPy is installed, on GPUs.
"""

from . import backend, im2col, naive
from .backend import Device, asnumpy, get_array_module, to_device
from .gradcheck import GradcheckError, gradcheck
from .layers import (Conv2d, Dropout, Flatten, Layer, Linear, LocalResponseNorm, MaxPool2d,
                     ReLU, SoftmaxCrossEntropy, Tanh)
from .model import Model, Sequential
from .models import alexnet, alexnet_cifar, figure1_net
from .parallel import Crossing, TwoTowers

__version__ = "0.1.0"

__all__ = ["backend", "im2col", "naive", "Device", "asnumpy", "get_array_module", "to_device",
           "gradcheck", "GradcheckError", "Layer", "Conv2d", "Linear", "Flatten", "ReLU", "Tanh",
           "LocalResponseNorm", "MaxPool2d", "Dropout", "SoftmaxCrossEntropy", "Model",
           "Sequential", "TwoTowers", "Crossing", "alexnet", "alexnet_cifar", "figure1_net"]
