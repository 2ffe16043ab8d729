"""AlexNet as in the paper (§3.5, Figure 2), and its CIFAR-sized sibling."""

from ..layers import Conv2d, Dropout, Flatten, Linear
from .build import build
from .choices import activation_row, after_conv, check, column_widths
from .spec import Spec

# Figure 2, in one place: the layers that read the activations of *both* towers. Everything
# else stays inside its tower. "all": every tower reads both halves; "gather": the layer runs
# on the first tower only, reading both halves (fc8 and the softmax sit on one device).
CROSSINGS = {"conv3": "all", "fc6": "all", "fc7": "all", "fc8": "gather"}


def _features(channels, kernels, strides, paddings, norm, activation, pool, columns):
    """conv1..conv5, each followed by its activation; LRN after the activations of conv1 and
    conv2 (§3.3) or BatchNorm2d right after every conv (before the activation, where Ioffe &
    Szegedy put it); max-pool after conv1, conv2 and conv5.

    ``groups=2`` on conv2, conv4 and conv5 is the paper's two-GPU split; LRN is per tower too
    (``groups=2``): its window never mixes the two GPUs' kernel maps. ``columns`` "one" and
    "one-half" have groups 1 (see :func:`minialex.models.choices.column_widths`).
    """
    channels, g = column_widths(channels, columns)
    specs, groups = [], {1: 1, 2: g, 3: 1, 4: g, 5: g}
    for i in range(1, 6):
        specs.append(Spec(f"conv{i}", Conv2d, dict(
            in_channels=channels[i - 1], out_channels=channels[i], kernel_size=kernels[i - 1],
            stride=strides[i - 1], padding=paddings[i - 1], groups=groups[i]),
            bias_one=i in (2, 4, 5)))
        specs += after_conv(i, channels[i], norm, activation, pool if i in (1, 2, 5) else None,
                            lrn=i in (1, 2), lrn_groups=g)
    return specs


def _classifier(in_features, hidden, num_classes, activation, dropout):
    specs = [Spec("flatten", Flatten)]
    for i, (n_in, n_out) in zip((6, 7), ((in_features, hidden), (hidden, hidden))):
        specs += [Spec(f"fc{i}", Linear, dict(in_features=n_in, out_features=n_out),
                       bias_one=True),
                  activation_row(activation, i)]
        if dropout != "none":
            specs.append(Spec(f"drop{i}", Dropout, dict(p=0.5, mode=dropout)))
    specs.append(Spec("fc8", Linear, dict(in_features=hidden, out_features=num_classes)))
    return specs


def alexnet_specs(num_classes=1000, input_size=227, norm="lrn", activation="relu",
                  pool="overlap", dropout="paper", columns="two"):
    """The layer table of :func:`alexnet`."""
    check("alexnet", norm=norm, activation=activation, pool=pool, dropout=dropout,
          columns=columns)
    if input_size not in (224, 227):
        raise ValueError(f"alexnet: input_size must be 224 or 227, got {input_size!r}")
    # 227: (227 - 11) / 4 + 1 = 55 exactly. 224 (the paper's text): pad conv1 by 2, giving
    # (224 + 4 - 11) // 4 + 1 = 55 as well, so everything after conv1 is the same.
    conv1_padding = 0 if input_size == 227 else 2
    return (_features([3, 96, 256, 384, 384, 256], [11, 5, 3, 3, 3], [4, 1, 1, 1, 1],
                      [conv1_padding, 2, 1, 1, 1], norm, activation, pool, columns)
            + _classifier(256 * 6 * 6, 4096, num_classes, activation, dropout))


