"""Dropout (§4.2) in the paper's form and in the now-common inverted form."""

import numpy

from ..backend import on_input_device
from ..kernels import random_bits
from ..validate import choice, integer
from .base import Layer

MODES = ("paper", "inverted")


class Dropout(Layer):
    """Randomly silence units while training (§4.2: p = 0.5 on the outputs of fc6 and fc7).

    Shapes: any (N, C, ...); y has x's shape.

    * ``mode="paper"``: training zeroes each unit with probability ``p``; at test time every
      output is multiplied by ``1 - p`` ("we use all the neurons but multiply their outputs by
      0.5"), so the expected activation is the same in both phases.
    * ``mode="inverted"``: training zeroes with probability ``p`` and scales the survivors by
      ``1 / (1 - p)``; test time is the identity.

    Forward is ``y = x * m`` and backward ``dx = dy * m``, with ``m`` the mask times the scale in
    training and the constant in eval mode (so eval mode is deterministic and gradient-checks).

    The mask is a pure function of ``(seed, name, step, rank)`` and of each unit's position
    (:mod:`minialex.kernels.random_bits`): nothing random is stored, so a resumed run draws
    exactly the masks it would have drawn, NumPy and CuPy draw the same ones, and a tower
    holding channels ``channel_offset ...`` of a layer draws exactly its part of the one-tower
    mask. ``step`` is set by ``model.set_step`` before each training step, and advances by one
    after each training forward (so a hand-written loop also gets a new mask every step).
    ``name`` (set by the model) keeps two layers with one seed apart; ``rank`` will tell
    data-parallel workers apart. ``seed=None`` picks a fresh random seed.
    """

    def __init__(self, p=0.5, mode="paper", seed=None, channel_offset=0):
        super().__init__()
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p, self.mode = float(p), choice(mode, "mode", "Dropout", MODES)
        self.seed = int(numpy.random.SeedSequence().entropy % 2 ** 63) if seed is None \
            else integer(seed, "seed", "Dropout")
        self.channel_offset = integer(channel_offset, "channel_offset", "Dropout", minimum=0)
        self.rank = 0

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode!r}"

    def mask_key(self):
        """The key of the mask the next training forward draws."""
        return random_bits.mask_key(self.seed, self.name, self.step, self.rank)

    @on_input_device
    def forward(self, x):
        self.check_input(x, layout="(N, ...) with a batch axis", min_ndim=1)
        if self.training:
            keep = random_bits.keep_mask(x.shape, self.p, self.mask_key(), self.channel_offset,
                                         like=x)
            # m: the mask (as bools, 1 byte a unit), times 1/(1-p) in the inverted mode
            multiplier = keep * x.dtype.type(1 / (1 - self.p)) if self.mode == "inverted" \
                else keep
            self.step += 1
        else:
            multiplier = x.dtype.type(1.0 - self.p if self.mode == "paper" else 1.0)
        self.save_for_backward(multiplier, x.shape)
        return x * multiplier

    @on_input_device
    def backward(self, dy):
        multiplier, shape = self.saved()
        self.check_gradient(dy, shape)
        return dy * multiplier
