"""The layer contract every minialex layer follows (CS231n style).

* ``forward(x) -> y`` computes the output and keeps on the layer what ``backward`` needs
  (``save_for_backward``). ``backward(dy) -> dx`` returns the gradient of the loss with respect
  to the input of the last ``forward``, and **overwrites** ``grads[k]`` with the gradient for
  ``params[k]``: gradients are never silently accumulated. ``backward`` before any ``forward``
  is a ``RuntimeError`` that says so. Neither writes into ``x`` or ``dy``.
* ``parameter_gradients(dy)``: the same ``grads`` as ``backward(dy)``, without ``dx`` (it
  returns nothing). The network's first layer reads the images, whose gradient nobody needs:
  ``model.backward(dy, input_gradient=False)`` calls this on it. By default it runs
  ``backward`` and drops ``dx``; ``Conv2d`` and ``Linear`` skip its work (for AlexNet's conv1,
  a GEMM and a col2im).
* ``params`` and ``grads``: dicts keyed ``"weight"`` and ``"bias"``, with PyTorch's shapes, so
  weights can be compared and exchanged. ``params[k]`` may be replaced by another array of the
  same shape at any time (that is how weights are loaded and how the gradient checker works), so
  a layer reads ``self.params[k]`` afresh on every call.
* ``buffers``: arrays that are saved and loaded with the weights but never trained (PyTorch's
  ``register_buffer``), such as BatchNorm's running statistics. The optimiser never sees them.
* The dtype of the input is kept: float32 for training, float64 for gradient checks. A layer with
  parameters insists that they have the input's dtype (``layer.astype(...)``) rather than cast
  them behind your back.
* ``training`` is set by ``train()`` / ``eval()``; dropout and batch normalisation look at it.
* ``step``: the training step, set on every layer by ``model.set_step`` before each training
  forward. A stochastic layer draws its randomness from (seed, name, step), so it holds no
  random stream: the same step gives the same mask, on any device, after any resume.
* ``name``: the layer's name in its model (``"conv1"``), set by the model; it appears in error
  messages and keys dropout masks.
* Bad input raises ``ValueError`` naming the layer and what was expected, before any work.
"""

from ..backend import Device, device_of, to_device


class Layer:
    """Base class: the contract above, and the checks every layer shares."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}
        self.training = True
        self.device = "cpu"
        self.name = None
        self.step = 0
        self._saved = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def parameter_gradients(self, dy):
        """``grads`` as ``backward(dy)`` sets them, no ``dx`` (see the module docstring)."""
        self.backward(dy)

    def __call__(self, *inputs):
        return self.forward(*inputs)

    # -- what forward leaves for backward -------------------------------------------------------
    def save_for_backward(self, *values):
        """Keep ``values`` for the next ``backward`` (replacing those of an earlier forward)."""
        self._saved = values

    def saved(self):
        """The values the last ``forward`` kept, as a tuple."""
        if self._saved is None:
            raise RuntimeError(f"{self}: backward called before forward; run forward(x) first, "
                               "so that the layer has the input its gradient depends on")
        return self._saved

    # -- modes, devices, dtypes -------------------------------------------------------------------
    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def to(self, device):
        """Move the parameters, gradients and buffers to ``device``; returns the layer."""
        self.device = Device(device).name
        for group in ("params", "grads", "buffers"):
            setattr(self, group, {k: to_device(v, device) for k, v in getattr(self, group).items()})
        return self

    def astype(self, dtype):
        """Cast the parameters and buffers to ``dtype`` (e.g. ``"float64"`` for a gradient
        check); the gradients are dropped."""
        for group in ("params", "buffers"):
            setattr(self, group, {k: _cast(v, dtype) for k, v in getattr(self, group).items()})
        self.grads = {}
        return self

    # -- shapes and costs, for Sequential.summary -------------------------------------------------
    def output_shape(self, x_shape):
        """The output shape for an input of shape ``x_shape`` (element-wise layers: the same)."""
        return tuple(x_shape)

    def multiply_adds(self, x_shape):
        """Multiply-adds of one forward pass on an input of shape ``x_shape``."""
        return 0

    def __repr__(self):
        text = f"{type(self).__name__}({self.extra_repr()})"
        return f"{self.name}: {text}" if self.name else text

    def extra_repr(self):
        return ""

    # -- input checks: one place, one wording ---------------------------------------------------
    def check_input(self, x, ndim=None, channels=None, layout="(N, C, H, W)", min_ndim=0):
        """Raise ``ValueError`` unless ``x`` is a floating array of rank ``ndim`` (or, when
        None, of rank ``min_ndim`` or more), with ``channels`` channels on axis 1, whose dtype
        matches the parameters."""
        if not hasattr(x, "shape") or not hasattr(x, "dtype"):
            raise ValueError(f"{self}: expected an array of shape {layout}, got {type(x).__name__}")
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"{self}: expected a {ndim}-D input of shape {layout}, "
                             f"got shape {tuple(x.shape)}")
        if x.ndim < min_ndim:
            raise ValueError(f"{self}: expected an array of shape {layout}, got shape "
                             f"{tuple(x.shape)}")
        if x.dtype.kind != "f":
            raise ValueError(f"{self}: expected a floating-point input (float32 or float64), "
                             f"got dtype {x.dtype}")
        if channels is not None and x.shape[1] != channels:
            raise ValueError(f"{self}: expected {channels} channels on axis 1 of {layout}, "
                             f"got shape {tuple(x.shape)}")
        for held in (self.params, self.buffers):
            for name, p in held.items():
                if p.dtype != x.dtype:
                    raise ValueError(f"{self}: input dtype {x.dtype} differs from {name} dtype "
                                     f"{p.dtype}; cast one of them "
                                     f"(layer.astype({str(x.dtype)!r}))")

    def check_gradient(self, dy, expected_shape):
        if not hasattr(dy, "shape") or tuple(dy.shape) != tuple(expected_shape):
            raise ValueError(f"{self}: backward expected dy of shape {tuple(expected_shape)}, "
                             f"got {tuple(getattr(dy, 'shape', ())) or type(dy).__name__}")


def _cast(array, dtype):
    with device_of(array):
        return array.astype(dtype)


__all__ = ["Layer"]
