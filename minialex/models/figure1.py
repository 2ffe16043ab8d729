"""The four-layer CIFAR-10 network of the paper's Figure 1 (ReLU against tanh)."""

from ..layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Tanh
from .build import Spec, build

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}


def figure1_specs(activation="relu", num_classes=10):
    if activation not in ACTIVATIONS:
        raise ValueError(f"figure1_net: activation must be one of {sorted(ACTIVATIONS)}, "
                         f"got {activation!r}")
    act = ACTIVATIONS[activation]
    specs, channels = [], [3, 32, 32, 64]
    for i in range(1, 4):
        specs += [Spec(f"conv{i}", Conv2d, dict(in_channels=channels[i - 1],
                                                out_channels=channels[i], kernel_size=5,
                                                padding=2)),
                  Spec(f"{activation}{i}", act),
                  Spec(f"pool{i}", MaxPool2d, dict(kernel_size=3, stride=2))]
    return specs + [Spec("flatten", Flatten),
                    Spec("fc4", Linear, dict(in_features=64 * 3 * 3, out_features=num_classes))]


def figure1_net(activation="relu", num_classes=10, init="he", dtype="float32", seed=None):
    """Figure 1's four-layer CNN for 32x32 CIFAR-10 images: three conv layers and one fc.

    The paper gives no sizes. We follow the CIFAR-10 net of cuda-convnet (the code the paper
    was trained with), whose "18% error" configuration is this shape: conv 32, 32 and 64 maps
    of 5x5 with padding 2, each followed by the activation and an overlapping 3/2 max-pool
    (32 -> 15 -> 7 -> 3), then a fully-connected layer to the classes. Without its local
    normalisation, since Figure 1 compares the bare units: ``activation`` is "relu" or "tanh",
    and nothing else differs between the two nets. 79,146 parameters for 10 classes.
    """
    return build(figure1_specs(activation, num_classes), init, dtype, seed)
