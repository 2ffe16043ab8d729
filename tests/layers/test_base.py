"""The layer contract of ``minialex/layers/base.py``, for every layer of ``minialex gradcheck``.

One parametrised test walks every built-in layer (``gradcheck.standard_cases``) through the
contract: dtype kept, input and upstream gradient left unchanged, grads overwritten (not
accumulated) by a second backward, bad input refused by name, backward before forward refused
clearly. Then the specific bad inputs: each raises ValueError naming the layer and what was
expected, before any work.
"""

import copy

import numpy
import pytest

from minialex import (BatchNorm2d, Conv2d, Dropout, Flatten, Linear, LocalResponseNorm,
                      MaxPool2d, ReLU, SoftmaxCrossEntropy, Tanh, asnumpy, to_device)
from minialex.gradcheck import standard_cases

CASES = [pytest.param(case, id=case[0]) for case in standard_cases()]


def fresh(case, dtype, device):
    """A deep copy of the case's layer in ``dtype`` on ``device``, its input and extras."""
    _, layer, x, extra = case
    layer = copy.deepcopy(layer).astype(dtype).to(device)
    x = to_device(x.astype(dtype), device)
    return layer, x, tuple(to_device(a, device) for a in extra)


def upstream(y, rng):
    return rng.standard_normal(y.shape).astype(y.dtype)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_and_inputs_are_left_alone(case, dtype, device, rng):
    layer, x, extra = fresh(case, dtype, device)
    x_before = asnumpy(x).copy()
    y = layer.forward(x, *extra)
    dy_host = upstream(y, rng)
    dy = to_device(dy_host, device)
    dx = layer.backward(dy)
    assert y.dtype == dx.dtype == numpy.dtype(dtype)
    assert dx.shape == x.shape
    for key, grad in layer.grads.items():
        assert grad.dtype == numpy.dtype(dtype) and grad.shape == layer.params[key].shape
    numpy.testing.assert_array_equal(asnumpy(x), x_before)
    numpy.testing.assert_array_equal(asnumpy(dy), dy_host)


@pytest.mark.parametrize("case", CASES)
def test_a_second_backward_overwrites_the_grads(case, device, rng):
    layer, x, extra = fresh(case, "float64", device)
    twin = copy.deepcopy(layer)
    y = layer.forward(x, *extra)
    dy1, dy2 = to_device(upstream(y, rng), device), to_device(upstream(y, rng), device)
    layer.backward(dy1)
    first = {k: asnumpy(v).copy() for k, v in layer.grads.items()}
    dx = layer.backward(dy2)
    twin.forward(x, *extra)
    dx_twin = twin.backward(dy2)             # dy2 alone, on a layer that never saw dy1
    numpy.testing.assert_allclose(asnumpy(dx), asnumpy(dx_twin), rtol=1e-13, atol=1e-15)
    assert set(layer.grads) == set(layer.params)
    for key in layer.params:
        numpy.testing.assert_allclose(asnumpy(layer.grads[key]), asnumpy(twin.grads[key]),
                                      rtol=1e-13, atol=1e-15)
        assert not numpy.allclose(asnumpy(layer.grads[key]), first[key])   # dy1's are gone


LAYER_CASES = [c for c in CASES if not isinstance(c.values[0][1], SoftmaxCrossEntropy)]


