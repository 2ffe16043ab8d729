"""Arrays are allocated on the device of the arrays they are computed for, not on whichever
device is current: checked with a fake CuPy of two devices (tests/fake_gpus.py), since the
virtual cpu:0/cpu:1 devices are plain NumPy and cannot show it."""

import numpy
import pytest

from minialex import ReLU, to_device
from minialex.backend import device_of
from minialex.optim import SGD
from minialex.parallel import Crossing, TwoTowers
from tests import fake_gpus


@pytest.fixture
def gpus(monkeypatch):
    with fake_gpus.installed(monkeypatch) as module:
        yield module


class OneParameter:
    """The smallest model SGD accepts: one layer holding one weight, on cuda:1."""

    def __init__(self, weight):
        self.layer = type("Layer", (), {})()
        self.layer.params, self.layer.grads = {"weight": weight}, {"weight": weight * 0 + 1}

    def parameter_slots(self):
        return {"w.weight": [(self.layer, "weight")]}


def test_the_fake_gpus_put_new_arrays_on_the_current_device(gpus):
    a = to_device(numpy.ones(3, dtype=numpy.float32), "cuda:1")
    assert device_of(a).name == "cuda:1"
    b = a * 2                                   # made while cuda:0 is current
    assert device_of(b).name == "cuda:0"
    with device_of(a):
        assert device_of(a * 2).name == "cuda:1"
    assert device_of(a[1:]).name == "cuda:1"    # a view stays where its base is


@pytest.mark.parametrize("form", ["paper", "pytorch"])
def test_sgd_keeps_the_velocity_and_its_work_on_the_parameter_s_device(gpus, form):
    w = to_device(numpy.ones((4, 3), dtype=numpy.float32), "cuda:1")
    model = OneParameter(w)
    optimizer = SGD(model, lr=0.1, form=form)
    fake_gpus.allocations.clear()
    optimizer.step()
    assert device_of(optimizer.velocity[("w.weight", 0)]).name == "cuda:1"
    assert fake_gpus.allocations and all(current == 1 for current, _ in fake_gpus.allocations)


def test_two_towers_sum_their_input_gradients_on_the_first_device(gpus):
    # Each tower sends its ReLU's output to the first one; backward, each gets its share of
    # the gradient, and the two input gradients are summed on the first tower's device.
    devices = ("cuda:1", "cuda:0")
    towers = TwoTowers([("relu", [ReLU(), ReLU()]),
                        ("gather", Crossing("gather", devices, "gather"))], devices)
    x = to_device(numpy.random.default_rng(0).standard_normal((2, 3)), "cuda:0")
    y = towers.forward(x)
    assert device_of(y).name == "cuda:1"
    fake_gpus.allocations.clear()
    dx = towers.backward(to_device(numpy.ones(y.shape), "cuda:1"))      # cuda:0 is current
    assert device_of(dx).name == "cuda:1"
    numpy.testing.assert_array_equal(fake_gpus.asnumpy(dx), 2 * (fake_gpus.asnumpy(x) > 0))
