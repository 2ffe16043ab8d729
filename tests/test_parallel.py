"""Two towers (Figure 2): the same function as one grouped network, split over two devices."""

import numpy
import pytest

import minialex as mx
from minialex.backend import cuda_device_count
from minialex.models import CROSSINGS, alexnet_cifar

GPU = pytest.mark.skipif(cuda_device_count() < 1, reason="needs CuPy and at least one GPU")


def relative_error(a, b):
    a, b = mx.asnumpy(a), mx.asnumpy(b)
    return float(numpy.abs(a - b).max() / max(numpy.abs(b).max(), 1e-300))


def run(model, x, labels):
    loss_layer = mx.SoftmaxCrossEntropy()
    logits = model.forward(x)
    loss = loss_layer.forward(logits, mx.to_device(labels, mx.backend.device_of(logits)))
    dx = model.backward(loss_layer.backward())
    return logits, loss, dx, model.grad_dict()


@pytest.fixture(scope="module")
def pair():
    one = alexnet_cifar(seed=3, dtype="float64").eval()
    two = alexnet_cifar(towers=2, devices=("cpu:0", "cpu:1"), seed=99, dtype="float64").eval()
    two.load_state_dict(one.state_dict())
    return one, two


def test_state_dict_has_the_same_keys_and_shapes(pair):
    one, two = pair
    a, b = one.state_dict(), two.state_dict()
    assert list(a) == list(b)
    for key in a:
        assert a[key].shape == b[key].shape
        numpy.testing.assert_array_equal(a[key], b[key])


def test_same_seed_same_weights_whatever_the_towers():
    one = alexnet_cifar(seed=5)
    two = alexnet_cifar(towers=2, seed=5)
    for key, value in one.state_dict().items():
        numpy.testing.assert_array_equal(two.state_dict()[key], value)


def test_two_towers_compute_the_one_tower_function(pair):
    one, two = pair
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((4, 3, 32, 32))
    labels = rng.integers(0, 10, 4)
    logits1, loss1, dx1, grads1 = run(one, x, labels)
    logits2, loss2, dx2, grads2 = run(two, x, labels)
    assert relative_error(logits2, logits1) < 1e-10
    assert abs(float(loss2) - float(loss1)) <= 1e-10 * abs(float(loss1))
    assert relative_error(dx2, dx1) < 1e-10
    assert list(grads1) == list(grads2)
    for key in grads1:
        assert relative_error(grads2[key], grads1[key]) < 1e-10, key


def test_without_the_input_gradient_the_parameters_get_the_same_gradients(pair):
    # Training never reads the images' gradient: the first stage's layers skip it.
    rng = numpy.random.default_rng(1)
    x, labels = rng.standard_normal((2, 3, 32, 32)), rng.integers(0, 10, 2)
    for model in pair:
        _, _, _, full = run(model, x, labels)
        full = {k: v.copy() for k, v in full.items()}
        loss_layer = mx.SoftmaxCrossEntropy()
        loss_layer.forward(model.forward(x), labels)
        assert model.backward(loss_layer.backward(), input_gradient=False) is None
        for key, value in model.grad_dict().items():
            numpy.testing.assert_array_equal(value, full[key])


@pytest.mark.parametrize("norm", ["lrn", "batchnorm", "none"])
def test_training_mode_matches_too_dropout_and_batchnorm_included(norm):
    """Dropout draws each tower's half of the one-tower mask; batch normalisation is per
    channel, so each tower normalising its own channels is the one-tower layer."""
    one = alexnet_cifar(seed=1, dtype="float64", norm=norm)
    two = alexnet_cifar(towers=2, seed=1, dtype="float64", norm=norm)
    rng = numpy.random.default_rng(1)
    x, labels = rng.standard_normal((3, 3, 32, 32)), rng.integers(0, 10, 3)
    for step in (0, 1):
        one.set_step(step)
        two.set_step(step)
        got, expected = run(two, x, labels), run(one, x, labels)
        for a, b in zip(got[:3], expected[:3]):
            assert relative_error(a, b) < 1e-10
        for key in expected[3]:       # (conv biases before batch norm get ~1e-17: noise)
            numpy.testing.assert_allclose(got[3][key], expected[3][key], rtol=1e-10,
                                          atol=1e-14, err_msg=key)
    for key, value in one.state_dict().items():          # running statistics too
        assert relative_error(two.state_dict()[key], value) < 1e-12, key