@pytest.mark.parametrize("case", LAYER_CASES)        # the loss takes no upstream gradient
def test_parameter_gradients_are_backward_s_grads_without_dx(case, device, rng):
    layer, x, extra = fresh(case, "float64", device)
    twin = copy.deepcopy(layer)
    dy = to_device(upstream(layer.forward(x, *extra), rng), device)
    twin.forward(x, *extra)
    twin.backward(dy)
    assert layer.parameter_gradients(dy) is None
    assert set(layer.grads) == set(twin.grads)
    for key in layer.grads:
        numpy.testing.assert_allclose(asnumpy(layer.grads[key]), asnumpy(twin.grads[key]),
                                      rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("algorithm", ["direct", "winograd"])
def test_conv_parameter_gradients_skip_dx_on_either_algorithm(algorithm, rng):
    layer = Conv2d(4, 6, 3, padding=1, groups=2, dtype="float64", seed=0, algorithm=algorithm)
    twin = copy.deepcopy(layer)
    x = rng.standard_normal((2, 4, 5, 5))
    dy = rng.standard_normal(layer.forward(x).shape)
    twin.forward(x)
    twin.backward(dy)
    layer.parameter_gradients(dy)
    for key in ("weight", "bias"):
        numpy.testing.assert_allclose(layer.grads[key], twin.grads[key], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", CASES)
def test_integer_input_is_refused_by_name(case, device):
    layer, x, extra = fresh(case, "float64", device)
    state = {k: v for k, v in vars(layer).items()}
    with pytest.raises(ValueError) as info:
        layer.forward(to_device(numpy.arange(x.size).reshape(x.shape), device), *extra)
    assert type(layer).__name__ in str(info.value) and "int64" in str(info.value)
    assert all(vars(layer)[k] is v for k, v in state.items())      # nothing done, nothing kept


@pytest.mark.parametrize("case", CASES)
def test_backward_before_forward_says_so(case, device):
    layer, x, _ = fresh(case, "float64", device)
    with pytest.raises(RuntimeError, match=f"{type(layer).__name__}.*backward called before "
                                           "forward"):
        layer.backward(to_device(numpy.ones(1), device))


def test_the_table_covers_every_layer():
    from minialex import layers
    covered = {type(case[1]).__name__ for case in standard_cases()}
    assert covered == set(layers.__all__) - {"Layer"}


def normal(*shape, dtype="float32"):
    return numpy.random.default_rng(0).standard_normal(shape).astype(dtype)


def integers(*shape):
    return numpy.arange(int(numpy.prod(shape))).reshape(shape)


# (layer factory, forward arguments, fragments the message must contain)
BAD_FORWARD = [
    pytest.param(lambda: Conv2d(3, 4, 3), (normal(2, 2, 5, 5),),
                 ["Conv2d", "3 channels", "(N, C, H, W)", "(2, 2, 5, 5)"], id="conv-channels"),
    pytest.param(lambda: Conv2d(3, 4, 3), (normal(3, 5, 5),),
                 ["Conv2d", "4-D", "(N, C, H, W)", "(3, 5, 5)"], id="conv-rank"),
    pytest.param(lambda: Conv2d(3, 4, 3), (integers(2, 3, 5, 5),),
                 ["Conv2d", "floating", "int64"], id="conv-int-dtype"),
    pytest.param(lambda: Conv2d(3, 4, 5), (normal(1, 3, 3, 4),),
                 ["Conv2d", "larger", "3x4"], id="conv-kernel-too-big"),
    pytest.param(lambda: Conv2d(3, 4, 5, padding=1), (normal(1, 3, 2, 6),),
                 ["Conv2d", "larger", "4x8"], id="conv-kernel-too-big-padded"),
    pytest.param(lambda: Conv2d(3, 4, 3), (normal(2, 3, 5, 5, dtype="float64"),),
                 ["Conv2d", "float64", "float32", "astype"], id="conv-dtype-mismatch"),
    pytest.param(lambda: Conv2d(3, 4, 3, dtype="float64"), (normal(2, 3, 5, 5),),
                 ["Conv2d", "float64", "float32", "astype"], id="conv-dtype-mismatch-32-into-64"),
    pytest.param(lambda: Conv2d(3, 4, 3), ([[1.0]],),
                 ["Conv2d", "(N, C, H, W)", "list"], id="conv-not-an-array"),
    pytest.param(lambda: Linear(4, 3), (normal(2, 5),),
                 ["Linear", "4 channels", "(N, in_features)", "(2, 5)"], id="linear-features"),
    pytest.param(lambda: Linear(4, 3), (normal(2, 1, 2, 2),),
                 ["Linear", "2-D", "(2, 1, 2, 2)"], id="linear-rank"),
    pytest.param(lambda: Linear(4, 3), (integers(2, 4),),
                 ["Linear", "floating", "int64"], id="linear-int-dtype"),
    pytest.param(lambda: Linear(4, 3), (normal(2, 4, dtype="float64"),),
                 ["Linear", "float64", "astype"], id="linear-dtype-mismatch"),
    pytest.param(lambda: MaxPool2d(3, 2), (normal(1, 2, 2, 5),),
                 ["MaxPool2d", "larger", "2x5"], id="pool-kernel-too-big"),
    pytest.param(lambda: MaxPool2d(3, 2, padding=1), (normal(1, 2, 5, 0),),
                 ["MaxPool2d", "larger", "7x2"], id="pool-kernel-too-big-padded"),
    pytest.param(lambda: MaxPool2d(3, 2), (normal(2, 5, 5),),
                 ["MaxPool2d", "4-D", "(2, 5, 5)"], id="pool-rank"),
    pytest.param(lambda: MaxPool2d(3, 2), (integers(1, 1, 5, 5),),
                 ["MaxPool2d", "floating", "int64"], id="pool-int-dtype"),
    pytest.param(lambda: LocalResponseNorm(groups=2), (normal(2, 5, 3, 3),),
                 ["LocalResponseNorm", "groups=2", "5 channels"], id="lrn-groups"),
    pytest.param(lambda: LocalResponseNorm(), (normal(5, 3, 3),),
                 ["LocalResponseNorm", "4-D", "(5, 3, 3)"], id="lrn-rank"),
    pytest.param(lambda: LocalResponseNorm(), (integers(1, 5, 2, 2),),
                 ["LocalResponseNorm", "floating", "int64"], id="lrn-int-dtype"),
    pytest.param(lambda: ReLU(), (integers(2, 3),), ["ReLU", "floating", "int64"], id="relu-int"),
    pytest.param(lambda: Tanh(), (integers(2, 3),), ["Tanh", "floating", "int64"], id="tanh-int"),
    pytest.param(lambda: Dropout(), (integers(2, 3),),
                 ["Dropout", "floating", "int64"], id="dropout-int"),
    pytest.param(lambda: Dropout(), (numpy.array(1.5),),
                 ["Dropout", "(N, ...)", "shape ()"], id="dropout-0d"),
    pytest.param(lambda: Flatten(), (normal(3),), ["Flatten", "(N, ...)"], id="flatten-rank"),
    pytest.param(lambda: BatchNorm2d(4), (normal(2, 3, 5, 5),),
                 ["BatchNorm2d", "4 channels", "(2, 3, 5, 5)"], id="batchnorm-channels"),
    pytest.param(lambda: BatchNorm2d(3), (normal(1, 3, 1, 1),),
                 ["BatchNorm2d", "more than one value per channel", "(1, 3, 1, 1)"],
                 id="batchnorm-one-value"),
    pytest.param(lambda: BatchNorm2d(3), (normal(2, 3, 4, 4, dtype="float64"),),
                 ["BatchNorm2d", "float64", "astype"], id="batchnorm-dtype-mismatch"),
    pytest.param(lambda: SoftmaxCrossEntropy(), (normal(3, 4), numpy.array([0, 4, 1])),
                 ["SoftmaxCrossEntropy", "[0, 4)"], id="loss-labels-out-of-range"),
    pytest.param(lambda: SoftmaxCrossEntropy(), (normal(3, 4, 1), numpy.array([0, 1, 1])),
                 ["SoftmaxCrossEntropy", "2-D", "(N, K)"], id="loss-rank"),
    pytest.param(lambda: SoftmaxCrossEntropy(), (integers(3, 4), numpy.array([0, 1, 1])),
                 ["SoftmaxCrossEntropy", "floating"], id="loss-int-logits"),
]


@pytest.mark.parametrize("make, args, fragments", BAD_FORWARD)
def test_bad_forward_input(make, args, fragments):
    layer = make()
    state = dict(vars(layer))
    params = {k: v.copy() for k, v in layer.params.items()}
    with pytest.raises(ValueError) as info:
        layer.forward(*args)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # before any work: no attribute added or rebound (no cache), parameters untouched
    assert vars(layer).keys() == state.keys()
    assert all(vars(layer)[k] is v for k, v in state.items())
    assert layer.grads == {}
    for key, value in params.items():
        numpy.testing.assert_array_equal(layer.params[key], value)
        assert layer.params[key].dtype == value.dtype


def test_failed_forward_keeps_the_previous_cache():
    """A bad call after a good one leaves the good call's state for backward."""
    layer = Conv2d(2, 3, 3, dtype="float64", seed=0)
    reference = Conv2d(2, 3, 3, dtype="float64", seed=0)
    x = normal(1, 2, 4, 4, dtype="float64")
    y = layer.forward(x)
    with pytest.raises(ValueError):
        layer.forward(normal(1, 3, 4, 4, dtype="float64"))
    dy = normal(*y.shape, dtype="float64")
    reference.forward(x)
    numpy.testing.assert_array_equal(layer.backward(dy), reference.backward(dy))
    numpy.testing.assert_array_equal(layer.grads["weight"], reference.grads["weight"])


# -- constructors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, fragments", [
    pytest.param(lambda: Conv2d(3, 4, 3, groups=2), ["Conv2d", "groups=2", "in_channels=3"],
                 id="conv-groups-in"),
    pytest.param(lambda: Conv2d(4, 6, 3, groups=4), ["Conv2d", "groups=4", "out_channels=6"],
                 id="conv-groups-out"),
    pytest.param(lambda: Conv2d(3, 4, 0), ["Conv2d", "kernel_size"], id="conv-kernel-0"),
    pytest.param(lambda: Conv2d(3, 4, 3, stride=0), ["Conv2d", "stride"], id="conv-stride-0"),
    pytest.param(lambda: Conv2d(3, 4, 3, padding=-1), ["Conv2d", "padding"], id="conv-pad-neg"),
    pytest.param(lambda: Conv2d(0, 4, 3), ["Conv2d", "in_channels"], id="conv-in-0"),
    pytest.param(lambda: Conv2d(3, 4, 3, dtype="int32"), ["Conv2d", "int32"], id="conv-int"),
    pytest.param(lambda: Linear(0, 3), ["Linear", "in_features"], id="linear-in-0"),
    pytest.param(lambda: MaxPool2d(3, 2, padding=2), ["MaxPool2d", "padding"], id="pool-pad"),
    pytest.param(lambda: MaxPool2d(0, 2), ["MaxPool2d", "kernel_size"], id="pool-kernel-0"),
    pytest.param(lambda: LocalResponseNorm(size=0), ["LocalResponseNorm", "size"], id="lrn-size"),
    pytest.param(lambda: LocalResponseNorm(groups=0), ["LocalResponseNorm", "groups"],
                 id="lrn-groups-0"),
    pytest.param(lambda: BatchNorm2d(0), ["BatchNorm2d", "num_features"], id="bn-features-0"),
    pytest.param(lambda: BatchNorm2d(3, eps=0), ["BatchNorm2d", "eps"], id="bn-eps-0"),
    pytest.param(lambda: BatchNorm2d(3, momentum=1.5), ["BatchNorm2d", "momentum"],
                 id="bn-momentum"),
    pytest.param(lambda: Dropout(seed=1.5), ["Dropout", "seed"], id="dropout-seed"),
    pytest.param(lambda: Dropout(mode="caffe"), ["Dropout", "mode", "'caffe'"],
                 id="dropout-mode"),
])
def test_bad_constructor_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {str(info.value)!r}"


