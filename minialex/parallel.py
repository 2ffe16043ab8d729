"""Two towers on two devices: the paper's Figure 2, for real.

The paper's network did not fit on one GTX 580, so each layer's kernels were split in half
over two GPUs, "with one additional trick: the GPUs communicate only in certain layers" (§3.2).
Here each tower holds its half of every layer on its own device. Most layers only see their
own tower's activations; the layers named in the model's ``CROSSINGS`` table (conv3, fc6, fc7
and fc8 for AlexNet) read both towers', which reach them through :class:`Crossing`, the one
differentiable layer that moves arrays between devices. Its backward sends the gradient
back the same way, and it counts every byte that crosses.

How a one-tower layer table becomes the two towers' stages is decided in one place,
``minialex.models.build`` (``split_row``); :class:`TwoTowers` runs the stages it is given.
The two-tower model is the same function as the one-tower net with the same weights:
``state_dict()`` has the same keys and shapes (the halves joined along the output axis), so
checkpoints move freely between the two.
"""

import math

from .backend import Device, device_of, get_array_module, to_device
from .sequential import Model, print_summary


class Crossing:
    """Moves activations between towers (forward) and their gradients back (backward).

    ``mode="all"``: every tower receives the activations of all towers, joined along the
    channel axis in tower order. ``mode="gather"``: only the first tower receives them.
    Shapes: a list with one (N, C_t, ...) array per tower -> a list with one
    (N, sum C_t, ...) array per receiving tower (None for the others).

    ``bytes`` holds what crossed from one device to another in the last forward and backward.
    """

    def __init__(self, name, devices, mode):
        if mode not in ("all", "gather"):
            raise ValueError(f"Crossing {name}: mode must be 'all' or 'gather', got {mode!r}")
        self.name, self.devices, self.mode = name, [Device(d) for d in devices], mode
        self.bytes = {"forward": 0, "backward": 0}

    def receivers(self):
        return range(len(self.devices)) if self.mode == "all" else range(1)

    def _move(self, x, source, target, direction):
        # Between GPUs the copy is ordered after the kernels that made x, and before those
        # that read it, because everything runs on CuPy's default (null) stream; a layer on
        # its own stream would need an event between them.
        if self.devices[source] != self.devices[target]:
            self.bytes[direction] += x.nbytes
            return to_device(x, self.devices[target])
        return x

    def forward(self, parts):
        self.bytes["forward"] = 0
        self._channels = [p.shape[1] for p in parts]
        outputs = [None] * len(parts)
        for t in self.receivers():
            with self.devices[t]:
                moved = [self._move(p, s, t, "forward") for s, p in enumerate(parts)]
                outputs[t] = get_array_module(moved[0]).concatenate(moved, axis=1)
        return outputs

    def backward(self, grads):
        self.bytes["backward"] = 0
        bounds = [0]
        for c in self._channels:
            bounds.append(bounds[-1] + c)
        result = [None] * len(self._channels)
        for t in self.receivers():
            for s in range(len(self._channels)):
                piece = grads[t][:, bounds[s]:bounds[s + 1]]
                with self.devices[s]:
                    piece = self._move(piece, t, s, "backward")
                    if result[s] is None:
                        result[s] = get_array_module(piece).ascontiguousarray(piece)
                    else:
                        result[s] = result[s] + piece
        return result


