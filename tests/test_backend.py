"""The array-backend switch: modules, device names, moves between devices, optional CuPy."""

import os
import subprocess
import sys

import numpy
import pytest

import minialex
from minialex import backend
from minialex.backend import Device, asnumpy, get_array_module, to_device

GPU_COUNT = backend.cuda_device_count()


# -- get_array_module -------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    numpy.zeros(3), numpy.ones((2, 2), dtype=numpy.float32), numpy.float64(1.5), 1.0, 3, [1, 2]])
def test_get_array_module_of_host_values_is_numpy(value):
    assert get_array_module(value) is numpy


def test_get_array_module_of_several_host_arrays_is_numpy():
    assert get_array_module(numpy.zeros(2), numpy.ones(3), 2.0) is numpy


# -- Device parsing -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, canonical, index, virtual", [
    ("cpu", "cpu", None, False),
    ("cpu:0", "cpu:0", 0, True),
    ("cpu:1", "cpu:1", 1, True),
    (" CPU:1 ", "cpu:1", 1, True),
    ("Cpu", "cpu", None, False),
])
def test_device_parsing(name, canonical, index, virtual):
    device = Device(name)
    assert device.name == canonical
    assert str(device) == canonical
    assert device.kind == "cpu"
    assert device.index == index
    assert device.is_virtual is virtual
    assert device.xp is numpy
    assert device == Device(canonical)
    assert hash(device) == hash(Device(canonical))


def test_device_from_device_and_inequality():
    one = Device("cpu:1")
    assert Device(one) == one
    assert Device("cpu:0") != one
    assert Device("cpu") != Device("cpu:0")
    assert repr(one) == "Device('cpu:1')"


@pytest.mark.parametrize("bad", [
    "gpu", "tpu:0", "cuda0", "cuda:x", "cpu:", "cpu:-1", "cpu 1", "", "cpu:1:2", None, 0, 1.5])
def test_bad_device_names_raise_value_error_naming_the_value(bad):
    with pytest.raises(ValueError) as info:
        Device(bad)
    assert repr(bad) in str(info.value)


def test_cpu_device_context_is_a_no_op():
    with Device("cpu:1") as device:
        assert device == Device("cpu:1")
        assert (numpy.arange(3) + 1).tolist() == [1, 2, 3]


# -- to_device / asnumpy --------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["cpu:0", "cpu:1", Device("cpu:1")])
def test_to_virtual_cpu_device_always_copies(target, rng):
    x = rng.standard_normal((3, 4))
    original = x.copy()
    y = to_device(x, target)
    assert y is not x
    assert not numpy.shares_memory(x, y)
    assert y.dtype == x.dtype and y.shape == x.shape
    numpy.testing.assert_array_equal(y, x)
    y[...] = 0.0  # writing into the copy leaves the source alone
    numpy.testing.assert_array_equal(x, original)


def test_virtual_to_virtual_copies_too(rng):
    x0 = to_device(rng.standard_normal(5), "cpu:0")
    x1 = to_device(x0, "cpu:1")
    assert not numpy.shares_memory(x0, x1)
    numpy.testing.assert_array_equal(x0, x1)


def test_to_cpu_from_numpy_returns_the_same_object(rng):
    x = rng.standard_normal((2, 3)).astype(numpy.float32)
    assert to_device(x, "cpu") is x
    assert to_device(x, Device("cpu")) is x


def test_to_cpu_from_python_values():
    y = to_device([1.0, 2.0], "cpu")
    assert isinstance(y, numpy.ndarray)
    numpy.testing.assert_array_equal(y, [1.0, 2.0])


def test_to_device_rejects_bad_names(rng):
    with pytest.raises(ValueError, match="gpu:0"):
        to_device(rng.standard_normal(2), "gpu:0")


def test_asnumpy(rng):
    x = rng.standard_normal(4)
    assert asnumpy(x) is x
    y = asnumpy([1, 2, 3])
    assert isinstance(y, numpy.ndarray)
    assert y.tolist() == [1, 2, 3]
    assert asnumpy(2.5).shape == ()


def test_device_of_host_values_is_cpu(rng):
    assert backend.device_of(rng.standard_normal(2)) == Device("cpu")
    assert backend.device_of(3.0) == Device("cpu")


def test_available_devices():
    devices = backend.available_devices()
    assert devices[0] == "cpu"
    assert devices[1:] == [f"cuda:{i}" for i in range(GPU_COUNT)]
    assert backend.cuda_device_count() == GPU_COUNT


def test_round_trip_through_device(device, rng):
    x = rng.standard_normal((2, 3))
    moved = to_device(x, device)
    assert backend.device_of(moved) == Device(device)
    numpy.testing.assert_array_equal(asnumpy(moved), x)


# -- CuPy is optional -------------------------------------------------------------------------------
@pytest.mark.skipif(GPU_COUNT >= 1, reason="a GPU is visible here: cuda:0 is a valid device")
@pytest.mark.parametrize("ask", [lambda: Device("cuda:0"), lambda: Device("cuda"),
                                 lambda: to_device(numpy.zeros(2), "cuda:0")])
def test_cuda_without_cupy_or_gpu_is_a_clear_runtime_error(ask):
    with pytest.raises(RuntimeError, match=r"(?i)cupy|CUDA device\(s\)"):
        ask()


def test_cuda_index_beyond_the_visible_gpus_is_a_runtime_error():
    with pytest.raises(RuntimeError, match=r"(?i)cupy|CUDA device\(s\)"):
        Device(f"cuda:{GPU_COUNT}")


def test_import_without_cupy():
    """``import minialex`` works when CuPy cannot be imported, and CUDA devices then name it."""
    script = "\n".join([
        "import sys",
        "sys.modules['cupy'] = None  # makes 'import cupy' raise ImportError",
        "import minialex",
        "from minialex import backend",
        "assert backend.cupy is None",
        "assert backend.cuda_device_count() == 0",
        "assert backend.available_devices() == ['cpu']",
        "assert backend.get_array_module(1.0) is __import__('numpy')",
        "try:",
        "    backend.Device('cuda:0')",
        "except RuntimeError as error:",
        "    assert 'CuPy' in str(error), error",
        "else:",
        "    raise AssertionError('cuda:0 without CuPy did not raise')",
        "print('ok')",
    ])
    root = os.path.dirname(os.path.dirname(os.path.abspath(minialex.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# -- on_input_device ----------------------------------------------------------------------------------
class _Recorder:
    @backend.on_input_device
    def method(self, x, scale, *, shift=0.0):
        """Doc of method."""
        self.seen = (x, scale, shift)
        xp = get_array_module(x)
        self.current = xp.cuda.runtime.getDevice() if xp is not numpy else None
        return x * scale + shift


def test_on_input_device_passes_arguments_and_keeps_metadata(rng):
    x = rng.standard_normal(3)
    recorder = _Recorder()
    y = recorder.method(x, 2.0, shift=1.0)
    numpy.testing.assert_array_equal(y, x * 2.0 + 1.0)
    assert recorder.seen[0] is x and recorder.seen[1:] == (2.0, 1.0)
    assert _Recorder.method.__name__ == "method"
    assert _Recorder.method.__doc__ == "Doc of method."


def test_on_input_device_runs_on_the_device_of_the_input(device, rng):
    x = to_device(rng.standard_normal(3), device)
    recorder = _Recorder()
    y = recorder.method(x, 3.0)
    assert backend.device_of(y) == Device(device)
    numpy.testing.assert_allclose(asnumpy(y), asnumpy(x) * 3.0)
    expected = Device(device).index if Device(device).kind == "cuda" else None
    assert recorder.current == expected
