"""The networks: parameter counts, shapes at 224 and 227, initialisation, summary."""

import math

import numpy
import pytest

import minialex as mx
from minialex.models import alexnet, alexnet_cifar, figure1_net


@pytest.fixture(scope="module")
def paper_alexnet():
    return alexnet(seed=0)


def expected_alexnet_parameters(num_classes=1000):
    """§3.5 with the paper's groups, counted from the layer sizes."""
    convs = [(96, 3, 11), (256, 48, 5), (384, 256, 3), (384, 192, 3), (256, 192, 3)]
    fcs = [(4096, 9216), (4096, 4096), (num_classes, 4096)]
    return (sum(o * i * k * k + o for o, i, k in convs) + sum(o * i + o for o, i in fcs))


def test_alexnet_parameter_count(paper_alexnet):
    assert paper_alexnet.num_parameters() == expected_alexnet_parameters() == 60_965_224


def test_alexnet_cifar_parameter_count():
    convs = [(64, 3, 5), (192, 32, 5), (384, 192, 3), (256, 192, 3), (256, 128, 3)]
    fcs = [(1024, 2304), (1024, 1024), (10, 1024)]
    expected = sum(o * i * k * k + o for o, i, k in convs) + sum(o * i + o for o, i in fcs)
    assert alexnet_cifar().num_parameters() == expected == 4_980_554


def test_state_dict_keys_follow_the_paper(paper_alexnet):
    keys = list(paper_alexnet.state_dict())
    assert keys == [f"{name}.{p}" for name in
                    ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]
                    for p in ("weight", "bias")]
    assert paper_alexnet.state_dict()["conv2.weight"].shape == (256, 48, 5, 5)


@pytest.mark.parametrize("input_size", [224, 227])
def test_alexnet_output_shapes(input_size):
    net = alexnet(num_classes=7, input_size=input_size, seed=0).eval()
    x = numpy.random.default_rng(0).standard_normal((1, 3, input_size, input_size))
    h = x.astype(numpy.float32)
    shapes = {}
    for name, layer in net.layers():
        h = layer.forward(h)
        shapes[name] = h.shape[1:]
    assert shapes["conv1"] == (96, 55, 55)
    assert shapes["pool1"] == (96, 27, 27)
    assert shapes["pool2"] == (256, 13, 13)
    assert shapes["pool5"] == (256, 6, 6)
    assert shapes["fc8"] == (7,)


def test_bad_input_size():
    with pytest.raises(ValueError, match="input_size"):
        alexnet(input_size=225)


def test_paper_init(paper_alexnet):
    state = paper_alexnet.state_dict()
    for name in ["conv1", "conv3", "fc8"]:
        assert numpy.all(state[f"{name}.bias"] == 0)
    for name in ["conv2", "conv4", "conv5", "fc6", "fc7"]:
        assert numpy.all(state[f"{name}.bias"] == 1)
    weights = state["fc6.weight"]      # 37.7M draws: the std is known to within 0.1%
    assert abs(weights.std() - 0.01) < 1e-5
    assert abs(weights.mean()) < 1e-5


def test_he_init_and_seeds():
    a, b, c = alexnet_cifar(seed=1), alexnet_cifar(seed=1), alexnet_cifar(seed=2)
    for key, value in a.state_dict().items():
        numpy.testing.assert_array_equal(value, b.state_dict()[key])
    assert not numpy.array_equal(a.state_dict()["conv1.weight"], c.state_dict()["conv1.weight"])
    w = a.state_dict()["conv3.weight"]
    fan_in = math.prod(w.shape[1:])
    assert abs(w.std() / math.sqrt(2 / fan_in) - 1) < 0.02
    assert numpy.all(a.state_dict()["conv2.bias"] == 0)


def test_dtype_and_dropout_options():
    net = alexnet_cifar(dtype="float64", dropout="inverted", lrn=False)
    assert net.state_dict()["fc6.weight"].dtype == numpy.float64
    assert all(layer.mode == "inverted" for _, layer in net.layers()
               if isinstance(layer, mx.Dropout))
    assert not any(isinstance(layer, mx.LocalResponseNorm) for _, layer in net.layers())
    assert not any(isinstance(layer, mx.Dropout)
                   for _, layer in alexnet_cifar(dropout=None).layers())


def test_summary_totals_equal_counts(capsys):
    net = alexnet_cifar()
    params, macs = net.summary((3, 32, 32))
    assert params == net.num_parameters()
    expected_macs = sum(layer.multiply_adds(shape) for shape, layer in _shapes(net, (1, 3, 32, 32)))
    assert macs == expected_macs
    assert "fc8" in capsys.readouterr().out


def _shapes(net, shape):
    for _, layer in net.layers():
        yield shape, layer
        shape = layer.output_shape(shape)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_figure1_net(activation):
    net = figure1_net(activation, seed=0).eval()
    y = net.forward(numpy.zeros((2, 3, 32, 32), dtype=numpy.float32))
    assert y.shape == (2, 10)
    kinds = {type(layer).__name__ for _, layer in net.layers()}
    assert ("ReLU" in kinds) == (activation == "relu")
    assert ("Tanh" in kinds) == (activation == "tanh")
    assert net.num_parameters() == (32 * 3 * 25 + 32) + (32 * 32 * 25 + 32) \
        + (64 * 32 * 25 + 64) + (10 * 576 + 10)
    with pytest.raises(ValueError, match="activation"):
        figure1_net("sigmoid")


def test_backward_in_eval_mode_scales_like_forward():
    """Dropout in eval mode multiplies by 1 - p forward and backward: deterministic."""
    net = alexnet_cifar(seed=0, dtype="float64").eval()
    x = numpy.random.default_rng(0).standard_normal((2, 3, 32, 32))
    y1, y2 = net.forward(x), net.forward(x)
    numpy.testing.assert_array_equal(y1, y2)
    dx1 = net.backward(numpy.ones_like(y1))
    dx2 = net.backward(numpy.ones_like(y1))
    numpy.testing.assert_array_equal(dx1, dx2)