class TwoTowers(Model):
    """A network split over two devices (Figure 2); same interface as :class:`Sequential`.

    ``forward(x)``: x (N, C, H, W) on any device is sent to both towers; returns the logits on
    the first tower's device. ``backward(dlogits)`` returns the gradient of the input on the
    first device (the sum of both towers' input gradients).
    ``transfer_bytes``: ``{crossing: {"forward": bytes, "backward": bytes}}`` of the last pass.
    """

    def __init__(self, stages, devices):
        devices = [Device(d) for d in ([devices] if isinstance(devices, str) else devices)]
        if len(devices) != 2:
            raise ValueError(f"two towers need two devices, got {[d.name for d in devices]}")
        for name, stage in stages:
            if not isinstance(stage, Crossing) and len(stage) != len(devices):
                raise ValueError(f"two towers: stage {name!r} has {len(stage)} layers, expected "
                                 f"one per tower (None where a tower has none)")
        self.devices, self.training = devices, True
        self.stages = list(stages)  # (name, Crossing) or (name, [layer, or None, per tower])

    def layers(self):
        return [(f"{name}@{self.devices[t].name}", layer) for name, stage in self.stages
                if not isinstance(stage, Crossing) for t, layer in enumerate(stage) if layer]

    def crossings(self):
        return [stage for _, stage in self.stages if isinstance(stage, Crossing)]

    def state_slots(self):
        slots = {}
        for name, stage in self.stages:
            if isinstance(stage, Crossing):
                continue
            present = [layer for layer in stage if layer is not None]
            for group in ("params", "buffers"):
                for key in getattr(present[0], group):
                    slots[f"{name}.{key}"] = (group, [(layer, key) for layer in present])
        return slots

    @property
    def transfer_bytes(self):
        return {c.name: dict(c.bytes) for c in self.crossings()}

    def to(self, device):
        raise ValueError("TwoTowers: the towers' devices are fixed when the model is built "
                         "(devices=...); load its state_dict into a new model to move it")

    def forward(self, x):
        acts = [to_device(x, d) for d in self.devices]   # the image goes to every tower
        for _, stage in self.stages:
            if isinstance(stage, Crossing):
                acts = stage.forward(acts)
            else:
                acts = [None if layer is None else layer.forward(a)
                        for layer, a in zip(stage, acts)]
        return acts[0]

    def backward(self, dy, input_gradient=True):
        """As :meth:`Sequential.backward`: the input's gradient, or None without
        ``input_gradient`` (then the first stage's layers skip it)."""
        grads = [dy] + [None] * (len(self.devices) - 1)
        for index, (_, stage) in reversed(list(enumerate(self.stages))):
            if isinstance(stage, Crossing):
                grads = stage.backward(grads)
            elif index == 0 and not input_gradient:
                for layer, g in zip(stage, grads):
                    if layer is not None:
                        layer.parameter_gradients(g)
                return None
            else:
                grads = [None if layer is None else layer.backward(g)
                         for layer, g in zip(stage, grads)]
        total = grads[0]
        with device_of(total):
            for g in grads[1:]:
                total = total + to_device(g, self.devices[0])
        return total

    def summary(self, input_shape, file=None):
        """Like :meth:`Sequential.summary`, both towers' halves counted together, and a line
        per crossing: how many values per image move between the devices (each way)."""
        shapes = [(1,) + tuple(input_shape)[-3:]] * len(self.devices)
        rows = []
        for name, stage in self.stages:
            if isinstance(stage, Crossing):
                moved = sum(math.prod(shapes[s]) for t in stage.receivers()
                            for s in range(len(shapes)) if stage.devices[s] != stage.devices[t])
                rows.append(f"  >> crossing ({stage.mode}): {moved:,} values per image move "
                            f"between the devices, forward and again backward")
                joined = (1, sum(s[1] for s in shapes)) + tuple(shapes[0][2:])
                shapes = [joined if t in stage.receivers() else None
                          for t in range(len(shapes))]
                continue
            present = [(layer, shape) for layer, shape in zip(stage, shapes) if layer is not None]
            outs = [layer.output_shape(shape) for layer, shape in present]
            params = sum(math.prod(p.shape) for layer, _ in present for p in layer.params.values())
            macs = sum(layer.multiply_adds(shape) for layer, shape in present)
            joined = (sum(o[1] for o in outs),) + tuple(outs[0][2:])   # halves side by side
            kind = type(present[0][0]).__name__ + (f" x{len(present)}" if len(present) > 1 else "")
            rows.append((name, kind, joined, params, macs))
            shapes = [layer and layer.output_shape(shape) for layer, shape in zip(stage, shapes)]
        return print_summary(rows, file=file)
