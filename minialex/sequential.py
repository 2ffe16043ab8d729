"""Sequential: named layers run in order, with state dicts, saving and a summary.

``state_dict()`` keys are ``"<layer name>.<param>"`` (``"conv1.weight"`` ... ``"fc8.bias"``,
and buffers such as ``"bn1.running_mean"``), the values host NumPy arrays in PyTorch's shapes,
so a checkpoint can be compared with, or moved to, PyTorch, and moves between the one-tower
and two-tower models of ``parallel.py``.
"""

import math

import numpy

from .backend import asnumpy, to_device
from .files import atomic_write, read_npz


class Model:
    """What every model shares: modes, steps, state dicts, ``.npz`` files and the summary table.

    A subclass provides ``forward``, ``backward``, ``layers()`` (the named layers, in order)
    and ``state_slots()``: for each state-dict key, in layer order, ``(group, pieces)`` where
    ``group`` is ``"params"`` (trained) or ``"buffers"`` (saved, never trained) and ``pieces``
    are the ``(layer, name)`` that hold it, joined along axis 0 (one piece in a one-tower
    model, one per tower in a two-tower one).
    """

    # -- modes ------------------------------------------------------------------------------------
    def train(self, mode=True):
        for _, layer in self.layers():
            layer.train(mode)
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def set_step(self, step):
        """Tell every layer the training step about to run (dropout masks depend on it)."""
        for _, layer in self.layers():
            layer.step = int(step)
        return self

    def __call__(self, x):
        return self.forward(x)

    # -- state dicts ------------------------------------------------------------------------------
    def parameter_slots(self):
        """``{key: pieces}`` of the trained parameters (what the optimiser updates)."""
        return {key: pieces for key, (group, pieces) in self.state_slots().items()
                if group == "params"}

    def state_dict(self):
        """``{"conv1.weight": host array, ..., "bn1.running_mean": ...}``: parameters and
        buffers, copies, safe to keep and to modify."""
        return {key: numpy.concatenate([asnumpy(getattr(layer, group)[name])
                                        for layer, name in pieces])
                for key, (group, pieces) in self.state_slots().items()}

    def grad_dict(self):
        """The gradients of the last ``backward``, keyed like the parameters of
        :meth:`state_dict`."""
        slots = self.parameter_slots()
        missing = [key for key, pieces in slots.items()
                   if any(name not in layer.grads for layer, name in pieces)]
        if missing:
            raise RuntimeError(f"{type(self).__name__}: no gradients yet for {missing[:3]}...: "
                               "call backward first")
        return {key: numpy.concatenate([asnumpy(layer.grads[name]) for layer, name in pieces])
                for key, pieces in slots.items()}

    def load_state_dict(self, state):
        """Load weights and buffers saved by :meth:`state_dict` (or by the other tower layout).

        Every key and shape is checked before anything is assigned: a missing key, an
        unexpected key or a wrong shape raises ``ValueError`` naming the key (and both shapes),
        and leaves the model as it was; so does a non-float array (integers would be cast
        silently). Float values are cast to each layer's dtype and moved to its device.
        """
        slots = self.state_slots()
        missing = [k for k in slots if k not in state]
        unexpected = [k for k in state if k not in slots]
        if missing or unexpected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        staged = []
        for key, (group, pieces) in slots.items():
            value = numpy.asarray(state[key])
            if value.dtype.kind != "f":
                raise ValueError(f"{type(self).__name__}.load_state_dict: {key!r} holds "
                                 f"{value.dtype} values; weights and buffers are floating-point "
                                 "numbers (only float32 and float64 casts are made)")
            first, name = pieces[0]
            expected = (sum(getattr(layer, group)[n].shape[0] for layer, n in pieces),) \
                + tuple(getattr(first, group)[name].shape[1:])
            if value.shape != expected:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {key!r} has shape "
                                 f"{value.shape}, the model expects {expected}")
            start = 0
            for layer, name in pieces:
                size = getattr(layer, group)[name].shape[0]
                staged.append((layer, group, name, value[start:start + size]))
                start += size
        for layer, group, name, part in staged:  # nothing is assigned until all is checked
            held = getattr(layer, group)
            held[name] = to_device(numpy.array(part, dtype=held[name].dtype), layer.device)
        return self

    def save(self, path):
        """Write the state dict to ``path`` (``.npz``) atomically: a temporary file, then a rename,
        so an interrupted save never leaves a half-written file behind."""
        return atomic_write(path, lambda f: numpy.savez(f, **self.state_dict()))

    def load(self, path):
        """Load a file written by :meth:`save`; a missing or unreadable file names the path."""
        return self.load_state_dict(read_npz(path, ".npz weights file"))

    def num_parameters(self):
        """How many trained numbers the model has (buffers not counted)."""
        return sum(math.prod(layer.params[name].shape)
                   for pieces in self.parameter_slots().values() for layer, name in pieces)

    def to(self, device):
        """Move every layer's parameters and buffers to ``device``."""
        for _, layer in self.layers():
            layer.to(device)
        return self


