"""Conv2d against the plain tier (forward and backward), gradient checks, properties."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import Conv2d, gradcheck, naive, to_device
from minialex.kernels.workspace import Workspace


def make_conv(in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, *,
              dtype="float64", seed=0, workspace=None):
    """A Conv2d with a random (not constant) bias, so bias handling is really tested."""
    layer = Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups,
                   dtype=dtype, seed=seed, workspace=workspace)
    layer.params["bias"] = numpy.random.default_rng(seed + 1).standard_normal(
        out_channels).astype(dtype)
    return layer


def expected_side(size, kernel, stride, padding):
    return len(range(0, size + 2 * padding - kernel + 1, stride))


# -- forward against the loop-by-loop reference ------------------------------------------------------
@pytest.mark.parametrize("x_shape, out_channels, kernel, stride, padding, groups", [
    ((2, 3, 7, 7), 4, 3, 1, 0, 1),
    ((2, 3, 9, 9), 4, 3, 2, 1, 1),
    ((2, 3, 15, 15), 4, 11, 4, 0, 1),   # conv1's 11x11 stride 4, in miniature
    ((2, 3, 9, 9), 2, 5, 4, 2, 1),
    ((2, 4, 6, 6), 6, 3, 1, 1, 2),
    ((2, 4, 6, 6), 4, 5, 1, 2, 2),      # conv2's 5x5 pad 2 groups 2
    ((2, 6, 5, 5), 6, 3, 1, 1, 3),
    ((2, 3, 5, 8), 4, 3, 1, 1, 1),      # non-square input
    ((1, 2, 7, 4), 3, 2, 2, 0, 1),      # non-square input, even kernel, stride 2
])
def test_forward_matches_naive(x_shape, out_channels, kernel, stride, padding, groups, rng):
    layer = make_conv(x_shape[1], out_channels, kernel, stride, padding, groups)
    x = rng.standard_normal(x_shape)
    y = layer.forward(x)
    expected = naive.conv2d(x, layer.params["weight"], layer.params["bias"], stride, padding,
                            groups)
    assert y.shape == expected.shape
    numpy.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@st.composite
def conv_cases(draw, max_side=7):
    groups = draw(st.integers(1, 3))
    in_per_group, out_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    kernel = (draw(st.integers(1, min(4, h + 2 * padding[0]))),
              draw(st.integers(1, min(4, w + 2 * padding[1]))))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    n = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**31))
    return dict(n=n, in_channels=groups * in_per_group, out_channels=groups * out_per_group,
                h=h, w=w, kernel=kernel, stride=stride, padding=padding, groups=groups, seed=seed)


def build(case, dtype="float64"):
    layer = make_conv(case["in_channels"], case["out_channels"], case["kernel"], case["stride"],
                      case["padding"], case["groups"], dtype=dtype, seed=case["seed"] % 1000)
    rng = numpy.random.default_rng(case["seed"])
    shape = (case["n"], case["in_channels"], case["h"], case["w"])
    return layer, rng, shape


@given(conv_cases())
def test_forward_shape_and_values_property(case):
    layer, rng, shape = build(case)
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    k, s, p = case["kernel"], case["stride"], case["padding"]
    assert y.shape == (case["n"], case["out_channels"], expected_side(case["h"], k[0], s[0], p[0]),
                       expected_side(case["w"], k[1], s[1], p[1]))
    assert layer.output_shape(shape) == y.shape
    expected = naive.conv2d(x, layer.params["weight"], layer.params["bias"], s, p,
                            case["groups"])
    numpy.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@given(conv_cases())
def test_backward_matches_the_plain_tier_property(case):
    layer, rng, shape = build(case)
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    expected = naive.conv2d_backward(x, layer.params["weight"], dy, case["stride"],
                                     case["padding"], case["groups"])
    for got, want in zip((dx, layer.grads["weight"], layer.grads["bias"]), expected):
        numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(conv_cases(), st.floats(-3, 3), st.floats(-3, 3))
def test_conv_is_linear_in_x(case, a, b):
    layer, rng, shape = build(case)
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    bias = layer.params["bias"].reshape(1, -1, 1, 1)
    lhs = layer.forward(a * x1 + b * x2) - bias
    rhs = a * (layer.forward(x1) - bias) + b * (layer.forward(x2) - bias)
    scale = 1.0 + numpy.abs(layer.params["weight"]).sum() * (abs(a) + abs(b)) * 10
    numpy.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-13 * scale)


# -- gradients --------------------------------------------------------------------------------------
GRAD_CASES = [
    pytest.param(dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 5, 5), id="3x3"),
    pytest.param(dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1),
                 (2, 3, 7, 7), id="3x3-stride2-pad1"),
    pytest.param(dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2),
                 (2, 4, 5, 5), id="3x3-pad1-groups2"),
    pytest.param(dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1)),
                 (2, 2, 6, 5), id="3x2-stride2x1"),
    pytest.param(dict(in_channels=6, out_channels=3, kernel_size=2, groups=3, padding=1),
                 (2, 6, 4, 4), id="2x2-pad1-groups3"),
]


@pytest.mark.parametrize("config, x_shape", GRAD_CASES)
def test_gradcheck(config, x_shape, device, rng):
    layer = Conv2d(**config, dtype="float64", seed=1)
    layer.params["bias"] = rng.standard_normal(config["out_channels"])
    layer.to(device)
    x = to_device(rng.standard_normal(x_shape), device)
    errors = gradcheck(layer, x, tol=1e-7)
    assert set(errors) == {"input", "weight", "bias"}
    assert all(e <= 1e-7 for e in errors.values())


def test_float32_forward_is_close_to_float64(rng):
    layer64 = make_conv(3, 4, 3, padding=1)
    layer32 = make_conv(3, 4, 3, padding=1).astype("float32")
    x = rng.standard_normal((2, 3, 6, 6))
    numpy.testing.assert_allclose(layer32.forward(x.astype(numpy.float32)), layer64.forward(x),
                                  rtol=1e-4, atol=1e-5)


def test_backward_is_repeatable_and_layers_can_share_a_workspace(rng):
    # The columns are recomputed in backward, in a buffer the workspace shares between
    # layers: a second backward, or another layer's forward in between, changes nothing.
    workspace = Workspace()
    first = make_conv(2, 3, 3, padding=1, workspace=workspace)
    second = make_conv(3, 4, 3, workspace=workspace)
    x = rng.standard_normal((2, 2, 6, 6))
    y = first.forward(x)
    z = second.forward(y)
    dz = rng.standard_normal(z.shape)
    dy = second.backward(dz)
    grads_once = {k: v.copy() for k, v in second.grads.items()}
    dx_once = first.backward(dy)
    dy_again = second.backward(dz)
    numpy.testing.assert_array_equal(dy_again, dy)
    for k in grads_once:
        numpy.testing.assert_array_equal(second.grads[k], grads_once[k])
    numpy.testing.assert_array_equal(first.backward(dy), dx_once)
    # and the shared result is the gradient of a private-workspace layer pair
    alone = make_conv(2, 3, 3, padding=1)
    alone.params = {k: v.copy() for k, v in first.params.items()}
    alone.forward(x)
    numpy.testing.assert_allclose(alone.backward(dy), dx_once, rtol=1e-12, atol=1e-12)


def test_replaced_params_are_used(rng):
    layer = make_conv(2, 3, 3, padding=1)
    x = rng.standard_normal((2, 2, 5, 5))
    layer.forward(x)
    new_weight = rng.standard_normal(layer.params["weight"].shape)
    new_bias = rng.standard_normal(3)
    layer.params["weight"] = new_weight
    layer.params["bias"] = new_bias
    numpy.testing.assert_allclose(layer.forward(x), naive.conv2d(x, new_weight, new_bias, 1, 1),
                                  rtol=1e-12, atol=1e-12)
    # backward reads the new weight too: dx is the adjoint of the new linear map
    dy = rng.standard_normal((2, 3, 5, 5))
    dx = layer.backward(dy)
    v = rng.standard_normal(x.shape)
    lhs = numpy.sum(dy * (naive.conv2d(v, new_weight, numpy.zeros(3), 1, 1)))
    numpy.testing.assert_allclose(numpy.sum(dx * v), lhs, rtol=1e-10)


def test_parameter_shapes_follow_pytorch():
    layer = Conv2d(4, 6, (3, 2), groups=2)
    assert layer.params["weight"].shape == (6, 2, 3, 2)
    assert layer.params["bias"].shape == (6,)
    assert layer.params["weight"].dtype == numpy.float32


def test_seed_makes_init_reproducible():
    a, b = Conv2d(3, 4, 3, seed=5), Conv2d(3, 4, 3, seed=5)
    numpy.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    c = Conv2d(3, 4, 3, seed=6)
    assert not numpy.array_equal(a.params["weight"], c.params["weight"])


# -- the algorithm: direct (im2col) or Winograd -------------------------------------------------------
def test_auto_takes_winograd_only_where_it_applies_and_pays():
    wide = Conv2d(64, 64, 3, padding=1)
    assert wide.algorithm == "auto"
    # F(4x4, 3x3) on 13x13 maps: 4 x 4 tiles per image
    per_image = 16
    enough = -(-Conv2d.WINOGRAD_MIN_TILES // per_image)
    assert wide.algorithm_for((enough, 64, 13, 13), numpy) == "winograd"
    assert wide.algorithm_for((enough - 1, 64, 13, 13), numpy) == "direct"
    assert Conv2d(64, 64, 5, padding=2).algorithm_for((32, 64, 27, 27), numpy) == "winograd"
    assert Conv2d(3, 64, 5, padding=2).algorithm_for((128, 3, 32, 32), numpy) == "direct"  # thin
    grouped = Conv2d(64, 64, 3, padding=1, groups=4)
    assert grouped.algorithm_for((32, 64, 13, 13), numpy) == "direct"
    assert Conv2d(64, 64, 3, stride=2).algorithm_for((32, 64, 13, 13), numpy) == "direct"
    assert Conv2d(64, 64, 11).algorithm_for((32, 64, 13, 13), numpy) == "direct"
    assert Conv2d(64, 64, (3, 5)).algorithm_for((32, 64, 13, 13), numpy) == "direct"
    forced = Conv2d(3, 4, 3, algorithm="winograd")
    assert forced.algorithm_for((1, 3, 5, 5), numpy) == "winograd"
    assert "algorithm='winograd'" in repr(forced)


def test_set_algorithm_checks_as_the_constructor_does():
    conv = Conv2d(64, 64, 3, padding=1)
    conv.set_algorithm("direct")
    assert conv.algorithm_for((128, 64, 13, 13), numpy) == "direct"
    with pytest.raises(ValueError, match="algorithm must be one of"):
        conv.set_algorithm("fft")
    with pytest.raises(ValueError, match="stride-1 square kernel"):
        Conv2d(3, 96, 11, stride=4).set_algorithm("winograd")
    assert Conv2d(3, 96, 11, stride=4).winograd_applies() is False


def test_auto_is_direct_on_a_gpu_and_an_explicit_choice_stays():
    from tests import fake_gpus                   # any array module but NumPy stands for CuPy
    shape = (128, 64, 13, 13)
    assert Conv2d(64, 64, 3, padding=1).algorithm_for(shape, numpy) == "winograd"
    assert Conv2d(64, 64, 3, padding=1).algorithm_for(shape, fake_gpus) == "direct"
    forced = Conv2d(64, 64, 3, padding=1, algorithm="winograd")
    assert forced.algorithm_for(shape, fake_gpus) == "winograd"


def test_a_bad_algorithm_is_a_clear_error():
    with pytest.raises(ValueError, match="Conv2d: algorithm must be one of auto, direct, winograd"):
        Conv2d(3, 4, 3, algorithm="fft")
    with pytest.raises(ValueError, match="Conv2d: algorithm='winograd' needs a stride-1"):
        Conv2d(3, 96, 11, stride=4, algorithm="winograd")


@pytest.mark.parametrize("kernel, padding", [(3, 1), (5, 2)])
def test_direct_and_winograd_agree_in_a_training_step_at_alexnet_widths(kernel, padding, rng):
    # The shapes that "auto" sends to Winograd (batch and channels past the thresholds):
    # float32 results of the two algorithms, forward and backward, within float32 noise.
    x = rng.standard_normal((32, 64, 9, 9)).astype(numpy.float32)
    layers = {a: Conv2d(64, 48, kernel, padding=padding, groups=2, seed=4, algorithm=a)
              for a in ("direct", "auto")}
    assert layers["auto"].algorithm_for(x.shape, numpy) == "winograd"
    ys = {a: layer.forward(x) for a, layer in layers.items()}
    dy = rng.standard_normal(ys["direct"].shape).astype(numpy.float32)
    dxs = {a: layer.backward(dy) for a, layer in layers.items()}
    for got, want in ((ys["auto"], ys["direct"]), (dxs["auto"], dxs["direct"]),
                      (layers["auto"].grads["weight"], layers["direct"].grads["weight"])):
        numpy.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * numpy.abs(want).max())
