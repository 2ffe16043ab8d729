"""The gradient checker itself: it passes correct layers, catches wrong ones, and leaves no trace."""

import re

import numpy
import pytest

from minialex import (Conv2d, GradcheckError, Linear, LocalResponseNorm, ReLU, asnumpy, gradcheck,
                      to_device)


class DoubledInputGrad(Linear):
    """A Linear whose backward returns twice the correct dx."""

    def backward(self, dy):
        return 2 * super().backward(dy)


class WrongWeightGrad(Linear):
    """A Linear that forgets the transpose's partner: dweight = dy.T @ x, then halved."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["weight"] = 0.5 * self.grads["weight"]
        return dx


class WrongBiasShape(Linear):
    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["bias"] = self.grads["bias"][None, :]
        return dx


def linear_case(layer_type, rng, dtype="float64"):
    layer = layer_type(5, 3, dtype=dtype, seed=0)
    layer.params["bias"] = rng.standard_normal(3).astype(dtype)
    return layer, rng.standard_normal((4, 5))


def report_lines(message):
    return {line.split(":")[0].strip(): line for line in message.splitlines()[1:]}


# -- correct layers pass ----------------------------------------------------------------------------
def test_returns_the_worst_error_per_tensor(rng):
    layer = Conv2d(2, 3, 3, padding=1, dtype="float64", seed=0)
    errors = gradcheck(layer, rng.standard_normal((2, 2, 4, 4)))
    assert set(errors) == {"input", "weight", "bias"}
    assert all(isinstance(e, float) and 0.0 <= e <= 1e-7 for e in errors.values())


def test_parameterless_layer_has_only_input(rng):
    assert set(gradcheck(LocalResponseNorm(alpha=1.0, k=1.0), rng.standard_normal((2, 4, 2, 2)))) \
        == {"input"}


@pytest.mark.parametrize("directions", [1, 4])
def test_directions_mode_passes_a_correct_layer(directions, device, rng):
    layer = Conv2d(4, 6, 3, padding=1, groups=2, dtype="float64", seed=0).to(device)
    x = to_device(rng.standard_normal((2, 4, 6, 6)), device)
    errors = gradcheck(layer, x, directions=directions)
    assert set(errors) == {"input", "weight", "bias"}
    assert all(e <= 1e-7 for e in errors.values())


def test_result_is_reproducible(rng):
    layer, x = linear_case(Linear, rng)
    assert gradcheck(layer, x, seed=3) == gradcheck(layer, x, seed=3)


# -- wrong layers fail, with a readable report -------------------------------------------------------------
def test_doubled_input_gradient_is_caught(rng):
    layer, x = linear_case(DoubledInputGrad, rng)
    with pytest.raises(GradcheckError) as info:
        gradcheck(layer, x)
    message = str(info.value)
    assert "DoubledInputGrad" in message
    lines = report_lines(message)
    assert set(lines) == {"input"}          # weight and bias are right and not reported
    assert "analytic" in lines["input"] and "numeric" in lines["input"]
    analytic, numeric = (float(v) for v in
                         re.search(r"analytic (\S+), numeric (\S+)", lines["input"]).groups())
    assert analytic == pytest.approx(2 * numeric, rel=1e-6)


def test_wrong_weight_gradient_is_caught(rng):
    layer, x = linear_case(WrongWeightGrad, rng)
    with pytest.raises(GradcheckError) as info:
        gradcheck(layer, x)
    lines = report_lines(str(info.value))
    assert set(lines) == {"weight"}
    analytic, numeric = (float(v) for v in
                         re.search(r"analytic (\S+), numeric (\S+)", lines["weight"]).groups())
    assert analytic == pytest.approx(0.5 * numeric, rel=1e-6)


def test_no_raise_reports_the_relative_error(rng):
    # |2g - g| / max(|2g|, |g|) = 1/2 for every element of a doubled gradient.
    layer, x = linear_case(DoubledInputGrad, rng)
    errors = gradcheck(layer, x, raise_on_failure=False)
    assert errors["input"] == pytest.approx(0.5, abs=1e-6)
    assert errors["weight"] <= 1e-7 and errors["bias"] <= 1e-7


@pytest.mark.parametrize("layer_type, tensor", [(DoubledInputGrad, "input"),
                                                (WrongWeightGrad, "weight")])
def test_directions_mode_catches_wrong_gradients(layer_type, tensor, rng):
    layer, x = linear_case(layer_type, rng)
    with pytest.raises(GradcheckError, match=tensor):
        gradcheck(layer, x, directions=3)


def test_wrong_gradient_shape_is_caught(rng):
    layer, x = linear_case(WrongBiasShape, rng)
    with pytest.raises(GradcheckError, match=r"bias.*\(1, 3\).*\(3,\)"):
        gradcheck(layer, x)


def test_kink_crossing_is_caught():
    """ReLU at exactly 0: the central difference sees slope 1/2, backward says 0."""
    x = numpy.array([[0.0, 1.0, -1.0]])
    with pytest.raises(GradcheckError, match="input"):
        gradcheck(ReLU(), x)


# -- no side effects ----------------------------------------------------------------------------------------
def test_params_grads_and_x_are_left_alone(rng):
    layer = Conv2d(2, 3, 3, padding=1, dtype="float32", seed=0)
    x = rng.standard_normal((2, 2, 4, 4)).astype(numpy.float32)
    y = layer.forward(x)
    layer.backward(numpy.ones_like(y))
    params = dict(layer.params)
    grads = dict(layer.grads)
    param_values = {k: v.copy() for k, v in params.items()}
    grad_values = {k: v.copy() for k, v in grads.items()}
    x_before = x.copy()

    gradcheck(layer, x)

    assert layer.params.keys() == params.keys() and layer.grads.keys() == grads.keys()
    for key in params:
        assert layer.params[key] is params[key]
        assert layer.params[key].dtype == numpy.float32
        numpy.testing.assert_array_equal(layer.params[key], param_values[key])
        assert layer.grads[key] is grads[key]
        assert layer.grads[key].dtype == numpy.float32
        numpy.testing.assert_array_equal(layer.grads[key], grad_values[key])
    assert x.dtype == numpy.float32
    numpy.testing.assert_array_equal(x, x_before)


def test_params_restored_when_the_check_fails(rng):
    layer, x = linear_case(DoubledInputGrad, rng, dtype="float32")
    weight, bias = layer.params["weight"], layer.params["bias"]
    with pytest.raises(GradcheckError):
        gradcheck(layer, x)
    assert layer.params["weight"] is weight and layer.params["bias"] is bias
    assert layer.grads == {}


def test_float64_input_is_not_written(device, rng):
    x_host = rng.standard_normal((3, 5))
    x = to_device(x_host, device)
    layer = Linear(5, 2, dtype="float64", seed=1).to(device)
    gradcheck(layer, x)
    numpy.testing.assert_array_equal(asnumpy(x), x_host)


# -- the three steps, one at a time ---------------------------------------------------------------------
def test_numeric_gradient_of_a_known_function():
    from minialex.gradcheck import numeric_gradient
    x = numpy.array([1.0, -2.0, 0.5])
    upstream = numpy.array([2.0, 1.0, -1.0])
    probes = numeric_gradient(lambda v: v ** 3, x, upstream)         # d<g, x^3>/dx = 3 g x^2
    assert [where for where, _, _ in probes] == [(0,), (1,), (2,)]
    numpy.testing.assert_allclose([n for _, _, n in probes], 3 * upstream * x ** 2, rtol=1e-9)
    along = numeric_gradient(lambda v: v ** 3, x, upstream, directions=2,
                             rng=numpy.random.default_rng(0))
    for _, direction, value in along:
        assert value == pytest.approx(float((3 * upstream * x ** 2 * direction).sum()), rel=1e-9)


def test_compare_finds_the_worst_probe_and_floors_tiny_gradients():
    from minialex.gradcheck import compare
    grad = numpy.array([1.0, 2.0, 1e-9])
    probes = [((0,), (0,), 1.0), ((1,), (1,), 2.2), ((2,), (2,), 2e-9)]
    worst, where, (analytic, numeric) = compare(grad, probes, rel_floor=1e-3)
    assert where == (1,) and (analytic, numeric) == (2.0, 2.2)
    assert worst == pytest.approx(0.2 / 2.2)
    # element 2 is off by half, but on the tensor's scale (floor 2e-3) that is 5e-7 ...
    assert compare(grad, probes[2:], rel_floor=1e-3)[0] == pytest.approx(5e-7)
    # ... and alone in its tensor it is the whole scale
    assert compare(grad[2:], [((0,), (0,), 2e-9)], rel_floor=1e-3)[0] == pytest.approx(0.5)


def test_report_names_the_tensor_and_both_values():
    from minialex.gradcheck import report
    text = report("Linear(5, 3)", [("weight", 0.5, (0, 1), (1.0, 2.0))], 1e-7)
    assert text.splitlines() == ["gradcheck failed for Linear(5, 3):",
                                 "  weight: worst relative error 5.000e-01 > tol 1e-07 at "
                                 "(0, 1): analytic 1, numeric 2"]


@pytest.mark.parametrize("directions", [0, -1, 1.5, True])
def test_directions_must_be_a_positive_count(directions, rng):
    layer, x = linear_case(Linear, rng)
    with pytest.raises(ValueError, match="gradcheck: directions"):
        gradcheck(layer, x, directions=directions)


def test_a_backward_that_sets_no_gradient_is_named(rng):
    class Forgetful(Linear):
        def backward(self, dy):
            dx = super().backward(dy)
            del self.grads["bias"]
            return dx
    layer, x = linear_case(Forgetful, rng)
    with pytest.raises(GradcheckError, match="no gradient for 'bias'"):
        gradcheck(layer, x)


def test_a_float64_layer_keeps_its_gradient_arrays_untouched(rng):
    layer, x = linear_case(Linear, rng)
    y = layer.forward(x)
    layer.backward(numpy.ones_like(y))
    grads = {k: (v, v.copy()) for k, v in layer.grads.items()}
    gradcheck(layer, x)
    for key, (array, values) in grads.items():
        assert layer.grads[key] is array
        numpy.testing.assert_array_equal(array, values)


def test_a_model_is_left_at_its_layers_own_steps(rng):
    from minialex import Dropout, Sequential
    net = Sequential([("fc", Linear(4, 6, dtype="float64", seed=0)),
                      ("drop", Dropout(0.5, seed=1))])
    x = rng.standard_normal((3, 4))
    net.forward(x)
    net.forward(x)                              # dropout at step 2, the linear layer at 0
    gradcheck(net, x)
    assert [layer.step for _, layer in net.layers()] == [0, 2]
