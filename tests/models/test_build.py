"""The builder: a layer table into one tower or two, split in one place (``split_row``)."""

import numpy
import pytest

import minialex as mx
from minialex.layers import (BatchNorm2d, Conv2d, Dropout, Flatten, Linear, LocalResponseNorm,
                             MaxPool2d, ReLU)
from minialex.models import Spec, alexnet_cifar, build, split_row


def tiny_specs():
    return [
        Spec("conv1", Conv2d, dict(in_channels=3, out_channels=4, kernel_size=3, padding=1)),
        Spec("relu1", ReLU),
        Spec("lrn1", LocalResponseNorm, dict(alpha=1.0, k=1.0, groups=2)),
        Spec("conv2", Conv2d, dict(in_channels=4, out_channels=4, kernel_size=3, padding=1,
                                   groups=2)),
        Spec("pool2", MaxPool2d, dict(kernel_size=3, stride=2)),
        Spec("conv3", Conv2d, dict(in_channels=4, out_channels=4, kernel_size=3, padding=1)),
        Spec("flatten", Flatten),
        Spec("fc6", Linear, dict(in_features=16, out_features=6)),
        Spec("drop6", Dropout, dict(p=0.5)),
        Spec("fc8", Linear, dict(in_features=6, out_features=3)),
    ]


def test_gradcheck_through_the_crossings():
    crossings = {"conv3": "all", "fc6": "all", "fc8": "gather"}
    net = build(tiny_specs(), init="he", dtype="float64", seed=0, towers=2,
                devices=("cpu:0", "cpu:1"), crossings=crossings).eval()
    x = numpy.random.default_rng(0).standard_normal((2, 3, 5, 5))
    errors = mx.gradcheck(net, x)
    assert set(errors) == {"input"} | set(net.state_dict())
    assert max(errors.values()) < 1e-7


def test_bad_tower_configurations():
    with pytest.raises(ValueError, match="two devices"):
        alexnet_cifar(towers=2, devices=("cpu:0",))
    with pytest.raises(ValueError, match="towers must be 1 or 2"):
        alexnet_cifar(towers=3)
    with pytest.raises(ValueError, match="conv3"):
        build(tiny_specs(), towers=2, crossings={"fc6": "all", "fc8": "gather"})
    with pytest.raises(ValueError, match="mode"):
        build(tiny_specs(), towers=2, crossings={"conv3": "some", "fc6": "all",
                                                "fc8": "gather"})
    with pytest.raises(ValueError, match="follows a flatten"):
        build(tiny_specs()[:7] + [Spec("drop", Dropout), Spec("fc6", Linear, dict(
            in_features=16, out_features=6))], towers=2, crossings={"conv3": "all",
                                                                   "fc6": "all"})


@pytest.mark.parametrize("spec, crossing, first, channels, expected", [
    (Spec("conv2", Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3, groups=2)),
     None, False, 4, [dict(in_channels=2, out_channels=3, groups=1)] * 2),
    (Spec("conv1", Conv2d, dict(in_channels=3, out_channels=6, kernel_size=3)), None, True,
     3, [dict(out_channels=3)] * 2),
    (Spec("conv3", Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3)), "all", False,
     4, [dict(out_channels=3)] * 2),
    (Spec("fc8", Linear, dict(in_features=4, out_features=3)), "gather", False, 4, [{}, None]),
    (Spec("bn1", BatchNorm2d, dict(num_features=6)), None, False, 6,
     [dict(num_features=3)] * 2),
    (Spec("lrn1", LocalResponseNorm, dict(groups=2)), None, False, 6, [dict(groups=1)] * 2),
    (Spec("drop6", Dropout), None, False, 8, [dict(channel_offset=0), dict(channel_offset=4)]),
    (Spec("relu1", ReLU), None, False, 6, [{}, {}]),
])
def test_what_each_tower_holds(spec, crossing, first, channels, expected):
    assert split_row(spec, crossing, first, 2, channels) == expected


def test_each_tower_starts_from_its_slice_of_the_one_tower_weights():
    one, two = alexnet_cifar(seed=4, norm="batchnorm"), alexnet_cifar(seed=4, norm="batchnorm",
                                                                      towers=2)
    conv3 = dict(two.stages)["conv3"]
    whole = one["conv3"].params["weight"]
    numpy.testing.assert_array_equal(conv3[0].params["weight"], whole[:192])
    numpy.testing.assert_array_equal(conv3[1].params["weight"], whole[192:])
    for tower, layer in enumerate(dict(two.stages)["conv3"]):
        assert layer.device == f"cpu:{tower}" and layer.name == "conv3"
    assert dict(two.stages)["fc8"][1] is None


def test_one_tower_on_a_device_and_a_workspace_shared_by_its_convolutions():
    net = build([Spec("conv1", Conv2d, dict(in_channels=3, out_channels=4, kernel_size=3)),
                 Spec("conv2", Conv2d, dict(in_channels=4, out_channels=4, kernel_size=3))],
                seed=0, devices="cpu:1")
    assert all(layer.device == "cpu:1" for _, layer in net.layers())
    assert net["conv1"].workspace is net["conv2"].workspace
    with pytest.raises(ValueError, match="towers=1 takes 1 device"):
        build(tiny_specs(), devices=("cpu:0", "cpu:1"))
