"""The four-layer CIFAR-10 network of the paper's Figure 1 (ReLU against tanh)."""

from ..layers import Conv2d, Flatten, Linear
from .build import build
from .choices import after_conv, check
from .spec import Spec


def figure1_specs(activation="relu", num_classes=10, norm="none", pool="overlap"):
    """The layer table of :func:`figure1_net`."""
    check("figure1_net", activation=activation, norm=norm, pool=pool)
    specs, channels = [], [3, 32, 32, 64]
    for i in range(1, 4):
        # 2/2 pools take 30x30 maps to 15x15 as 3/2 pools take 32x32: see alexnet_cifar.
        padding = 1 if i == 1 and pool == "nonoverlap" else 2
        specs.append(Spec(f"conv{i}", Conv2d, dict(in_channels=channels[i - 1],
                                                   out_channels=channels[i], kernel_size=5,
                                                   padding=padding)))
        specs += after_conv(i, channels[i], norm, activation, pool, lrn=i in (1, 2))
    return specs + [Spec("flatten", Flatten),
                    Spec("fc4", Linear, dict(in_features=64 * 3 * 3, out_features=num_classes))]


def figure1_net(activation="relu", num_classes=10, norm="none", pool="overlap", init="he",
                dtype="float32", seed=None, device=None):
    """Figure 1's four-layer CNN for 32x32 CIFAR-10 images: three conv layers and one fc.

    The paper gives no sizes. We follow the CIFAR-10 net of cuda-convnet (the code the paper
    was trained with), whose "18% error" configuration is this shape: conv 32, 32 and 64 maps
    of 5x5 with padding 2, each followed by the activation and an overlapping 3/2 max-pool
    (32 -> 15 -> 7 -> 3), then a fully-connected layer to the classes. 85,098 parameters for
    10 classes.

    ``activation`` is "relu" or "tanh", and nothing else differs between the two nets: no
    normalisation by default, since Figure 1 compares the bare units. ``norm="lrn"`` adds the
    paper's LRN after the activations of conv1 and conv2 (the §3.3 claim about a four-layer
    CIFAR-10 net); ``norm="batchnorm"`` a BatchNorm2d after every conv. ``pool`` and ``init``
    as in :func:`minialex.alexnet`. One tower only; ``device`` places it.
    """
    return build(figure1_specs(activation, num_classes, norm, pool), init, dtype, seed,
                 devices=device)
