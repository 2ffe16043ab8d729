"""From a model's layer table to a network: one tower (``Sequential``) or two (``TwoTowers``).

A model is written once as a list of :class:`Spec` rows: the layer's name, its class and its
arguments, as the paper's one-GPU-equivalent network (``groups=2`` where the paper's two GPUs
do not talk). :func:`build` instantiates the rows, and for two towers splits each row with
:func:`split_row`, the one place that decides what each tower holds:

* a layer with ``groups=2`` (conv2, conv4, conv5; LRN) becomes one ``groups=1`` layer per tower
  on that tower's half of the channels: the paper's groups *are* the towers;
* a layer that reads both towers (conv3, fc6, fc7: "all" in the crossings table) gets half the
  output channels per tower, each reading the whole input; the first layer (conv1) likewise,
  from the image that every tower receives;
* a "gather" crossing (fc8) runs the whole layer on the first tower only, and so does every
  layer after it;
* batch normalisation and dropout work on each tower's half of the channels (dropout draws
  exactly its half of the one-tower mask);
* other parameter-free layers (ReLU, pooling, flatten) are copied into each tower.

Each tower's layers start from their slice of the one-tower layer's weights, so a two-tower
network is the same function as the one-tower network with the same seed.
"""

import numbers

import numpy

from ..backend import Device
from ..kernels.workspace import Workspace
from ..layers import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, LocalResponseNorm, MaxPool2d
from ..parallel import Crossing, TwoTowers
from ..sequential import Sequential
from .choices import check, init_kwargs
from .spec import Spec

__all__ = ["Spec", "build", "make_layer", "split_row", "split_into_towers"]


def make_layer(spec, init, dtype, rng, workspace, dropout_seed, **overrides):
    """Instantiate one row, named after it; ``overrides`` replace some of its arguments (the
    towers use this). Convolutions and max-pools get ``workspace``: one per device, shared, so the network
    holds only its largest im2col columns, once. ``init=None`` makes zero weights without
    drawing any (the towers' layers, which are then given their slices)."""
    kwargs = {**spec.kwargs, **overrides}
    if spec.cls in (Conv2d, Linear):
        start = {"weight_std": 0.0} if init is None else init_kwargs(spec, init)
        kwargs.update(start, dtype=dtype, seed=rng)
    if spec.cls in (Conv2d, MaxPool2d):
        kwargs["workspace"] = workspace
    elif spec.cls is BatchNorm2d:
        kwargs["dtype"] = dtype
    elif spec.cls is Dropout:
        kwargs.setdefault("seed", dropout_seed)
    layer = spec.cls(**kwargs)
    layer.name = spec.name
    return layer


def build(specs, init="paper", dtype="float32", seed=None, towers=1, devices=None,
          crossings=None):
    """A network from its layer table: ``Sequential`` for one tower, ``TwoTowers`` for two.

    ``seed`` (an int, or None for a fresh one) fixes every initial weight and every dropout
    mask (the dropout layers are keyed by it and their names). A two-tower network starts from
    exactly the weights of the one-tower network with the same seed. ``devices``: one device
    for one tower (default "cpu"), two for two (default ``("cpu:0", "cpu:1")``).
    """
    numpy.dtype(dtype)  # a bad dtype fails here, by name
    check("build", init=init)
    if towers not in (1, 2):
        raise ValueError(f"towers must be 1 or 2, got {towers!r}")
    devices = _devices(towers, devices)
    rng = numpy.random.default_rng(seed)
    dropout_seed = int(seed) if isinstance(seed, numbers.Integral) else int(rng.integers(2 ** 63))
    workspace = Workspace()
    one_tower = [make_layer(s, init, dtype, rng, workspace, dropout_seed) for s in specs]
    if towers == 1:
        return Sequential([(s.name, layer) for s, layer in zip(specs, one_tower)]).to(devices[0])
    stages = split_into_towers(specs, one_tower, crossings or {}, devices, dtype, dropout_seed)
    return TwoTowers(stages, devices)


def _devices(towers, devices):
    if devices is None:
        return ["cpu"] if towers == 1 else ["cpu:0", "cpu:1"]
    devices = [devices] if isinstance(devices, (str, Device)) else list(devices)
    if len(devices) != towers:
        raise ValueError(f"towers={towers} takes {towers} device(s), got devices={devices!r}"
                         if towers == 1 else f"two towers need two devices, got {devices!r}")
    return devices


