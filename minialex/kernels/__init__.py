"""Where the speed lives: the machinery behind the layers, in one place.

A layer in :mod:`minialex.layers` says what it computes, in the paper's terms, and calls these
by name; each module's docstring says why it is fast. Every kernel is tested against the plain
tier (:mod:`minialex.naive`), which computes the same numbers the slow, obvious way.

* :mod:`.threads`      element-wise work split over the CPU cores (NumPy releases the GIL)
* :mod:`.workspace`    buffers kept from step to step: the shared scratch space, reused results
* :mod:`.geometry`     the stride-phase layout shared by im2col and max-pooling
* :mod:`.im2col`       im2col / col2im on "wide" columns after a stride-phase split
* :mod:`.conv`         the convolution's column layout, GEMMs and bias pass
* :mod:`.winograd`     Winograd's convolution: the tile transforms, batch-last (CHWN) tiles
* :mod:`.pool`         max pooling as two contiguous 1-D passes with int8 winners
* :mod:`.lrn`          LRN's fused passes and the beta = 0.75 square roots
* :mod:`.batchnorm`    batch normalisation's passes, channels shared out between the cores
* :mod:`.random_bits`  counter-based random bits for dropout masks (same on NumPy and CuPy)
* :mod:`.sgd`          the in-place SGD updates
* :mod:`.dispatch`     one kernel name, two bodies: the xp reference and a fused CUDA kernel
* :mod:`.cuda`         the fused CUDA kernels (CuPy only), each tested against its reference
"""

from . import (batchnorm, conv, dispatch, geometry, im2col, lrn, pool, random_bits, sgd,
               threads, winograd, workspace)

__all__ = ["batchnorm", "conv", "dispatch", "geometry", "im2col", "lrn", "pool", "random_bits",
           "sgd", "threads", "winograd", "workspace"]
