"""Run the slices of a large element-wise job on all CPU cores.

Why it is fast: the GEMMs already use every core (BLAS has its own threads), but NumPy's
copies and ufuncs run on one. They release the GIL while they work on large arrays, though,
so a job split into independent slices (say, halves of the channel axis) runs on two cores
from two Python threads at nearly twice the speed. That is all this module does:
``split_over_cores(job, n, xp)`` calls ``job(lo, hi)`` for slices ``[lo, hi)`` covering
``range(n)``, one slice per core.

On the GPU the kernels are parallel already: for any array module but NumPy, ``job(0, n)`` runs
once. Set ``MINIALEX_NUM_THREADS`` (default: the number of cores) to change the slice count.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy

_pool, _pool_size = None, 0


def num_threads():
    """Slices per job: ``$MINIALEX_NUM_THREADS`` or the number of cores this process may use."""
    value = os.environ.get("MINIALEX_NUM_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"MINIALEX_NUM_THREADS must be a positive integer, got "
                             f"{value!r}") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def split_over_cores(job, n, xp=numpy, block=None):
    """Call ``job(lo, hi)`` over consecutive slices covering ``range(n)``, in parallel on NumPy.

    The slices must touch disjoint memory. Exceptions from any slice are raised here.
    ``block``: on NumPy, each core walks its share in slices of at most ``block`` items, so
    that a job of several passes finds its slice still in the core's cache on every pass.
    """
    global _pool, _pool_size
    workers = min(num_threads(), n) if xp is numpy else 1
    if xp is numpy and block is not None and block < n:
        whole = job

        def job(lo, hi):
            for start in range(lo, hi, block):
                whole(start, min(start + block, hi))
    if workers <= 1:
        job(0, n)
        return
    if _pool is None or _pool_size < workers:
        _pool, _pool_size = ThreadPoolExecutor(workers, thread_name_prefix="minialex"), workers
    bounds = [n * k // workers for k in range(workers + 1)]
    futures = [_pool.submit(job, lo, hi) for lo, hi in zip(bounds, bounds[1:]) if hi > lo]
    for future in futures:
        future.result()
