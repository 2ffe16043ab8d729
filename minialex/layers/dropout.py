"""Dropout (§4.2) in the paper's form and in the now-common inverted form."""

import numpy

from ..backend import get_array_module, on_input_device
from .base import Layer

MODES = ("paper", "inverted")


class Dropout(Layer):
    """Randomly silence units while training (§4.2: p = 0.5 on the outputs of fc6 and fc7).

    Shapes: any; y has x's shape.

    * ``mode="paper"``: training zeroes each unit with probability ``p``; at test time every
      output is multiplied by ``1 - p`` ("we use all the neurons but multiply their outputs by
      0.5"), so the expected activation is the same in both phases.
    * ``mode="inverted"``: training zeroes with probability ``p`` and scales the survivors by
      ``1 / (1 - p)``; test time is the identity.

    Backward multiplies ``dy`` by exactly what forward multiplied ``x`` by (the mask and scale
    in training, the constant in eval mode), so a model in eval mode is deterministic and can be
    gradient-checked.

    Masks are random but reproducible: the k-th training forward draws its mask from a
    generator seeded by ``(seed, k)`` (``numpy.random.default_rng``, or CuPy's for CuPy
    inputs). So the same seed gives the same masks, ``reseed(seed)`` restarts the stream, and
    ``state()`` / ``set_state()`` (two integers) let a checkpoint resume it exactly on any
    device. ``seed=None`` picks a fresh random seed.
    """

    def __init__(self, p=0.5, mode="paper", seed=None):
        super().__init__()
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        if mode not in MODES:
            raise ValueError(f"Dropout: mode must be one of {MODES}, got {mode!r}")
        self.p, self.mode = float(p), mode
        self.reseed(seed)

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode!r}"

    def reseed(self, seed=None):
        """Restart the mask stream from ``seed`` (None: a fresh random one)."""
        self.seed = int(numpy.random.SeedSequence().entropy % 2 ** 63) if seed is None \
            else int(seed)
        self.calls = 0

    def state(self):
        return {"seed": self.seed, "calls": self.calls}

    def set_state(self, state):
        self.seed, self.calls = int(state["seed"]), int(state["calls"])

    def _next_generator(self, xp):
        stream = numpy.random.SeedSequence([self.seed, self.calls]).generate_state(1, numpy.uint64)
        self.calls += 1
        return xp.random.default_rng(int(stream[0]))

    @on_input_device
    def forward(self, x):
        self.check_input(x, getattr(x, "ndim", 0), layout="(any shape)")
        xp = get_array_module(x)
        if self.training:
            keep = self._next_generator(xp).random(x.shape, dtype=numpy.float32) >= self.p
            self._multiplier = keep.astype(x.dtype)
            if self.mode == "inverted":
                self._multiplier *= x.dtype.type(1.0 / (1.0 - self.p))
        else:
            self._multiplier = x.dtype.type(1.0 - self.p if self.mode == "paper" else 1.0)
        self._shape = x.shape
        return x * self._multiplier

    @on_input_device
    def backward(self, dy):
        self.check_gradient(dy, self._shape)
        return dy * self._multiplier
