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


def force_algorithm(layers, algorithm):
    """Set every convolution among ``layers`` (a model's ``layers()`` pairs, or layers) to
    ``algorithm``: "auto" (the default), "direct", or "winograd" where Winograd applies (the
    others stay direct). For comparing the two on one machine."""
    import minialex as mx
    for layer in layers:
        layer = layer[1] if isinstance(layer, tuple) else layer
        if isinstance(layer, mx.Conv2d):
            fits = algorithm != "winograd" or layer.winograd_applies()
            layer.set_algorithm(algorithm if fits else "direct")
