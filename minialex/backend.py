"""The array-backend switch: the array decides its module, devices are named and explicit.

Modelled on Chainer: code never imports ``cupy as np``. It asks the array it was given
(``xp = get_array_module(x)``) and calls ``xp.*``, so one code path serves NumPy and CuPy.

Devices are named by strings:

* ``"cpu"``: NumPy.
* ``"cpu:0"``, ``"cpu:1"``: two *virtual* CPU devices. NumPy has one memory, so an array "on"
  ``cpu:1`` is a plain NumPy array that the layer or tower owning it labels ``cpu:1``. They exist
  so that the two-tower code of the paper's Figure 2 runs, and is tested, without a GPU.
  ``to_device`` onto a virtual device always copies, so a crossing between towers costs a copy
  as it would between GPUs and a test catches any aliasing between the towers.
* ``"cuda:N"``: GPU N through CuPy. CuPy is optional: ``import minialex`` works without it, and
  asking for a CUDA device without it is an error that names the missing package.

Every op that creates or combines arrays must run on the device of its inputs: layers decorate
``forward`` and ``backward`` with :func:`on_input_device`, so no code depends on whichever CUDA
device happens to be current.
"""

import contextlib
import functools
import re

import numpy

try:  # CuPy is an optional extra (pip install "minialex[cuda12]" or "[cuda13]").
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None

_DEVICE_NAME = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


class Device:
    """A place where arrays live: ``Device("cpu")``, ``Device("cpu:1")``, ``Device("cuda:0")``.

    ``device.xp`` is the array module of the device; ``with device:`` makes it the current CUDA
    device for the ops inside (a no-op on the CPU).
    """

    def __init__(self, name):
        if isinstance(name, Device):
            name = name.name
        match = _DEVICE_NAME.match(str(name).strip().lower()) if isinstance(name, str) else None
        if match is None:
            raise ValueError(
                f"device: expected 'cpu', 'cpu:0', 'cpu:1' or 'cuda:N', got {name!r}")
        self.kind = match.group(1)
        self.index = None if match.group(2) is None else int(match.group(2))
        if self.kind == "cuda":
            if self.index is None:
                self.index = 0
            _check_cuda_device(self.index)
        self.name = self.kind if self.index is None else f"{self.kind}:{self.index}"

    @property
    def xp(self):
        return cupy if self.kind == "cuda" else numpy

    @property
    def is_virtual(self):
        """True for ``cpu:N``: a label on NumPy arrays, not a separate memory."""
        return self.kind == "cpu" and self.index is not None

    def __enter__(self):
        self._context = cupy.cuda.Device(self.index) if self.kind == "cuda" else contextlib.nullcontext()
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    def __eq__(self, other):
        return isinstance(other, Device) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"Device({self.name!r})"

    def __str__(self):
        return self.name


def _check_cuda_device(index):
    if cupy is None:
        raise RuntimeError(
            f"device 'cuda:{index}' needs CuPy, which is not installed: "
            "pip install 'minialex[cuda12]' (or [cuda13]) to match your CUDA toolkit")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as error:
        raise RuntimeError(f"device 'cuda:{index}': CuPy is installed but CUDA is not usable "
                           f"({error})") from None
    if index >= count:
        raise RuntimeError(f"device 'cuda:{index}': only {count} CUDA device(s) are visible")


def cuda_device_count():
    """How many GPUs CuPy sees (0 without CuPy or without a working driver)."""
    if cupy is None:
        return 0
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        return 0


def available_devices():
    """Names of the devices usable here: ``cpu`` always, then ``cuda:N`` for each GPU."""
    return ["cpu"] + [f"cuda:{i}" for i in range(cuda_device_count())]


def get_array_module(*arrays):
    """``numpy`` or ``cupy``: the module of the given arrays (``numpy`` for plain Python values)."""
    if cupy is not None:
        return cupy.get_array_module(*arrays)
    return numpy


def device_of(x):
    """The :class:`Device` an array lives on (``cpu`` for NumPy arrays and Python values)."""
    if cupy is not None and isinstance(x, cupy.ndarray):
        return _named_device(f"cuda:{x.device.id}")
    return _named_device("cpu")


@functools.lru_cache(maxsize=None)
def _named_device(name):
    # Every layer call asks for its input's device: parse the name and query CUDA once.
    return Device(name)


def on_input_device(method):
    """Run a layer method on the device of its first array argument.

    Layers decorate ``forward`` and ``backward`` with it, so their ops run where their input
    lives whatever CUDA device is current.
    """
    @functools.wraps(method)
    def wrapper(self, x, *args, **kwargs):
        with device_of(x):
            return method(self, x, *args, **kwargs)
    return wrapper


def to_device(x, device):
    """``x`` on ``device`` (a name or a :class:`Device`).

    Returns ``x`` itself when it is already there, except onto a virtual ``cpu:N`` device, which
    always copies (see the module docstring). Between GPUs CuPy copies peer to peer.
    """
    device = Device(device)
    if device.kind == "cuda":
        with device:
            return cupy.asarray(x)  # copies when x is NumPy or on another GPU
    host = asnumpy(x)
    if device.is_virtual:
        return numpy.array(host, copy=True)
    return host


def asnumpy(x):
    """``x`` as a NumPy array on the host (no copy when it already is one)."""
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy.asnumpy(x)
    return numpy.asarray(x)