def split_into_towers(specs, layers, crossings, devices, dtype, dropout_seed):
    """The stages of :class:`TwoTowers`: a :class:`Crossing` before each layer named in
    ``crossings``, and each row as one layer (or None) per tower, holding its slice of the
    one-tower layer's weights."""
    towers = len(devices)
    unknown = set(crossings) - {s.name for s in specs}
    if unknown:
        raise ValueError(f"two towers: crossings name layers the model lacks: {sorted(unknown)}")
    workspaces = [Workspace() for _ in devices]          # one per tower: see Conv2d
    stages, gathered, channels = [], False, None
    for index, (spec, layer) in enumerate(zip(specs, layers)):
        mode = crossings.get(spec.name)
        if mode:
            stages.append((spec.name, Crossing(spec.name, devices, mode)))
            gathered = gathered or mode == "gather"
        overrides = split_row(spec, "gather" if gathered else mode, index == 0, towers, channels)
        # Built empty (no random draws), then given their slices of the one-tower layer.
        parts = [None if extra is None else
                 make_layer(spec, None, dtype, None, workspaces[t], dropout_seed, **extra)
                 for t, extra in enumerate(overrides)]
        _share_out(layer, [p for p in parts if p is not None])
        stages.append((spec.name, [None if p is None else p.to(devices[t])
                                   for t, p in enumerate(parts)]))
        channels = _channels_after(layer, channels)
    return stages


def split_row(spec, crossing, first, towers, channels):
    """How one row of the one-tower table becomes per-tower layers: overridden arguments for
    each tower, or None where the tower has no such layer (see the module docstring).
    ``crossing``: the row's mode in the crossings table ("gather" also for every row after a
    gather). ``channels``: how many channels the row's input has in the one-tower net (None
    after a flatten)."""
    args = spec.kwargs
    if crossing == "gather":
        return [{}] + [None] * (towers - 1)
    if spec.cls is Conv2d:
        if args.get("groups", 1) == towers:
            return [dict(in_channels=args["in_channels"] // towers,
                         out_channels=args["out_channels"] // towers, groups=1)] * towers
        if args.get("groups", 1) != 1 or not (crossing or first):
            raise ValueError(f"two towers: {spec.name} has groups={args.get('groups', 1)} but "
                             "is not in the crossings table: it would need the other tower's "
                             "maps")
        return [{"out_channels": args["out_channels"] // towers}] * towers
    if spec.cls is Linear:
        if not crossing:
            raise ValueError(f"two towers: {spec.name} reads one tower only; name it in the "
                             "crossings table")
        return [{"out_features": args["out_features"] // towers}] * towers
    if spec.cls is LocalResponseNorm:
        if args.get("groups", 1) != towers:
            raise ValueError(f"two towers: {spec.name} must have groups={towers}, one window "
                             "range per tower")
        return [dict(groups=1)] * towers
    if spec.cls is BatchNorm2d:
        return [dict(num_features=args["num_features"] // towers)] * towers
    if spec.cls is Dropout:
        if channels is None:
            raise ValueError(f"two towers: {spec.name} follows a flatten, where a tower's "
                             "share of the units is not a block of channels")
        return [dict(channel_offset=t * channels // towers) for t in range(towers)]
    return [{}] * towers


def _channels_after(layer, channels):
    """The one-tower channel count after ``layer`` (None once flattened)."""
    if isinstance(layer, Conv2d):
        return layer.out_channels
    if isinstance(layer, Linear):
        return layer.out_features
    if isinstance(layer, Flatten):
        return None
    return channels


def _share_out(whole, parts):
    """Give each tower's layer its block of the one-tower layer's parameters and buffers,
    along the output axis (all of it for a single part)."""
    for group in ("params", "buffers"):
        for key, value in getattr(whole, group).items():
            start = 0
            for part in parts:
                size = getattr(part, group)[key].shape[0]
                getattr(part, group)[key] = value[start:start + size].copy()
                start += size
            if start != value.shape[0]:
                raise ValueError(f"two towers: {whole.name}.{key} does not split into "
                                 f"{len(parts)} equal parts")
