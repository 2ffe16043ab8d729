"""Figure 1's four-layer net: ReLU or tanh, and the normalisations of the §3.3 claim."""

import numpy
import pytest

from minialex.models import figure1_net


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


@pytest.mark.parametrize("norm, kinds", [("none", set()), ("lrn", {"LocalResponseNorm"}),
                                         ("batchnorm", {"BatchNorm2d"})])
def test_figure1_norms(norm, kinds):
    net = figure1_net(norm=norm, seed=0).eval()
    found = {type(layer).__name__ for _, layer in net.layers()} & {"LocalResponseNorm",
                                                                    "BatchNorm2d"}
    assert found == kinds
    assert net.forward(numpy.zeros((2, 3, 32, 32), dtype=numpy.float32)).shape == (2, 10)


def test_figure1_one_tower_on_a_device():
    net = figure1_net(device="cpu:1", seed=0)
    assert all(layer.device == "cpu:1" for _, layer in net.layers())


def test_the_docstrings_count_the_parameters_right():
    import re

    from minialex.models import alexnet, alexnet_cifar
    for make in (figure1_net, alexnet_cifar, alexnet):
        stated = re.search(r"([\d,]+) parameters", make.__doc__).group(1)
        assert int(stated.replace(",", "")) == make(seed=0).num_parameters(), make.__name__
