"""The networks: AlexNet as in the paper, its CIFAR-sized sibling, and Figure 1's four-layer net."""

from .alexnet import CROSSINGS, alexnet, alexnet_cifar, alexnet_cifar_specs, alexnet_specs
from .build import build, split_row
from .choices import ACTIVATIONS, COLUMNS, DROPOUTS, INITS, NORMS, POOLS
from .figure1 import figure1_net, figure1_specs
from .spec import Spec

__all__ = ["alexnet", "alexnet_cifar", "figure1_net", "alexnet_specs", "alexnet_cifar_specs",
           "figure1_specs", "CROSSINGS", "Spec", "build", "split_row", "INITS", "NORMS",
           "ACTIVATIONS", "POOLS", "DROPOUTS", "COLUMNS"]
