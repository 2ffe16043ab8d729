"""Winograd convolution, the fast kernels: against the plain tier over random shapes, their
float32 error measured against float64, and the buffers they share with other layers."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import Conv2d, MaxPool2d, gradcheck, naive, to_device
from minialex.kernels.workspace import Workspace


def winograd_conv(in_channels, out_channels, r, padding, groups, *, dtype="float64", seed=0,
                  workspace=None):
    layer = Conv2d(in_channels, out_channels, r, padding=padding, groups=groups, dtype=dtype,
                   seed=seed, workspace=workspace, algorithm="winograd")
    layer.params["bias"] = numpy.random.default_rng(seed + 1).standard_normal(
        out_channels).astype(dtype)
    return layer


@st.composite
def cases(draw):
    groups = draw(st.integers(1, 3))
    r = draw(st.sampled_from(sorted(Conv2d.WINOGRAD_TILE)))
    padding = draw(st.integers(0, r // 2 + 1))
    h = draw(st.integers(max(1, r - 2 * padding), 9))
    w = draw(st.integers(max(1, r - 2 * padding), 9))
    return dict(n=draw(st.integers(1, 3)), c=groups * draw(st.integers(1, 3)),
                o=groups * draw(st.integers(1, 3)), r=r, h=h, w=w, padding=padding,
                groups=groups, seed=draw(st.integers(0, 2**31)))


@given(cases())
def test_forward_and_backward_match_the_plain_tier_property(case):
    rng = numpy.random.default_rng(case["seed"])
    layer = winograd_conv(case["c"], case["o"], case["r"], case["padding"], case["groups"],
                          seed=case["seed"] % 1000)
    x = rng.standard_normal((case["n"], case["c"], case["h"], case["w"]))
    y = layer.forward(x)
    w, b = layer.params["weight"], layer.params["bias"]
    numpy.testing.assert_allclose(y, naive.conv2d(x, w, b, 1, case["padding"], case["groups"]),
                                  rtol=1e-11, atol=1e-11)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    want = naive.conv2d_backward(x, w, dy, 1, case["padding"], case["groups"])
    for got, expected in zip((dx, layer.grads["weight"], layer.grads["bias"]), want):
        numpy.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("r, padding, groups", [(3, 1, 2), (5, 2, 1)])
def test_kept_tiles_and_recomputed_tiles_give_the_same_backward(r, padding, groups, device, rng):
    # Training mode keeps V from forward; after an eval-mode forward backward recomputes it.
    # Both must give the plain tier's gradients, and a second backward the same again (the
    # first writes dV over the kept V, so the second must recompute it), with another layer
    # using the shared workspace in between (the kept V must not live there).
    workspace = Workspace()
    layer = winograd_conv(4 * groups, 2 * groups, r, padding, groups, workspace=workspace)
    other = winograd_conv(4 * groups, 2 * groups, r, padding, groups, seed=7,
                          workspace=workspace)
    layer.to(device), other.to(device)
    x_host = rng.standard_normal((3, 4 * groups, 7, 6))
    x = to_device(x_host, device)
    dy_host = rng.standard_normal(layer.output_shape(x.shape))
    dy = to_device(dy_host, device)
    w = to_device(layer.params["weight"], "cpu")
    want = naive.conv2d_backward(x_host, w, dy_host, 1, padding, groups)
    for training in (True, False):
        layer.train(training)
        layer.forward(x)
        assert len(layer.saved()) == (2 if training else 1)     # (x, V) or x alone
        for _ in range(2):
            dx = layer.backward(dy)
            got = (dx, layer.grads["weight"], layer.grads["bias"])
            for g, expected in zip(got, want):
                numpy.testing.assert_allclose(to_device(g, "cpu"), expected, rtol=1e-11,
                                              atol=1e-11)
            other.forward(x * 2)            # overwrites the shared workspace, not the kept V
            other.backward(dy)


@pytest.mark.parametrize("r, padding, groups", [(3, 1, 1), (3, 0, 2), (5, 2, 1)])
def test_gradcheck(r, padding, groups, device, rng):
    layer = winograd_conv(2 * groups, 2 * groups, r, padding, groups)
    layer.to(device)
    x = to_device(rng.standard_normal((2, 2 * groups, 5, 6)), device)
    errors = gradcheck(layer, x, tol=1e-7)
    assert set(errors) == {"input", "weight", "bias"}
    assert all(e <= 1e-7 for e in errors.values())


@pytest.mark.parametrize("r, limit", [(3, 4e-5), (5, 3e-5)])
def test_float32_error_against_float64_is_a_few_roundings(r, limit, rng):
    # Measured at AlexNet-like depth (192 input maps): the largest error of the float32 result,
    # relative to the largest output, for direct and Winograd. Winograd's transforms add and
    # subtract numbers of different sizes, so it loses a little more than the direct product;
    # the limits are a few times what was measured (README, speed section).
    x = rng.standard_normal((16, 192, 9, 9))
    errors = {}
    for algorithm in ("direct", "winograd"):
        layer64 = Conv2d(192, 32, r, padding=r // 2, dtype="float64", seed=3, algorithm=algorithm)
        layer32 = Conv2d(192, 32, r, padding=r // 2, dtype="float64", seed=3,
                         algorithm=algorithm).astype("float32")
        exact = layer64.forward(x)
        got = layer32.forward(x.astype(numpy.float32))
        errors[algorithm] = numpy.abs(got - exact).max() / numpy.abs(exact).max()
    assert errors["direct"] < 1e-6
    assert errors["winograd"] < limit


def test_convolutions_and_pools_can_share_one_workspace(rng):
    # Winograd borrows the direct path's "columns" and "dy" buffers, and max-pooling the
    # "columns" one; with one workspace for all, each layer still gets its own gradients.
    workspace = Workspace()
    layers = [Conv2d(3, 8, 5, padding=2, seed=1, dtype="float64", workspace=workspace,
                     algorithm="winograd"),
              MaxPool2d(3, 2, workspace=workspace),
              Conv2d(8, 6, 3, padding=1, seed=2, dtype="float64", workspace=workspace,
                     algorithm="direct"),
              Conv2d(6, 4, 3, padding=1, groups=2, seed=3, dtype="float64",
                     workspace=workspace, algorithm="winograd")]
    x = rng.standard_normal((2, 3, 11, 11))
    activations = [x]
    for layer in layers:
        activations.append(layer.forward(activations[-1]))
    grad = rng.standard_normal(activations[-1].shape)
    grads = []
    for layer, inp in zip(reversed(layers), reversed(activations[:-1])):
        if isinstance(layer, Conv2d):
            dx, dw, db = naive.conv2d_backward(inp, layer.params["weight"], grad, 1,
                                               layer.padding, layer.groups)
        else:
            dx = naive.max_pool2d_backward(inp, grad, 3, 2)
            dw = None
        got = layer.backward(grad)
        numpy.testing.assert_allclose(got, dx, rtol=1e-11, atol=1e-11)
        if dw is not None:
            numpy.testing.assert_allclose(layer.grads["weight"], dw, rtol=1e-11, atol=1e-11)
        grads.append(got)
        grad = dx
