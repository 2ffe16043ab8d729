"""What the benchmark scripts share."""

import time

import numpy


def gemm_gflops(n=1024, repeats=5):
    """Speed of a plain float32 matrix product: timed before and after a benchmark, it shows
    whether the machine was contended (a busy core can slow OpenBLAS tenfold)."""
    a = numpy.random.default_rng(0).standard_normal((n, n)).astype(numpy.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / min(times) / 1e9
