"""BatchNorm2d (not in the paper): PyTorch's semantics, the plain tier, gradients, buffers."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import BatchNorm2d, asnumpy, gradcheck, naive, to_device


def layer_with(rng, channels, training=True, affine=True):
    layer = BatchNorm2d(channels, dtype="float64", affine=affine).train(training)
    if affine:
        layer.params = {"weight": 1 + 0.5 * rng.standard_normal(channels),
                        "bias": rng.standard_normal(channels)}
    layer.buffers = {"running_mean": rng.standard_normal(channels),
                     "running_var": 0.5 + rng.random(channels)}
    return layer


def test_training_normalises_each_channel_over_the_batch(rng):
    x = 3 + 2 * rng.standard_normal((8, 4, 5, 5))
    y = BatchNorm2d(4, dtype="float64").forward(x)        # gamma 1, beta 0
    numpy.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-14)
    var = x.var(axis=(0, 2, 3))
    numpy.testing.assert_allclose(y.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-12)


def test_running_statistics_follow_pytorch(rng):
    # momentum 0.1: running = 0.9 * running + 0.1 * batch, with the *unbiased* variance
    x = rng.standard_normal((3, 2, 4, 4))
    layer = BatchNorm2d(2, dtype="float64")
    layer.forward(x)
    m = 3 * 4 * 4
    numpy.testing.assert_allclose(layer.buffers["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)),
                                  rtol=1e-13)
    numpy.testing.assert_allclose(layer.buffers["running_var"],
                                  0.9 + 0.1 * x.var(axis=(0, 2, 3)) * m / (m - 1), rtol=1e-13)
    assert set(layer.buffers) == {"running_mean", "running_var"} and set(layer.params) == {
        "weight", "bias"}


def test_eval_uses_the_running_statistics_and_changes_nothing(rng):
    layer = layer_with(rng, 3, training=False)
    before = {k: v.copy() for k, v in layer.buffers.items()}
    x = rng.standard_normal((2, 3, 4, 4))
    y = layer.forward(x)
    mean = before["running_mean"].reshape(1, 3, 1, 1)
    std = numpy.sqrt(before["running_var"] + 1e-5).reshape(1, 3, 1, 1)
    expected = (layer.params["weight"].reshape(1, 3, 1, 1) * (x - mean) / std
                + layer.params["bias"].reshape(1, 3, 1, 1))
    numpy.testing.assert_allclose(y, expected, rtol=1e-13)
    for key, value in before.items():
        numpy.testing.assert_array_equal(layer.buffers[key], value)


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_forward_and_backward_match_the_plain_tier_property(n, c, h, w, training, affine, seed):
    rng = numpy.random.default_rng(seed)
    if training and n * h * w < 2:
        n = 2
    layer = layer_with(rng, c, training, affine)
    stats = {k: v.copy() for k, v in layer.buffers.items()}
    x, dy = 2 * rng.standard_normal((n, c, h, w)) + 1, rng.standard_normal((n, c, h, w))
    gamma = layer.params["weight"] if affine else numpy.ones(c)
    beta = layer.params["bias"] if affine else numpy.zeros(c)
    y_plain, mean_plain, var_plain = naive.batch_norm2d(
        x, gamma, beta, stats["running_mean"], stats["running_var"], training)
    numpy.testing.assert_allclose(layer.forward(x), y_plain, rtol=1e-11, atol=1e-12)
    numpy.testing.assert_allclose(layer.buffers["running_mean"], mean_plain, rtol=1e-12)
    numpy.testing.assert_allclose(layer.buffers["running_var"], var_plain, rtol=1e-12)
    dx_plain, dgamma, dbeta = naive.batch_norm2d_backward(
        x, gamma, dy, stats["running_mean"], stats["running_var"], training)
    numpy.testing.assert_allclose(layer.backward(dy), dx_plain, rtol=1e-9, atol=1e-10)
    if affine:
        numpy.testing.assert_allclose(layer.grads["weight"], dgamma, rtol=1e-11, atol=1e-12)
        numpy.testing.assert_allclose(layer.grads["bias"], dbeta, rtol=1e-11, atol=1e-12)
    else:
        assert layer.grads == {} and layer.params == {}


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck(training, device, rng):
    layer = layer_with(rng, 3, training).to(device)
    x = to_device(rng.standard_normal((4, 3, 3, 3)), device)
    errors = gradcheck(layer, x)
    assert set(errors) == {"input", "weight", "bias"}
    assert asnumpy(layer.buffers["running_mean"]).dtype == numpy.float64


def test_gradcheck_restores_the_running_statistics(rng):
    layer = layer_with(rng, 3).astype("float32")
    before = {k: v for k, v in layer.buffers.items()}
    gradcheck(layer, rng.standard_normal((4, 3, 3, 3)))
    assert all(layer.buffers[k] is v for k, v in before.items())


def test_float32_is_kept_in_the_buffers(rng):
    layer = BatchNorm2d(3)
    layer.forward(rng.standard_normal((2, 3, 4, 4)).astype(numpy.float32))
    assert all(v.dtype == numpy.float32 for v in layer.buffers.values())
