"""Dropout (§4.2) in the paper's and the inverted form: masks, scales, keys, gradients."""

import math

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import Dropout, asnumpy, gradcheck, naive, to_device
from minialex.kernels.random_bits import mask_key

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


# -- the key: seed, name, step, rank -----------------------------------------------------------------------
def test_same_key_same_mask():
    x = numpy.ones((50, 40))
    numpy.testing.assert_array_equal(Dropout(0.5, seed=7).forward(x),
                                     Dropout(0.5, seed=7).forward(x))


def test_the_step_advances_and_can_be_set():
    x = numpy.ones((50, 40))
    layer = Dropout(0.5, seed=7)
    first, second = layer.forward(x), layer.forward(x)
    assert layer.step == 2
    assert not numpy.array_equal(first, second)     # a new mask every training step
    layer.step = 0
    numpy.testing.assert_array_equal(layer.forward(x), first)
    numpy.testing.assert_array_equal(layer.forward(x), second)
    layer.eval().forward(x)
    assert layer.step == 2                           # eval forwards draw nothing


@pytest.mark.parametrize("change", ["seed", "name", "step", "rank"])
def test_every_part_of_the_key_changes_the_mask(change):
    x = numpy.ones((50, 40))
    a, b = Dropout(0.5, seed=1), Dropout(0.5, seed=1)
    a.name = b.name = "drop6"
    setattr(b, change, {"seed": 2, "name": "drop7", "step": 1, "rank": 1}[change])
    assert not numpy.array_equal(a.forward(x), b.forward(x))


def test_the_layer_uses_the_documented_key(rng):
    layer = Dropout(0.5, seed=9, channel_offset=4)
    layer.name, layer.step = "drop7", 12
    x = rng.standard_normal((3, 6, 2, 2))
    keep = naive.dropout_mask(x.shape, 0.5, mask_key(9, "drop7", 12), 4)
    numpy.testing.assert_array_equal(layer.forward(x), numpy.where(keep, x, 0.0))


@pytest.mark.parametrize("shape", [(6, 10), (4, 6, 3, 3)])
def test_towers_draw_their_halves_of_the_one_mask(shape):
    x = numpy.ones(shape)
    whole = Dropout(0.3, seed=5)
    halves = [Dropout(0.3, seed=5, channel_offset=t * shape[1] // 2) for t in range(2)]
    for layer in [whole] + halves:
        layer.name = "drop6"
    half = shape[1] // 2
    joined = numpy.concatenate([halves[0].forward(x[:, :half]), halves[1].forward(x[:, half:])],
                               axis=1)
    numpy.testing.assert_array_equal(joined, whole.forward(x))


def test_a_layer_without_units():
    x = numpy.ones((3, 0))
    layer = Dropout(0.5, seed=0)
    assert layer.forward(x).shape == (3, 0) and layer.backward(x).shape == (3, 0)


def test_the_same_bits_on_every_device(device):
    x = numpy.ones((33, 70), dtype=numpy.float32)
    layer = Dropout(0.5, seed=4)
    layer.name, layer.step = "drop6", 3
    key = layer.mask_key()
    here = asnumpy(layer.forward(to_device(x, device)))
    numpy.testing.assert_array_equal(here, naive.dropout_mask(x.shape, 0.5, key)
                                     .astype(numpy.float32))


@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.sampled_from([0.1, 0.5, 0.8]),
       st.sampled_from(["paper", "inverted"]), st.booleans(), st.integers(0, 5),
       st.integers(0, 2**31))
def test_forward_and_backward_match_the_plain_tier_property(shape, p, mode, training, offset,
                                                            seed):
    rng = numpy.random.default_rng(seed)
    layer = Dropout(p, mode, seed=seed % 1000, channel_offset=offset).train(training)
    layer.name, layer.step = "drop", seed % 7
    keep = naive.dropout_mask(shape, p, layer.mask_key(), offset)
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    numpy.testing.assert_allclose(layer.forward(x), naive.dropout(x, keep, p, mode, training),
                                  rtol=1e-15)
    numpy.testing.assert_allclose(layer.backward(dy),
                                  naive.dropout_backward(dy, keep, p, mode, training), rtol=1e-15)


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
    numpy.testing.assert_array_equal(asnumpy(dx), dy_host * multiplier)
    if training:
        scale = 1.0 if mode == "paper" else 1 / (1 - p)
        assert set(numpy.unique(multiplier).tolist()) == {0.0, float(numpy.dtype(dtype).type(scale))}
    else:
        expected = 1 - p if mode == "paper" else 1.0
        assert numpy.all(multiplier == numpy.dtype(dtype).type(expected))


@pytest.mark.parametrize("mode", ["paper", "inverted"])
def test_gradcheck_eval_mode(mode, device, rng):
    x = to_device(rng.standard_normal((3, 8)), device)
    assert set(gradcheck(Dropout(0.5, mode, seed=0).eval(), x, tol=1e-7)) == {"input"}


@pytest.mark.parametrize("mode", ["paper", "inverted"])
def test_gradcheck_training_mode(mode, device, rng):
    # gradcheck runs every forward at the same step, so each draws the same mask
    x = to_device(rng.standard_normal((4, 6)), device)
    layer = Dropout(0.5, mode, seed=11)
    assert set(gradcheck(layer, x, tol=1e-7)) == {"input"}
    assert layer.step == 0                          # and leaves the step where it was
    assert numpy.any(asnumpy(layer.forward(x)) == 0)    # a mask really was applied


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