def alexnet(num_classes=1000, input_size=227, towers=1, devices=None, norm="lrn",
            activation="relu", pool="overlap", dropout="paper", init="paper", columns="two",
            dtype="float32", seed=None):
    """AlexNet as in §3.5 and Figure 2: 60,965,224 parameters for 1000 classes.

    ======  =======================================================  ===================
    layer   paper                                                    towers
    ======  =======================================================  ===================
    conv1   96 @ 11x11 stride 4 -> ReLU -> LRN -> max-pool 3/2        in each tower
    conv2   256 @ 5x5 pad 2, groups 2 -> ReLU -> LRN -> max-pool 3/2  tower-local
    conv3   384 @ 3x3 pad 1 -> ReLU                                   reads both towers
    conv4   384 @ 3x3 pad 1, groups 2 -> ReLU                         tower-local
    conv5   256 @ 3x3 pad 1, groups 2 -> ReLU -> max-pool 3/2         tower-local
    fc6     4096 -> ReLU -> dropout                                   reads both towers
    fc7     4096 -> ReLU -> dropout                                   reads both towers
    fc8     num_classes (softmax in the loss)                         reads both towers
    ======  =======================================================  ===================

    Input (N, 3, input_size, input_size). The paper says 224x224, but (224 - 11) / 4 + 1 is
    not a whole number: conv1 cannot produce its 55x55 maps from 224 without padding. The
    arithmetic works for 227 (the default, as in Caffe). ``input_size=224`` pads conv1 by 2
    pixels so that it also yields 55x55 and every later layer is unchanged.

    ``towers=2`` splits every layer over ``devices`` (default ``("cpu:0", "cpu:1")``) as in
    Figure 2; ``CROSSINGS`` above says where the towers talk. The choices the paper's
    experiments vary (see ``minialex.models.choices``):

    * ``norm``: "lrn" (§3.3), "batchnorm" (not in the paper: after every conv, before its
      activation) or "none";
    * ``activation``: "relu" (§3.1) or "tanh";
    * ``pool``: "overlap" (3x3 windows at stride 2, §3.4) or "nonoverlap" (2x2 at stride 2);
      on 55, 27 and 13 both give the same map sizes (27, 13, 6);
    * ``dropout``: "paper", "inverted" or "none";
    * ``init``: "paper" (§5: N(0, 0.01²), biases 1 in conv2, conv4, conv5, fc6, fc7),
      "paper-zero-bias" or "he";
    * ``columns``: "two" (Figure 2's split, the only one ``towers=2`` takes), "one" (one
      column at full width: groups 1) or "one-half" (§6.1's one-GPU net: half the kernels
      in conv1–conv4).
    """
    _check_towers("alexnet", towers, columns)
    specs = alexnet_specs(num_classes, input_size, norm, activation, pool, dropout, columns)
    return build(specs, init, dtype, seed, towers, devices, CROSSINGS)


def _check_towers(owner, towers, columns):
    if towers == 2 and columns != "two":
        raise ValueError(f"{owner}: towers=2 splits the two columns of Figure 2 over two "
                         f"devices; columns={columns!r} has one column (use towers=1)")


def alexnet_cifar_specs(num_classes=10, norm="lrn", activation="relu", pool="overlap",
                        dropout="paper", columns="two"):
    """The layer table of :func:`alexnet_cifar`."""
    check("alexnet_cifar", norm=norm, activation=activation, pool=pool, dropout=dropout,
          columns=columns)
    # 3/2 pooling takes conv1's 32x32 maps to 15x15; 2/2 pooling takes 30x30 maps to 15x15, so
    # with non-overlapping pools conv1 pads by 1 instead of 2 and every later size is the same.
    conv1_padding = 2 if pool == "overlap" else 1
    return (_features([3, 64, 192, 384, 256, 256], [5, 5, 3, 3, 3], [1, 1, 1, 1, 1],
                      [conv1_padding, 2, 1, 1, 1], norm, activation, pool, columns)
            + _classifier(256 * 3 * 3, 1024, num_classes, activation, dropout))


def alexnet_cifar(num_classes=10, towers=1, devices=None, norm="lrn", activation="relu",
                  pool="overlap", dropout="paper", init="he", columns="two", dtype="float32",
                  seed=None):
    """AlexNet's eight layers sized for 32x32 images: 4,980,554 parameters for 10 classes.

    conv1 3->64 5x5 pad 2, ReLU, LRN, max-pool 3/2 (32 -> 15); conv2 64->192 5x5 pad 2
    groups 2, ReLU, LRN, max-pool 3/2 (-> 7); conv3 192->384 3x3 pad 1; conv4 384->256 3x3
    pad 1 groups 2; conv5 256->256 3x3 pad 1 groups 2, max-pool 3/2 (-> 3); fc6 2304->1024,
    fc7 1024->1024 (ReLU and dropout after each), fc8 1024->num_classes. LRN with groups 2,
    towers and crossings as in :func:`alexnet`, and the same choices. ``pool="nonoverlap"``
    pads conv1 by 1 (30x30 maps) so that 2/2 pooling gives 15x15 as 3/2 does: every later
    size and the parameter count stay the same. ``init="he"`` by default: with the paper's
    N(0, 0.01²) a net this size barely moves from its start. ``columns="one-half"`` (§6.1's
    one-GPU net) has 32, 96, 192 and 128 maps in conv1–conv4.
    """
    _check_towers("alexnet_cifar", towers, columns)
    specs = alexnet_cifar_specs(num_classes, norm, activation, pool, dropout, columns)
    return build(specs, init, dtype, seed, towers, devices, CROSSINGS)
