"""Small helpers the test packages share."""

import numpy


def numeric_gradient(f, x, dy, eps=1e-6):
    """d <dy, f(x)> / dx by central differences, element by element (float64, small x)."""
    x = numpy.array(x, dtype=numpy.float64)
    grad = numpy.zeros_like(x)
    for index in numpy.ndindex(*x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = numpy.sum(dy * f(x))
        x[index] = saved - eps
        minus = numpy.sum(dy * f(x))
        x[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def assert_gradient_close(analytic, numeric, rtol=1e-6):
    """Equal to ``rtol`` of the tensor's largest gradient (small entries are not resolved
    better than that by central differences)."""
    scale = max(numpy.abs(numeric).max(initial=0.0), 1e-12)
    numpy.testing.assert_allclose(analytic, numeric, rtol=0, atol=rtol * scale)


def spaced(rng, shape):
    """A permutation of 0, 1/size, 2/size, ...: distinct values further apart than any step,
    so no max-pool window changes its winner during a difference."""
    size = int(numpy.prod(shape))
    return rng.permutation(size).reshape(shape) / size
