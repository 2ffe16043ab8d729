"""The paper's SGD update (§5), worked by hand, and the learning-rate schedules."""

import numpy
import pytest

from minialex import Linear, Sequential
from minialex.optim import SGD, ConstantLR, PlateauLR, StepLR


def one_layer_model(weights, grads):
    layer = Linear(3, 1, dtype="float64")
    layer.params["weight"] = numpy.array([weights], dtype=numpy.float64)
    layer.params["bias"] = numpy.zeros(1)
    layer.grads = {"weight": numpy.array([grads], dtype=numpy.float64), "bias": numpy.zeros(1)}
    return Sequential([("fc", layer)]), layer


def test_update_rule_by_hand_including_a_learning_rate_change():
    w0 = [1.0, -2.0, 0.5]
    g = [0.1, 0.2, -0.3]
    model, layer = one_layer_model(w0, g)
    opt = SGD(model, lr=0.01, momentum=0.9, weight_decay=5e-4)

    # step 1, eps = 0.01: v1 = 0.9*0 - 0.0005*0.01*w0 - 0.01*g
    v1 = [-0.0005 * 0.01 * 1.0 - 0.01 * 0.1,
          -0.0005 * 0.01 * -2.0 - 0.01 * 0.2,
          -0.0005 * 0.01 * 0.5 - 0.01 * -0.3]
    w1 = [a + b for a, b in zip(w0, v1)]
    opt.step()
    numpy.testing.assert_allclose(layer.params["weight"][0], w1, rtol=1e-14)

    # step 2 at eps = 0.001: the old velocity is kept at full strength (not rescaled)
    opt.lr = 0.001
    v2 = [0.9 * v - 0.0005 * 0.001 * w - 0.001 * gi for v, w, gi in zip(v1, w1, g)]
    w2 = [a + b for a, b in zip(w1, v2)]
    opt.step()
    numpy.testing.assert_allclose(layer.params["weight"][0], w2, rtol=1e-14)
    # PyTorch's form (v = m v + g + wd w; w -= lr v) would give a different w2 here
    torch_v1 = [gi + 0.0005 * w for gi, w in zip(g, w0)]
    torch_v2 = [0.9 * v + gi + 0.0005 * w for v, gi, w in zip(torch_v1, g, w1)]
    torch_w2 = [w - 0.001 * v for w, v in zip(w1, torch_v2)]
    assert not numpy.allclose(torch_w2, w2, rtol=1e-6)


def test_pytorch_form_by_hand_across_the_same_rate_change():
    w0, g = [1.0, -2.0, 0.5], [0.1, 0.2, -0.3]
    model, layer = one_layer_model(w0, g)
    opt = SGD(model, lr=0.01, momentum=0.9, weight_decay=5e-4, form="pytorch")
    v1 = [gi + 0.0005 * w for gi, w in zip(g, w0)]          # v = 0.9*0 + g + wd*w
    w1 = [w - 0.01 * v for w, v in zip(w0, v1)]              # w = w - lr*v
    opt.step()
    numpy.testing.assert_allclose(layer.params["weight"][0], w1, rtol=1e-14)
    opt.lr = 0.001
    v2 = [0.9 * v + gi + 0.0005 * w for v, gi, w in zip(v1, g, w1)]
    w2 = [w - 0.001 * v for w, v in zip(w1, v2)]
    opt.step()
    numpy.testing.assert_allclose(layer.params["weight"][0], w2, rtol=1e-14)
    assert opt.state_dict()["form"] == "pytorch"
    with pytest.raises(ValueError, match="form"):
        SGD(model, form="adam")


def test_the_two_forms_agree_while_the_rate_is_constant(rng):
    paths = []
    for form in ("paper", "pytorch"):
        model, layer = one_layer_model([1.0, -2.0, 0.5], [0.0, 0.0, 0.0])
        opt = SGD(model, lr=0.05, form=form)
        for step in range(5):
            layer.grads["weight"] = numpy.sin(layer.params["weight"] + step)   # any gradient
            opt.step()
        paths.append(layer.params["weight"].copy())
    numpy.testing.assert_allclose(paths[0], paths[1], rtol=1e-13)


def test_buffers_are_never_touched():
    from minialex import BatchNorm2d
    norm = BatchNorm2d(2, dtype="float64")
    norm.grads = {k: numpy.ones(2) for k in norm.params}
    before = {k: v.copy() for k, v in norm.buffers.items()}
    opt = SGD(Sequential([("bn", norm)]), lr=0.1)
    opt.step()
    opt.step()
    for key, value in before.items():
        numpy.testing.assert_array_equal(norm.buffers[key], value)
    assert set(opt.state_dict()) >= {"velocity.bn.weight", "velocity.bn.bias"}
    assert not any("running" in key for key in opt.state_dict())
    assert not numpy.allclose(norm.params["weight"], 1.0)         # the parameters moved


def test_state_dict_round_trip_continues_identically():
    model_a, layer_a = one_layer_model([1.0, 2.0, 3.0], [0.5, -0.5, 0.25])
    opt_a = SGD(model_a, lr=0.1)
    opt_a.step()
    model_b, layer_b = one_layer_model([1.0, 2.0, 3.0], [0.5, -0.5, 0.25])
    model_b.load_state_dict(model_a.state_dict())
    opt_b = SGD(model_b, lr=0.5)
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.lr == 0.1
    opt_a.step()
    opt_b.step()
    numpy.testing.assert_array_equal(layer_b.params["weight"], layer_a.params["weight"])


def test_step_needs_gradients_and_checks_arguments():
    layer = Linear(2, 2)
    opt = SGD(Sequential([("fc", layer)]))
    with pytest.raises(RuntimeError, match="fc.weight"):
        opt.step()
    with pytest.raises(ValueError, match="lr"):
        SGD(Sequential([("fc", layer)]), lr=-1)


def test_float32_parameters_stay_float32():
    layer = Linear(4, 3)
    layer.grads = {k: numpy.ones_like(v) for k, v in layer.params.items()}
    opt = SGD(Sequential([("fc", layer)]))
    before = layer.params["weight"]
    opt.step()
    assert layer.params["weight"] is before and before.dtype == numpy.float32


def test_constant_and_step_schedules():
    assert [ConstantLR(0.01).update(e) for e in range(3)] == [0.01] * 3
    step = StepLR(0.1, step_size=2, gamma=0.1)
    numpy.testing.assert_allclose([step.update(e) for e in range(5)],
                                  [0.1, 0.1, 0.01, 0.01, 0.001])


def test_plateau_divides_by_ten_when_validation_stops_improving():
    schedule = PlateauLR(0.01, patience=2, max_reductions=2)
    errors = [0.5, 0.4, 0.41, 0.40, 0.39, 0.39, 0.39, 0.38, 0.38, 0.38, 0.38, 0.38]
    rates = [schedule.update(epoch, e) for epoch, e in enumerate(errors)]
    # improvements at epochs 0, 1, 4, 7; two epochs in a row without one (2-3, then 5-6)
    # cut the rate after the second; no more than twice (epochs 8-11 change nothing)
    expected = [0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.0001, 0.0001,
                0.0001, 0.0001]
    numpy.testing.assert_allclose(rates, expected)
    assert schedule.reductions == 2
    restored = PlateauLR(1.0)
    restored.load_state_dict(schedule.state_dict())
    assert restored.state_dict() == schedule.state_dict()
