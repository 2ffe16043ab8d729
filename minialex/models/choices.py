"""The choices the paper's experiments vary, each one name and a few documented values.

=============  =====================================================================
choice         values
=============  =====================================================================
``norm``       "lrn" (§3.3), "batchnorm" (not in the paper), "none"
``activation`` "relu" (§3.1), "tanh" (Figure 1's comparison)
``pool``       "overlap": 3x3 windows at stride 2 (§3.4); "nonoverlap": 2x2 at stride 2
``dropout``    "paper" (§4.2: x(1-p) at test), "inverted" (/(1-p) in training), "none"
``init``       "paper" (§5), "paper-zero-bias", "he" (see ``build.init_kwargs``)
=============  =====================================================================
"""

from ..layers import MaxPool2d, ReLU, Tanh
from .build import INITS, Spec

NORMS = ("lrn", "batchnorm", "none")
ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}
POOLS = {"overlap": (3, 2), "nonoverlap": (2, 2)}       # (window, stride)
DROPOUTS = ("paper", "inverted", "none")

__all__ = ["NORMS", "ACTIVATIONS", "POOLS", "DROPOUTS", "INITS", "activation_row", "pool_row"]


def activation_row(activation, i):
    """The activation after layer i: ``relu3`` or ``tanh3``."""
    return Spec(f"{activation}{i}", ACTIVATIONS[activation])


def pool_row(pool, i):
    """The max-pool after layer i, overlapping or not."""
    window, stride = POOLS[pool]
    return Spec(f"pool{i}", MaxPool2d, dict(kernel_size=window, stride=stride))
