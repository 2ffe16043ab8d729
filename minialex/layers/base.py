"""The layer contract every minialex layer follows (CS231n style).

* ``forward(x) -> y`` computes the output and keeps on the layer what ``backward`` needs.
* ``backward(dy) -> dx`` returns the gradient of the loss with respect to the input of the last
  ``forward``, and **overwrites** ``grads[k]`` with the gradient for ``params[k]``: gradients are
  never silently accumulated. ``backward`` never writes into ``dy`` (nor any layer into its input).
* ``params`` and ``grads`` are dicts keyed ``"weight"`` and ``"bias"``, with PyTorch's shapes, so
  weights can be compared and exchanged. ``params[k]`` may be replaced by another array of the
  same shape at any time (that is how weights are loaded and how the gradient checker works), so
  a layer reads ``self.params[k]`` afresh on every call.
* The dtype of the input is kept: float32 for training, float64 for gradient checks. A layer with
  parameters insists that they have the input's dtype (``layer.astype(...)``) rather than cast
  them behind your back.
* ``training`` is set by ``train()`` / ``eval()``; only dropout looks at it.
* Bad input raises ``ValueError`` naming the layer and what was expected, before any work.
"""

import numpy

from ..backend import Device, get_array_module, to_device


class Layer:
    """Base class: parameter bookkeeping, train/eval, devices, dtypes and input checks."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.training = True
        self.device = "cpu"

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def __call__(self, *inputs):
        return self.forward(*inputs)

    # -- modes, devices, dtypes ------------------------------------------------------------------
    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def to(self, device):
        """Move the parameters (and any gradients) to ``device``; returns the layer."""
        self.device = Device(device).name
        self.params = {k: to_device(v, device) for k, v in self.params.items()}
        self.grads = {k: to_device(v, device) for k, v in self.grads.items()}
        return self

    def astype(self, dtype):
        """Cast the parameters to ``dtype`` (e.g. ``"float64"`` for a gradient check)."""
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}
        self.grads = {}
        return self

    # -- buffers reused from step to step -------------------------------------------------------------
    def reusable(self, array, shape, dtype, xp):
        """``array`` if it can be written again as a (shape, dtype) result on this device, else a
        fresh ``xp.empty``. Reusing big private buffers (and the gradients, which ``backward``
        overwrites anyway) spares a page fault per 4 KiB of every fresh allocation."""
        if (array is not None and array.shape == tuple(shape) and array.dtype == dtype
                and get_array_module(array) is xp and array.flags.c_contiguous):
            return array
        return xp.empty(shape, dtype=dtype)

    # -- shapes and costs, for Sequential.summary ---------------------------------------------------
    def output_shape(self, x_shape):
        """The output shape for an input of shape ``x_shape`` (element-wise layers: the same)."""
        return tuple(x_shape)

    def multiply_adds(self, x_shape):
        """Multiply-adds of one forward pass on an input of shape ``x_shape``."""
        return 0

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self):
        return ""

    # -- input checks: one place, one wording ----------------------------------------------------
    def check_input(self, x, ndim, channels=None, layout="(N, C, H, W)"):
        """Raise ``ValueError`` unless ``x`` is a floating array of rank ``ndim``
        (and ``channels`` channels on axis 1) whose dtype matches the parameters."""
        if not hasattr(x, "shape") or not hasattr(x, "dtype"):
            raise ValueError(f"{self}: expected an array of shape {layout}, got {type(x).__name__}")
        if x.ndim != ndim:
            raise ValueError(f"{self}: expected a {ndim}-D input of shape {layout}, "
                             f"got shape {tuple(x.shape)}")
        if x.dtype.kind != "f":
            raise ValueError(f"{self}: expected a floating-point input (float32 or float64), "
                             f"got dtype {x.dtype}")
        if channels is not None and x.shape[1] != channels:
            raise ValueError(f"{self}: expected {channels} channels on axis 1 of {layout}, "
                             f"got shape {tuple(x.shape)}")
        for name, p in self.params.items():
            if p.dtype != x.dtype:
                raise ValueError(f"{self}: input dtype {x.dtype} differs from {name} dtype "
                                 f"{p.dtype}; cast one of them (layer.astype({str(x.dtype)!r}))")

    def check_gradient(self, dy, expected_shape):
        if tuple(dy.shape) != tuple(expected_shape):
            raise ValueError(f"{self}: backward expected dy of shape {tuple(expected_shape)}, "
                             f"got {tuple(dy.shape)}")


def init_params(layer, weight_shape, fan_in, weight_std, bias_init, dtype, seed):
    """Fill ``layer.params`` with ``weight ~ N(0, std**2)`` and a constant bias.

    ``weight_std=None`` gives He et al.'s ``sqrt(2 / fan_in)``, which trains deep ReLU nets from
    scratch; the paper's §5 uses ``0.01`` (the models pass it). ``seed`` is an int, a
    ``numpy.random.Generator`` or None. Parameters are created on the CPU; ``layer.to(device)``
    moves them.
    """
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{layer}: dtype must be a floating type, got {dtype}")
    std = numpy.sqrt(2.0 / fan_in) if weight_std is None else float(weight_std)
    rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
    weight = rng.standard_normal(weight_shape, dtype=numpy.float32 if dtype.itemsize <= 4
                                 else numpy.float64)   # no float64 detour for float32 layers
    weight *= std
    layer.params["weight"] = weight.astype(dtype, copy=False)
    layer.params["bias"] = numpy.full(weight_shape[0], bias_init, dtype=dtype)


def check_positive_ints(layer, **values):
    for name, value in values.items():
        for v in (value if isinstance(value, tuple) else (value,)):
            if not isinstance(v, (int, numpy.integer)) or v < 1:
                raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")


__all__ = ["Layer", "init_params", "get_array_module"]
