"""From a model's layer table to a network: one tower (``Sequential``) or two (``TwoTowers``).

A model is written once as a list of :class:`Spec` rows: the layer's name, its class and its
arguments, as the paper's one-GPU-equivalent network (``groups=2`` where the paper's two GPUs
do not talk). ``build`` instantiates it; ``minialex.parallel`` splits the same rows over two
devices.
"""

from dataclasses import dataclass, field

import numpy

from ..im2col import Workspace
from ..layers import Conv2d, Dropout, Linear
from ..model import Sequential

INITS = ("paper", "he")


@dataclass
class Spec:
    """One row of a model's layer table."""
    name: str
    cls: type
    kwargs: dict = field(default_factory=dict)
    bias_one: bool = False       # the paper's §5 sets these biases to 1 (conv2, 4, 5, fc6, 7)


def init_kwargs(spec, init):
    """Initial-value arguments of a Conv2d / Linear row under ``init`` ("paper" or "he").

    "paper" (§5): weights N(0, 0.01²); biases 1 in the rows marked ``bias_one``, 0 elsewhere.
    "he": weights N(0, 2 / fan_in), biases 0: what a small net needs to train from scratch.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if init == "paper":
        return {"weight_std": 0.01, "bias_init": 1.0 if spec.bias_one else 0.0}
    return {"weight_std": None, "bias_init": 0.0}


def make_layer(spec, init, dtype, rng, workspace=None, **overrides):
    """Instantiate one row; ``overrides`` replace some of its arguments (the towers use this).
    Convolutions get ``workspace``: one per device, shared, so the network holds only its
    largest im2col columns, once."""
    kwargs = {**spec.kwargs, **overrides}
    if spec.cls in (Conv2d, Linear):
        kwargs.update(init_kwargs(spec, init), dtype=dtype, seed=rng)
    if spec.cls is Conv2d:
        kwargs["workspace"] = workspace
    elif spec.cls is Dropout:
        kwargs.setdefault("seed", int(rng.integers(2 ** 63)))
    return spec.cls(**kwargs)


def build(specs, init="paper", dtype="float32", seed=None, towers=1, devices=None,
          crossings=None):
    """A network from its layer table: ``Sequential`` for one tower, ``TwoTowers`` for two.

    ``seed`` fixes every initial weight and dropout stream. A two-tower network starts from
    exactly the weights of the one-tower network with the same seed.
    """
    numpy.dtype(dtype)  # a bad dtype fails here, by name
    rng = numpy.random.default_rng(seed)
    workspace = Workspace()
    one_tower = Sequential([(s.name, make_layer(s, init, dtype, rng, workspace)) for s in specs])
    if towers == 1:
        if devices is not None:
            devices = [devices] if isinstance(devices, str) else list(devices)
            if len(devices) != 1:
                raise ValueError(f"towers=1 takes one device, got devices={devices!r}")
            one_tower.to(devices[0])
        return one_tower
    if towers != 2:
        raise ValueError(f"towers must be 1 or 2, got {towers!r}")
    from ..parallel import TwoTowers
    devices = ("cpu:0", "cpu:1") if devices is None else devices
    model = TwoTowers(specs, crossings, devices, dtype=dtype, seed=rng)
    return model.load_state_dict(one_tower.state_dict())
