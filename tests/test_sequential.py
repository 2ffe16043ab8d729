"""Sequential: forward/backward order, state dicts, .npz files, summary."""

import numpy
import pytest

import minialex as mx
from minialex import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, ReLU, Sequential


def small_net(seed=0, dtype="float64"):
    rng = numpy.random.default_rng(seed)
    return Sequential([
        ("conv1", Conv2d(2, 3, 3, padding=1, dtype=dtype, seed=rng)),
        ("relu1", ReLU()),
        ("flatten", Flatten()),
        ("fc2", Linear(3 * 4 * 4, 5, dtype=dtype, seed=rng)),
    ])


def test_forward_backward_are_the_layers_in_order(rng):
    net = small_net()
    x = rng.standard_normal((2, 2, 4, 4))
    expected = x
    for _, layer in net.layers():
        expected = layer.forward(expected)
    numpy.testing.assert_array_equal(net.forward(x), expected)
    dy = rng.standard_normal(expected.shape)
    dx = net.backward(dy)
    g = dy
    for _, layer in reversed(net.layers()):
        g = layer.backward(g)
    numpy.testing.assert_array_equal(dx, g)


def test_backward_without_the_input_gradient_gives_the_same_grads(rng):
    net = small_net()
    x = rng.standard_normal((2, 2, 4, 4))
    dy = rng.standard_normal(net.forward(x).shape)
    net.backward(dy)
    full = {k: v.copy() for k, v in net.grad_dict().items()}
    assert net.backward(dy, input_gradient=False) is None
    for key, value in net.grad_dict().items():
        numpy.testing.assert_array_equal(value, full[key])
    assert Sequential([]).backward(dy) is dy


def test_state_dict_keys_shapes_and_copies():
    net = small_net()
    state = net.state_dict()
    assert list(state) == ["conv1.weight", "conv1.bias", "fc2.weight", "fc2.bias"]
    assert state["conv1.weight"].shape == (3, 2, 3, 3)
    assert state["fc2.weight"].shape == (5, 48)
    state["conv1.weight"][...] = 0          # a copy: the model is untouched
    assert numpy.abs(net["conv1"].params["weight"]).sum() > 0


def test_grad_dict_matches_layer_grads_and_needs_backward(rng):
    net = small_net()
    with pytest.raises(RuntimeError, match="backward"):
        net.grad_dict()
    y = net.forward(rng.standard_normal((2, 2, 4, 4)))
    net.backward(numpy.ones_like(y))
    grads = net.grad_dict()
    numpy.testing.assert_array_equal(grads["fc2.weight"], net["fc2"].grads["weight"])
    assert set(grads) == set(net.state_dict())


def test_load_state_dict_round_trip_and_dtype_cast():
    a, b = small_net(seed=0), small_net(seed=1, dtype="float32")
    b.load_state_dict(a.state_dict())
    for key, value in a.state_dict().items():
        assert b.state_dict()[key].dtype == numpy.float32
        numpy.testing.assert_allclose(b.state_dict()[key], value, rtol=1e-6)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("fc2.bias"), "missing keys \\['fc2.bias'\\]"),
    (lambda s: s.update({"fc3.weight": numpy.zeros(2)}), "unexpected keys \\['fc3.weight'\\]"),
    (lambda s: s.update({"conv1.weight": numpy.zeros((3, 2, 5, 5))}),
     "'conv1.weight' has shape \\(3, 2, 5, 5\\), the model expects \\(3, 2, 3, 3\\)"),
])
def test_bad_state_dict_fails_and_loads_nothing(change, message):
    net, other = small_net(seed=0), small_net(seed=1)
    before = net.state_dict()
    state = other.state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        net.load_state_dict(state)
    for key, value in net.state_dict().items():
        numpy.testing.assert_array_equal(value, before[key])


def test_save_load_npz_is_bit_exact(tmp_path):
    a, b = small_net(seed=0), small_net(seed=1)
    path = a.save(tmp_path / "weights.npz")
    b.load(path)
    for key, value in a.state_dict().items():
        numpy.testing.assert_array_equal(b.state_dict()[key], value)
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]   # no temporary left