# -- backward with a dy of the wrong shape --------------------------------------------------------------
BAD_BACKWARD = [
    pytest.param(lambda: Conv2d(2, 3, 3, dtype="float64"), normal(2, 2, 5, 5, dtype="float64"),
                 id="conv"),
    pytest.param(lambda: Linear(4, 3, dtype="float64"), normal(2, 4, dtype="float64"), id="linear"),
    pytest.param(lambda: MaxPool2d(3, 2), normal(2, 2, 7, 7), id="pool"),
    pytest.param(lambda: LocalResponseNorm(), normal(2, 6, 3, 3), id="lrn"),
    pytest.param(lambda: ReLU(), normal(2, 3), id="relu"),
    pytest.param(lambda: Tanh(), normal(2, 3), id="tanh"),
    pytest.param(lambda: Dropout(seed=0), normal(2, 3), id="dropout"),
    pytest.param(lambda: Flatten(), normal(2, 3, 2, 2), id="flatten"),
    pytest.param(lambda: BatchNorm2d(3), normal(2, 3, 2, 2), id="batchnorm"),
]


@pytest.mark.parametrize("make, x", BAD_BACKWARD)
@pytest.mark.parametrize("change", ["extra-row", "transposed", "flat"])
def test_backward_rejects_dy_of_the_wrong_shape(make, x, change):
    layer = make()
    y = layer.forward(x)
    if change == "extra-row":
        dy = numpy.zeros((y.shape[0] + 1,) + y.shape[1:], dtype=y.dtype)
    elif change == "transposed":
        dy = numpy.zeros(y.shape[::-1] if y.shape[::-1] != y.shape else y.shape + (1,),
                         dtype=y.dtype)
    else:
        dy = numpy.zeros(y.size, dtype=y.dtype)
    with pytest.raises(ValueError) as info:
        layer.backward(dy)
    message = str(info.value)
    assert type(layer).__name__ in message
    assert str(tuple(y.shape)) in message and str(tuple(dy.shape)) in message
    assert layer.grads == {}
