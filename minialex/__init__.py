"""minialex: AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012) in NumPy, every pass by hand.

The array decides its module (``backend.get_array_module``), so the same code runs on NumPy
and, when CuPy is installed, on GPUs. Three tiers, read from the bottom up:

* :mod:`minialex.naive`: every forward and backward pass straight from the equations;
* :mod:`minialex.layers`: the layers a network is built from, their bodies the math;
* :mod:`minialex.kernels`: where the speed lives, each kernel tested against the plain tier.
"""

from . import backend, kernels, naive
from .backend import Device, asnumpy, get_array_module, to_device
from .gradcheck import GradcheckError, gradcheck
from .layers import (BatchNorm2d, Conv2d, Dropout, Flatten, Layer, Linear, LocalResponseNorm,
                     MaxPool2d, ReLU, SoftmaxCrossEntropy, Tanh)
from .models import alexnet, alexnet_cifar, figure1_net
from .parallel import Crossing, TwoTowers
from .sequential import Model, Sequential

__version__ = "0.1.0"

__all__ = ["backend", "kernels", "naive", "Device", "asnumpy", "get_array_module", "to_device",
           "gradcheck", "GradcheckError", "Layer", "Conv2d", "Linear", "Flatten", "ReLU", "Tanh",
           "LocalResponseNorm", "MaxPool2d", "Dropout", "BatchNorm2d", "SoftmaxCrossEntropy",
           "Model", "Sequential", "TwoTowers", "Crossing", "alexnet", "alexnet_cifar",
           "figure1_net"]
