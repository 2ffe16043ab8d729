"""Counter-based random bits: a dropout mask as a pure function of its key and position.

A random *stream* (a generator advanced call after call) is state: it has to be saved with a
checkpoint, it differs between NumPy and CuPy, and two towers drawing half a mask each cannot
reproduce the one mask of the one-tower net. A counter-based generator has none of that: each
unit's random number is a hash of (key, position).

Number the units of one image in C order over the *whole* layer, ``e = c * S + s`` (channel
``c``, counted from 0 in the one-tower layer, so a tower passes its first channel as
``channel_offset``; ``s`` the place in the (H, W) plane of size ``S``). Four neighbouring units
share one 64-bit hash and take a 16-bit quarter of it each::

    u[n, e] = bits 16*j .. 16*j + 15 of  mix64(key + (n * 2**32 + e // 4 + 1) * GOLDEN),  j = e % 4

where ``mix64`` is SplitMix64's finaliser (Steele, Lea & Flood, 2014), a bijection of 64-bit
integers whose outputs pass BigCrush. A unit is kept when ``u >= round(p * 2**16)``, so P(drop)
is p to within 2**-17. The ``key`` hashes (seed, layer name, step, rank) on the host
(:func:`mask_key`). Only integer adds, multiplies, shifts and xors on uint64 are used, which
wrap identically everywhere, so NumPy and CuPy draw the same masks.

Why it is fast:

* one hash serves four units, and the 16-bit quarters are read through a view of the hashes'
  memory (no shifts), then compared as uint16, the cheapest comparison there is;
* ``counter * GOLDEN`` splits into a per-image term and a per-position term, each computed on
  a small array, so the full-size work starts with one broadcast add;
* the work is done a block of rows at a time in a small scratch array that stays in the CPU
  cache, blocks shared out between the cores.

The plain, one unit at a time version is ``minialex.naive.dropout_mask``.
"""

import hashlib
import math
import sys

import numpy

from ..backend import device_of, get_array_module
from .threads import split_over_cores

GOLDEN = 0x9E3779B97F4A7C15                     # 2**64 / golden ratio, SplitMix64's increment
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
LANES = 4                                       # 16-bit numbers per 64-bit hash
_BLOCK = 1 << 13                                # hashes per cache-sized block (64 KiB)


def mask_key(seed, name, step, rank=0):
    """The 64-bit key of one mask: a hash of (seed, layer name, training step, worker rank)."""
    text = "\x1f".join(str(part) for part in (int(seed), name or "", int(step), int(rank)))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def keep_threshold(p):
    """Units whose 16-bit number falls below ``round(p * 2**16)`` are dropped."""
    return min(int(round(float(p) * 2 ** 16)), 2 ** 16 - 1)


def keep_mask(shape, p, key, channel_offset=0, like=None):
    """bool array of ``shape`` (N, C, ...), on the device of ``like``: True where kept."""
    xp = get_array_module(like)
    n, units = shape[0], math.prod(shape[1:])
    if n * units == 0:
        with device_of(like):
            return xp.ones(shape, dtype=bool)
    first = channel_offset * math.prod(shape[2:])     # this part's first unit in the layer
    lo_hash, hi_hash = first // LANES, -(-(first + units) // LANES)
    skip = first - lo_hash * LANES
    with device_of(like):
        image_term = xp.arange(n, dtype=xp.uint64) * xp.uint64((GOLDEN << 32) & MASK64)
        hash_term = (xp.arange(lo_hash, hi_hash, dtype=xp.uint64) * xp.uint64(GOLDEN)
                     + xp.uint64((key + GOLDEN) & MASK64))[None, :]
        keep = xp.empty((n, units), dtype=bool)
    threshold = xp.uint16(keep_threshold(p))
    # On a GPU one kernel per operation over the whole array is the fast way.
    block_rows = max(1, _BLOCK // (hi_hash - lo_hash)) if xp is numpy else n

    def rows(lo, hi):
        with device_of(like):
            z = xp.empty((min(block_rows, hi - lo), hi_hash - lo_hash), dtype=xp.uint64)
            scratch = xp.empty_like(z)
        for start in range(lo, hi, block_rows):
            stop = min(start + block_rows, hi)
            zb, tb = z[:stop - start], scratch[:stop - start]
            xp.add(image_term[start:stop, None], hash_term, out=zb)
            _mix64(xp, zb, tb)
            xp.greater_equal(_quarters(xp, zb)[:, skip:skip + units], threshold,
                             out=keep[start:stop])

    split_over_cores(rows, n, xp)
    return keep.reshape(shape)


def _mix64(xp, z, scratch):
    """SplitMix64's finaliser, in place: z ^= z >> 30; z *= MIX1; z ^= z >> 27; z *= MIX2;
    z ^= z >> 31 (all modulo 2**64)."""
    for shift, multiplier in ((30, MIX1), (27, MIX2), (31, None)):
        xp.right_shift(z, xp.uint64(shift), out=scratch)
        xp.bitwise_xor(z, scratch, out=z)
        if multiplier is not None:
            xp.multiply(z, xp.uint64(multiplier), out=z)


def _quarters(xp, z):
    """(rows, H) uint64 -> (rows, 4*H) uint16: the 16-bit quarters of each, lowest first."""
    if sys.byteorder == "little":                  # x86, ARM and every GPU: a view, no copy
        return z.view(xp.uint16)
    parts = [((z >> xp.uint64(16 * j)) & xp.uint64(0xFFFF)).astype(xp.uint16)
             for j in range(LANES)]
    return xp.stack(parts, axis=-1).reshape(z.shape[0], -1)