class Sequential(Model):
    """Layers applied in order: ``Sequential([("conv1", Conv2d(...)), ("relu1", ReLU()), ...])``.

    Shapes: ``forward(x)`` takes the first layer's input and returns the last layer's output;
    ``backward(dy)`` takes the gradient of the loss with respect to that output and returns the
    gradient with respect to ``x``, leaving every layer's ``grads`` set.
    """

    def __init__(self, named_layers):
        named_layers = list(named_layers)
        names = [name for name, _ in named_layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Sequential: layer names must be unique, repeated: {duplicates}")
        for name in names:
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"Sequential: layer names must be non-empty strings without "
                                 f"'.', got {name!r}")
        for name, layer in named_layers:
            layer.name = name          # in its error messages, and in its dropout mask's key
        self._layers = named_layers
        self.training = True

    def layers(self):
        return list(self._layers)

    def __getitem__(self, name):
        for layer_name, layer in self._layers:
            if layer_name == name:
                return layer
        raise KeyError(f"Sequential: no layer named {name!r}")

    def state_slots(self):
        return {f"{name}.{key}": (group, [(layer, key)])
                for name, layer in self._layers for group in ("params", "buffers")
                for key in getattr(layer, group)}

    def forward(self, x):
        for _, layer in self._layers:
            x = layer.forward(x)
        return x

    def backward(self, dy, input_gradient=True):
        """The gradients of every layer from ``dy`` (the loss's gradient at the output); returns
        the input's gradient, or, with ``input_gradient=False`` (training: the input is the
        images), None, and the first layer skips computing it."""
        layers = [layer for _, layer in self._layers]
        if not layers:
            return dy if input_gradient else None
        for layer in reversed(layers[1:]):
            dy = layer.backward(dy)
        if not input_gradient:
            return layers[0].parameter_gradients(dy)
        return layers[0].backward(dy)

    def summary(self, input_shape, file=None):
        """Print each layer's output shape, parameter count and multiply-adds (per image)
        and the totals; return the totals as ``(parameters, multiply_adds)``."""
        rows, shape = [], (1,) + tuple(input_shape)[-3:] if len(input_shape) >= 3 \
            else (1,) + tuple(input_shape)
        for name, layer in self._layers:
            out_shape = layer.output_shape(shape)
            params = sum(math.prod(p.shape) for p in layer.params.values())
            rows.append((name, type(layer).__name__, out_shape[1:], params,
                         layer.multiply_adds(shape)))
            shape = out_shape
        return print_summary(rows, file=file)


def print_summary(rows, file=None):
    """Print the summary table. ``rows`` are (name, kind, output shape, params, multiply-adds)
    per image, or a string: a note printed as its own line where it stands."""
    header = f"{'layer':<10} {'kind':<22} {'output':<16} {'params':>12} {'mult-adds':>13}"
    lines = [header, "-" * len(header)]
    layers = [r for r in rows if not isinstance(r, str)]
    for row in rows:
        if isinstance(row, str):
            lines.append(row)
            continue
        name, kind, out_shape, params, macs = row
        lines.append(f"{name:<10} {kind:<22} {str(tuple(out_shape)):<16} {params:>12,} "
                     f"{macs:>13,}")
    total_params, total_macs = sum(r[3] for r in layers), sum(r[4] for r in layers)
    lines += ["-" * len(header),
              f"{'total':<10} {'':<22} {'':<16} {total_params:>12,} {total_macs:>13,}"]
    print("\n".join(lines), file=file)
    return total_params, total_macs
