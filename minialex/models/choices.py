"""The choices the paper's experiments vary, each one name and a few documented values.

=============  =====================================================================
choice         values
=============  =====================================================================
``norm``       "lrn" (§3.3), "batchnorm" (not in the paper), "none"
``activation`` "relu" (§3.1), "tanh" (Figure 1's comparison)
``pool``       "overlap": 3x3 windows at stride 2 (§3.4); "nonoverlap": 2x2 at stride 2
``dropout``    "paper" (§4.2: x(1-p) at test), "inverted" (/(1-p) in training), "none"
``init``       "paper" (§5), "paper-zero-bias", "he" (see :func:`init_kwargs`)
``columns``    "two" (Figure 2: conv2, conv4, conv5 and LRN in two groups, one per GPU),
               "one" (one column at full width, groups 1), "one-half" (the footnote's
               one-GPU net of §6.1: half the kernels in conv1–conv4, one column)
=============  =====================================================================

:func:`after_conv` writes the rows that follow a convolution, the same way for every model.
"""

from ..layers import BatchNorm2d, LocalResponseNorm, MaxPool2d, ReLU, Tanh
from ..validate import choice
from .spec import Spec

NORMS = ("lrn", "batchnorm", "none")
ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}
POOLS = {"overlap": (3, 2), "nonoverlap": (2, 2)}       # (window, stride)
DROPOUTS = ("paper", "inverted", "none")
INITS = ("paper", "paper-zero-bias", "he")
COLUMNS = ("two", "one", "one-half")


def check(owner, **values):
    """Each of ``norm``, ``activation``, ``pool``, ``dropout``, ``init``, ``columns`` given is a
    known value."""
    known = {"norm": NORMS, "activation": ACTIVATIONS, "pool": POOLS, "dropout": DROPOUTS,
             "init": INITS, "columns": COLUMNS}
    for key, value in values.items():
        choice(value, key, owner, known[key])


def after_conv(i, channels, norm, activation, pool, lrn=False, lrn_groups=1):
    """The rows after conv i (with ``channels`` output maps): BatchNorm2d right after it
    (before the activation, where Ioffe & Szegedy put it), the activation, LRN after the
    activation (§3.3: "after applying the ReLU nonlinearity in certain layers") where ``lrn``,
    and the max-pool where ``pool`` is not None."""
    rows = []
    if norm == "batchnorm":
        rows.append(Spec(f"bn{i}", BatchNorm2d, dict(num_features=channels)))
    rows.append(activation_row(activation, i))
    if norm == "lrn" and lrn:
        rows.append(Spec(f"lrn{i}", LocalResponseNorm,
                         dict(size=5, alpha=1e-4, beta=0.75, k=2.0, groups=lrn_groups)))
    if pool is not None:
        window, stride = POOLS[pool]
        rows.append(Spec(f"pool{i}", MaxPool2d, dict(kernel_size=window, stride=stride)))
    return rows


def column_widths(channels, columns):
    """The conv layers' output maps and the groups of the grouped layers under ``columns``.

    §6.1's footnote: the one-GPU net has half the kernels of the two-GPU net in every conv
    layer but the last, "since most of the net's parameters are in the first fully-connected
    layer", which reads the last conv layer; halving conv1–conv4 keeps the parameter counts
    close. ``channels``: [input, conv1, ..., conv5] of the two-column net.
    """
    if columns == "one-half":
        channels = [channels[0]] + [c // 2 for c in channels[1:5]] + [channels[5]]
    return channels, 2 if columns == "two" else 1


def activation_row(activation, i):
    """The activation after layer i: ``relu3`` or ``tanh3``."""
    return Spec(f"{activation}{i}", ACTIVATIONS[activation])


def init_kwargs(spec, init):
    """Initial-value arguments of a Conv2d / Linear row under ``init``.

    "paper" (§5): weights N(0, 0.01²); biases 1 in the rows marked ``bias_one``, 0 elsewhere.
    "paper-zero-bias": the same weights, every bias 0. "he": weights N(0, 2 / fan_in), biases
    0: what a small net needs to train from scratch.
    """
    choice(init, "init", "build", INITS)
    if init == "he":
        return {"weight_std": None, "bias_init": 0.0}
    return {"weight_std": 0.01, "bias_init": 1.0 if init == "paper" and spec.bias_one else 0.0}
