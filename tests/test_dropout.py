"""Dropout (§4.2) in the paper's and the inverted form: masks, scales, seeds, gradients."""

import math

import numpy
import pytest

from minialex import Dropout, Layer, asnumpy, gradcheck, to_device

UNITS = 200_000


def sigma_of_mean(p, n):
    """Standard deviation of the kept fraction of n independent Bernoulli(1 - p) units."""
    return math.sqrt(p * (1 - p) / n)


def nonzero_input(rng, shape):
    x = rng.standard_normal(shape)
    return x + 0.1 * numpy.sign(x)     # no exact zeros, so y != 0 tells a kept unit


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_paper_mode_train_is_a_zero_one_mask(p, rng):
    x = nonzero_input(rng, (200, UNITS // 200))
    y = Dropout(p, "paper", seed=0).forward(x)
    kept = y != 0
    assert numpy.all(y[kept] == x[kept])                 # survivors untouched: mask in {0, 1}
    assert abs(kept.mean() - (1 - p)) <= 5 * sigma_of_mean(p, x.size)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_paper_mode_eval_multiplies_by_one_minus_p(p, rng):
    x = rng.standard_normal((4, 10))
    layer = Dropout(p, "paper", seed=0).eval()
    numpy.testing.assert_array_equal(layer.forward(x), x * (1 - p))


@pytest.mark.parametrize("mode", ["paper", "inverted"])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_expected_output_is_the_same_in_train_and_eval(mode, p, rng):
    x = rng.uniform(0.5, 1.5, UNITS)
    train = Dropout(p, mode, seed=1).forward(x)
    test = Dropout(p, mode, seed=1).eval().forward(x)
    # train - test has mean 0 and, per unit, variance x**2 * p * (1-p) * scale**2
    scale = 1.0 if mode == "paper" else 1.0 / (1 - p)
    sigma = scale * math.sqrt(p * (1 - p) * numpy.mean(x ** 2) / x.size)
    assert abs(train.mean() - test.mean()) <= 5 * sigma


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_inverted_mode_scales_survivors_and_eval_is_identity(p, rng):
    x = nonzero_input(rng, (100, 2000))
    layer = Dropout(p, "inverted", seed=3)
    y = layer.forward(x)
    kept = y != 0
    numpy.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)
    assert abs(kept.mean() - (1 - p)) <= 5 * sigma_of_mean(p, x.size)
    layer.eval()
    numpy.testing.assert_array_equal(layer.forward(x), x)


def test_p_zero_keeps_everything(rng):
    x = rng.standard_normal((5, 7))
    for mode in ("paper", "inverted"):
        numpy.testing.assert_array_equal(Dropout(0.0, mode, seed=0).forward(x), x)
        numpy.testing.assert_array_equal(Dropout(0.0, mode, seed=0).eval().forward(x), x)


# -- seeds -------------------------------------------------------------------------------------------------
def test_same_seed_same_mask():
    x = numpy.ones((50, 40))
    numpy.testing.assert_array_equal(Dropout(0.5, seed=7).forward(x),
                                     Dropout(0.5, seed=7).forward(x))


def test_reseed_restarts_the_stream():
    x = numpy.ones((50, 40))
    layer = Dropout(0.5, seed=7)
    first, second = layer.forward(x), layer.forward(x)
    assert not numpy.array_equal(first, second)     # a stream, not one mask over and over
    layer.reseed(7)
    numpy.testing.assert_array_equal(layer.forward(x), first)
    numpy.testing.assert_array_equal(layer.forward(x), second)


def test_different_seeds_different_masks():
    x = numpy.ones((50, 40))
    assert not numpy.array_equal(Dropout(0.5, seed=1).forward(x), Dropout(0.5, seed=2).forward(x))


# -- backward -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["paper", "inverted"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_multiplies_by_the_forward_multiplier(mode, training, dtype, device, rng):
    # Forward on ones returns the multiplier itself (mask times scale), exactly.
    p = 0.4
    layer = Dropout(p, mode, seed=5).train(training)
    multiplier = asnumpy(layer.forward(to_device(numpy.ones((30, 20), dtype=dtype), device)))
    dy_host = rng.standard_normal((30, 20)).astype(dtype)
    dy = to_device(dy_host, device)
    dx = layer.backward(dy)
    assert multiplier.dtype == dx.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(asnumpy(dx), dy_host * multiplier)
    numpy.testing.assert_array_equal(asnumpy(dy), dy_host)      # dy untouched
    if training:
        scale = 1.0 if mode == "paper" else 1 / (1 - p)
        assert set(numpy.unique(multiplier).tolist()) == {0.0, float(numpy.dtype(dtype).type(scale))}
    else:
        expected = 1 - p if mode == "paper" else 1.0
        assert numpy.all(multiplier == numpy.dtype(dtype).type(expected))


@pytest.mark.parametrize("mode", ["paper", "inverted"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_keeps_dtype_and_leaves_input(mode, dtype, rng):
    x = rng.standard_normal((6, 5)).astype(dtype)
    x_copy = x.copy()
    for training in (True, False):
        y = Dropout(0.5, mode, seed=0).train(training).forward(x)
        assert y.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(x, x_copy)


class Reseeded(Layer):
    """Dropout reseeded before every forward, so the mask is the same on every call."""

    def __init__(self, dropout, seed):
        super().__init__()
        self.dropout, self.seed = dropout, seed

    def forward(self, x):
        self.dropout.reseed(self.seed)
        return self.dropout.forward(x)

    def backward(self, dy):
        return self.dropout.backward(dy)


@pytest.mark.parametrize("mode", ["paper", "inverted"])
def test_gradcheck_eval_mode(mode, device, rng):
    x = to_device(rng.standard_normal((3, 8)), device)
    assert set(gradcheck(Dropout(0.5, mode, seed=0).eval(), x, tol=1e-7)) == {"input"}


@pytest.mark.parametrize("mode", ["paper", "inverted"])
def test_gradcheck_training_mode_reseeded(mode, device, rng):
    x = to_device(rng.standard_normal((4, 6)), device)
    layer = Reseeded(Dropout(0.5, mode), seed=11)
    assert set(gradcheck(layer, x, tol=1e-7)) == {"input"}
    # the check really ran in training mode: some units were dropped
    assert numpy.any(asnumpy(layer.forward(x)) == 0)


# -- arguments --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_p_out_of_range(p):
    with pytest.raises(ValueError, match="Dropout") as info:
        Dropout(p)
    assert repr(p) in str(info.value)


def test_bad_mode():
    with pytest.raises(ValueError, match="Dropout") as info:
        Dropout(0.5, mode="caffe")
    assert "'caffe'" in str(info.value)