def test_dropout_really_drops_in_both_towers():
    two = alexnet_cifar(towers=2, seed=1, dtype="float64")
    two.forward(numpy.random.default_rng(0).standard_normal((2, 3, 32, 32)))
    for name, stage in two.stages:
        if name.startswith("drop"):
            assert [layer.channel_offset for layer in stage] == [0, 512]
            assert all(layer.name == name for layer in stage)
            for layer in stage:                  # about half of each tower's units dropped
                multiplier, _ = layer.saved()
                assert 0.3 < 1 - numpy.mean(multiplier) < 0.7


def test_bytes_crossing_are_the_activations_at_the_crossings(pair):
    _, two = pair
    n, itemsize = 4, 8
    two.forward(numpy.zeros((n, 3, 32, 32)))
    # Activation shapes reaching each crossing, from alexnet_cifar's layer sizes:
    # pool2 (192, 7, 7) -> conv3; pool5 flattened (256*3*3) -> fc6; fc6 (1024) -> fc7;
    # fc7 (1024) -> fc8. "all" crossings move every tower's half to the other tower (the
    # whole activation crosses once); the "gather" into fc8 moves the second half only.
    expected = {"conv3": n * 192 * 7 * 7 * itemsize, "fc6": n * 256 * 3 * 3 * itemsize,
                "fc7": n * 1024 * itemsize, "fc8": n * 1024 // 2 * itemsize}
    assert CROSSINGS == {"conv3": "all", "fc6": "all", "fc7": "all", "fc8": "gather"}
    assert {k: v["forward"] for k, v in two.transfer_bytes.items()} == expected
    y = two.forward(numpy.zeros((n, 3, 32, 32)))
    two.backward(numpy.ones_like(y))
    assert {k: v["backward"] for k, v in two.transfer_bytes.items()} == expected


def test_nothing_crosses_when_both_towers_share_a_device():
    two = alexnet_cifar(towers=2, devices=("cpu", "cpu"), seed=0)
    y = two.forward(numpy.zeros((2, 3, 32, 32), dtype=numpy.float32))
    two.backward(numpy.ones_like(y))
    assert all(v == {"forward": 0, "backward": 0} for v in two.transfer_bytes.values())


def test_the_towers_devices_are_fixed():
    with pytest.raises(ValueError, match="devices are fixed"):
        alexnet_cifar(towers=2).to("cpu")


def test_summary_shows_the_crossings(capsys):
    two = alexnet_cifar(towers=2, seed=0)
    params, _ = two.summary((3, 32, 32))
    assert params == two.num_parameters() == 4_980_554
    lines = capsys.readouterr().out.splitlines()
    crossing_lines = [i for i, line in enumerate(lines) if "crossing" in line]
    assert len(crossing_lines) == 4
    # each crossing line stands just before the layer that reads both towers
    assert [lines[i + 1].split()[0] for i in crossing_lines] == ["conv3", "fc6", "fc7", "fc8"]


@GPU
@pytest.mark.gpu
@pytest.mark.parametrize("towers", [1, 2])
def test_gpu_agrees_with_cpu(towers):
    cpu = alexnet_cifar(seed=0, dtype="float64").eval()
    devices = "cuda:0" if towers == 1 else ("cuda:0", "cuda:0")
    gpu = alexnet_cifar(seed=0, dtype="float64", towers=towers, devices=devices).eval()
    rng = numpy.random.default_rng(0)
    x, labels = rng.standard_normal((4, 3, 32, 32)), rng.integers(0, 10, 4)
    expected = run(cpu, x, labels)
    got = run(gpu, mx.to_device(x, "cuda:0"), labels)
    for a, b in zip(got[:3], expected[:3]):
        assert relative_error(a, b) < 1e-10
    for key in expected[3]:
        assert relative_error(got[3][key], expected[3][key]) < 1e-10, key
