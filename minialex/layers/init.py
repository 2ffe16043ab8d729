"""Initial weights (§5): the paper's N(0, 0.01²) and He et al.'s N(0, 2 / fan_in)."""

import numpy


def init_params(layer, weight_shape, fan_in, weight_std, bias_init, dtype, seed):
    """Fill ``layer.params`` with ``weight ~ N(0, std**2)`` and a constant bias.

    ``weight_std=None`` gives He et al.'s ``sqrt(2 / fan_in)``, which trains deep ReLU nets from
    scratch; the paper's §5 uses ``0.01`` (the models pass it); ``0`` gives zeros without
    drawing anything (for a layer whose weights are filled in afterwards, such as one tower's
    slice of a layer). ``seed`` is an int, a ``numpy.random.Generator`` or None. Parameters
    are created on the CPU; ``layer.to(device)`` moves them.
    """
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{layer}: dtype must be a floating type, got {dtype}")
    std = numpy.sqrt(2.0 / fan_in) if weight_std is None else float(weight_std)
    if std == 0:
        layer.params["weight"] = numpy.zeros(weight_shape, dtype=dtype)
    else:
        rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
        weight = rng.standard_normal(weight_shape, dtype=numpy.float32 if dtype.itemsize <= 4
                                     else numpy.float64)   # no float64 detour for float32
        weight *= std
        layer.params["weight"] = weight.astype(dtype, copy=False)
    layer.params["bias"] = numpy.full(weight_shape[0], bias_init, dtype=dtype)
