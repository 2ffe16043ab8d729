"""The networks: parameter counts, shapes at 224 and 227, initialisation, summary."""

import math

import numpy
import pytest

import minialex as mx
from minialex.models import alexnet, alexnet_cifar


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
    net = alexnet_cifar(dtype="float64", dropout="inverted", norm="none")
    assert net.state_dict()["fc6.weight"].dtype == numpy.float64
    assert all(layer.mode == "inverted" for _, layer in net.layers()
               if isinstance(layer, mx.Dropout))
    assert not any(isinstance(layer, mx.LocalResponseNorm) for _, layer in net.layers())
    assert not any(isinstance(layer, mx.Dropout)
                   for _, layer in alexnet_cifar(dropout="none").layers())


@pytest.mark.parametrize("make", [alexnet_cifar, alexnet])
def test_batchnorm_follows_every_conv_before_its_activation(make):
    names = [name for name, _ in make(norm="batchnorm", seed=0).layers()]
    for i in range(1, 6):
        assert names.index(f"bn{i}") == names.index(f"conv{i}") + 1
        assert names.index(f"relu{i}") == names.index(f"bn{i}") + 1
    assert "lrn1" not in names
    lrn = [name for name, _ in make(seed=0).layers()]
    assert lrn.index("lrn1") == lrn.index("relu1") + 1 and "bn1" not in lrn


@pytest.mark.parametrize("make, size", [(alexnet_cifar, 32), (alexnet, 227)])
def test_nonoverlapping_pools_keep_every_size(make, size):
    """§3.4 compares z = 3 with z = 2 at s = 2 "which produces output of equivalent
    dimensions": the same map sizes from the first pool on, and the same parameter count.
    (alexnet_cifar's conv1 pads less before 2/2 pools: 30x30 maps pool to 15x15 as 32x32 do
    with 3/2.)"""
    shapes = {}
    for pool in ("overlap", "nonoverlap"):
        net = make(pool=pool, seed=0).eval()
        h = numpy.zeros((1, 3, size, size), dtype=numpy.float32)
        shapes[pool] = []
        for name, layer in net.layers():
            h = layer.forward(h)
            if shapes[pool] or name == "pool1":
                shapes[pool].append((name, h.shape))
            if isinstance(layer, mx.MaxPool2d):
                expected = (3, 2) if pool == "overlap" else (2, 2)
                assert (layer.kernel_size[0], layer.stride[0]) == expected
        shapes[pool + " params"] = net.num_parameters()
    assert shapes["overlap"] == shapes["nonoverlap"]
    assert shapes["overlap params"] == shapes["nonoverlap params"]


def test_the_inits():
    paper, zero = alexnet_cifar(init="paper", seed=0), alexnet_cifar(init="paper-zero-bias", seed=0)
    for name in ("conv2", "conv4", "conv5", "fc6", "fc7"):
        assert numpy.all(paper.state_dict()[f"{name}.bias"] == 1)
        assert numpy.all(zero.state_dict()[f"{name}.bias"] == 0)
    numpy.testing.assert_array_equal(paper.state_dict()["conv3.weight"],
                                     zero.state_dict()["conv3.weight"])
    assert abs(zero.state_dict()["conv3.weight"].std() - 0.01) < 2e-4
    with pytest.raises(ValueError, match="init"):
        alexnet_cifar(init="xavier")


def test_tanh_and_bad_choices():
    net = alexnet_cifar(activation="tanh", seed=0)
    assert [name for name, _ in net.layers() if name.startswith("tanh")] == \
        [f"tanh{i}" for i in (1, 2, 3, 4, 5, 6, 7)]
    for key, value in (("norm", "layer"), ("activation", "gelu"), ("pool", "average"),
                       ("dropout", "gaussian")):
        with pytest.raises(ValueError, match=f"alexnet_cifar: {key} must be one of"):
            alexnet_cifar(**{key: value})


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


def test_backward_in_eval_mode_scales_like_forward():
    """Dropout in eval mode multiplies by 1 - p forward and backward: deterministic."""
    net = alexnet_cifar(seed=0, dtype="float64").eval()
    x = numpy.random.default_rng(0).standard_normal((2, 3, 32, 32))
    y1, y2 = net.forward(x), net.forward(x)
    numpy.testing.assert_array_equal(y1, y2)
    dx1 = net.backward(numpy.ones_like(y1))
    dx2 = net.backward(numpy.ones_like(y1))
    numpy.testing.assert_array_equal(dx1, dx2)


@pytest.mark.parametrize("make, size", [(alexnet_cifar, 32), (alexnet, 227)])
def test_the_columns(make, size):
    """"two": Figure 2's groups; "one": the same widths, groups 1; "one-half": §6.1's one-GPU
    net, half the kernels of conv1-conv4 and conv5 and the fully-connected layers whole."""
    nets = {c: make(columns=c, seed=0) for c in ("two", "one", "one-half")}
    convs = {c: {name: layer for name, layer in net.layers() if isinstance(layer, mx.Conv2d)}
             for c, net in nets.items()}
    for name in ("conv1", "conv2", "conv3", "conv4", "conv5"):
        two, one, half = (convs[c][name] for c in ("two", "one", "one-half"))
        assert one.out_channels == two.out_channels
        assert one.groups == half.groups == 1
        assert two.groups == (1 if name in ("conv1", "conv3") else 2)
        assert half.out_channels == two.out_channels // (1 if name == "conv5" else 2)
    lrns = [layer for name, layer in nets["one"].layers() if name.startswith("lrn")]
    assert lrns and all(layer.groups == 1 for layer in lrns)
    fc6 = {c: net.state_dict()["fc6.weight"].shape for c, net in nets.items()}
    assert fc6["two"] == fc6["one"] == fc6["one-half"]
    x = numpy.zeros((2, 3, size, size), dtype=numpy.float32)
    assert nets["one-half"].eval().forward(x).shape == (2, nets["two"].eval().forward(x).shape[1])
    with pytest.raises(ValueError, match="towers=2.*one column"):
        make(columns="one-half", towers=2)
    with pytest.raises(ValueError, match="columns"):
        make(columns="three")
