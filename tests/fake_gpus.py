"""A fake CuPy with two devices, for tests that check where arrays are allocated.

The virtual ``cpu:0``/``cpu:1`` devices cannot show a wrong-device allocation: their arrays are
plain NumPy. This module stands in for CuPy in ``minialex.backend``: its arrays are NumPy arrays
that carry a device id, and, as on a real GPU, every *new* array is made on the *current*
device (``with Device(i)``), whatever the device of the arrays it was computed from. Views
keep their base's device. Every allocation is logged with the current device, so a test can
say "nothing computed for cuda:1 was allocated while cuda:0 was current".
"""

import contextlib
import types

import numpy

_current = [0]
allocations = []          # (current device, what) for every new array


class ndarray(numpy.ndarray):   # noqa: N801 - the name CuPy uses
    def __array_finalize__(self, obj):
        # a view or slice of a fake array: its base's device; anything else: the current one
        self.device_id = getattr(obj, "device_id", _current[0])

    @property
    def device(self):
        return types.SimpleNamespace(id=self.device_id)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [_plain(value) for value in inputs]
        if out is not None:
            getattr(ufunc, method)(*plain, out=tuple(_plain(o) for o in out), **kwargs)
            return out[0] if len(out) == 1 else out
        return _new(getattr(ufunc, method)(*plain, **kwargs), ufunc.__name__)


def _plain(value):
    return value.view(numpy.ndarray) if isinstance(value, ndarray) else value


def _new(result, what):
    """A fresh result: logged, and placed on the current device."""
    if not isinstance(result, numpy.ndarray):
        return result
    allocations.append((_current[0], what))
    return result.view(ndarray)        # device_id: the current device (see __array_finalize__)


def _function(name):
    """numpy's function ``name`` on plain arrays; a result sharing memory with an argument is a
    view (its device), anything else a new array on the current device."""
    function = getattr(numpy, name)

    def call(*args, **kwargs):
        plain = [_plain(a) for a in args]
        result = function(*plain, **{k: _plain(v) for k, v in kwargs.items()})
        for arg in args:
            if isinstance(arg, ndarray) and isinstance(result, numpy.ndarray) \
                    and numpy.shares_memory(result, _plain(arg)):
                view = result.view(ndarray)
                view.device_id = arg.device_id
                return view
        return _new(result, name)
    return call


class _Device:
    def __init__(self, index):
        self.id = index

    def __enter__(self):
        self._before = _current[0]
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._before

    def synchronize(self):
        pass


class _Runtime:
    class CUDARuntimeError(RuntimeError):
        pass

    @staticmethod
    def getDeviceCount():   # noqa: N802 - CuPy's name
        return 2


cuda = types.SimpleNamespace(Device=_Device, runtime=_Runtime)


def get_array_module(*arrays):
    return _module if any(isinstance(a, ndarray) for a in arrays) else numpy


def asnumpy(x):
    return numpy.array(_plain(x), copy=True)


def __getattr__(name):
    value = getattr(numpy, name)
    return _function(name) if callable(value) and not isinstance(value, (type, numpy.ufunc)) \
        else value


@contextlib.contextmanager
def installed(monkeypatch):
    """Make ``minialex.backend`` use this module as CuPy for the duration."""
    from minialex import backend
    monkeypatch.setattr(backend, "cupy", _module)
    backend._named_device.cache_clear()
    allocations.clear()
    try:
        yield _module
    finally:
        backend._named_device.cache_clear()


import sys  # noqa: E402  (the module object itself, for get_array_module)

_module = sys.modules[__name__]