def test_failed_save_leaves_nothing_behind(tmp_path, monkeypatch):
    net = small_net()
    target = tmp_path / "weights.npz"
    target.write_bytes(b"the old file")

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(numpy, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        net.save(target)
    assert target.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]


def test_load_errors_name_the_file(tmp_path):
    net = small_net()
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        net.load(tmp_path / "nothing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="bad.npz"):
        net.load(bad)


def test_summary_totals_equal_the_counts(capsys):
    net = small_net()
    params, macs = net.summary((2, 4, 4))
    assert params == net.num_parameters() == 3 * 2 * 9 + 3 + 48 * 5 + 5
    assert macs == 3 * 4 * 4 * 2 * 9 + 48 * 5
    out = capsys.readouterr().out
    assert "conv1" in out and "(3, 4, 4)" in out and "(48,)" in out


def test_train_eval_reach_every_layer():
    net = Sequential([("fc", Linear(3, 3)), ("drop", mx.Dropout())])
    net.eval()
    assert not any(layer.training for _, layer in net.layers())
    net.train()
    assert all(layer.training for _, layer in net.layers())


def test_names_must_be_unique_and_plain():
    with pytest.raises(ValueError, match="unique"):
        Sequential([("a", ReLU()), ("a", ReLU())])
    with pytest.raises(ValueError, match="'a.b'"):
        Sequential([("a.b", ReLU())])


def test_whole_model_gradcheck(rng):
    net = small_net()
    x = rng.standard_normal((2, 2, 4, 4))
    errors = mx.gradcheck(net, x)
    assert set(errors) == {"input"} | set(net.state_dict())
    assert max(errors.values()) < 1e-7


def net_with_buffers(dtype="float64"):
    return Sequential([("conv1", Conv2d(2, 3, 3, padding=1, dtype=dtype, seed=0)),
                       ("bn1", BatchNorm2d(3, dtype=dtype)), ("relu1", ReLU())])


def test_buffers_are_saved_beside_the_weights_and_checked_like_them(rng):
    net = net_with_buffers()
    net.forward(rng.standard_normal((2, 2, 4, 4)))             # moves the running statistics
    state = net.state_dict()
    assert list(state) == ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                           "bn1.running_mean", "bn1.running_var"]
    assert net.num_parameters() == 3 * 2 * 9 + 3 + 3 + 3      # buffers are not parameters
    other = net_with_buffers()
    other.load_state_dict(state)
    numpy.testing.assert_array_equal(other["bn1"].buffers["running_var"],
                                     state["bn1.running_var"])
    bad = dict(state, **{"bn1.running_mean": numpy.zeros(4)})
    with pytest.raises(ValueError, match="'bn1.running_mean' has shape \\(4,\\)"):
        other.load_state_dict(bad)
    missing = {k: v for k, v in state.items() if k != "bn1.running_var"}
    with pytest.raises(ValueError, match="missing keys \\['bn1.running_var'\\]"):
        other.load_state_dict(missing)
    assert set(net.parameter_slots()) == {
        "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"}


def test_the_model_names_its_layers_and_sets_their_step():
    drop = Dropout(seed=0)
    net = Sequential([("fc6", Linear(3, 3)), ("drop6", drop)])
    assert drop.name == "drop6" and "drop6" in repr(drop)
    net.set_step(41)
    assert all(layer.step == 41 for _, layer in net.layers())


def test_integer_weights_are_refused_by_key():
    net, state = small_net(), small_net().state_dict()
    state["fc2.bias"] = numpy.arange(5)
    with pytest.raises(ValueError, match="'fc2.bias' holds int64 values"):
        net.load_state_dict(state)


def test_truncated_and_object_files_are_named(tmp_path):
    net = small_net()
    path = net.save(tmp_path / "w.npz")
    with open(path, "rb") as f:
        (tmp_path / "cut.npz").write_bytes(f.read()[:300])
    with pytest.raises(ValueError, match="cut.npz.*truncated or corrupt"):
        net.load(tmp_path / "cut.npz")
    numpy.savez(tmp_path / "obj.npz", **{"conv1.weight": numpy.array([{}], dtype=object)})
    with pytest.raises(ValueError) as info:
        net.load(tmp_path / "obj.npz")
    assert "Python objects" in str(info.value) and "allow_pickle" not in str(info.value)
