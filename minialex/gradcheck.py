"""A gradient checker for any layer that follows the contract, yours included.

``gradcheck(layer, x)`` compares the layer's ``backward`` with central differences in float64,
in three steps, each a function of its own:

1. :func:`numeric_gradient`: for a random upstream gradient ``g``, the change of
   ``<g, f(x)>`` along each element (or each of a few random directions) of the input or of a
   parameter, ``sum(g * (f(x + eps*e) - f(x - eps*e))) / (2*eps)``. Subtracting the two
   outputs before the weighted sum keeps the rounding error relative to the change, not to
   the whole output.
2. :func:`compare`: the same quantities from the layer's ``backward``, and the worst relative
   error ``|analytic - numeric| / max(|analytic|, |numeric|, floor)``, with ``floor =
   rel_floor * (largest |analytic| in that tensor)``: gradients far smaller than the tensor's
   largest are compared on the tensor's scale, since float64 differences cannot resolve them
   to 1e-7 of themselves.
3. :func:`report`: the readable lines for the tensors that fail.
"""

import numpy

from . import layers as L
from .backend import asnumpy, device_of, get_array_module
from .validate import integer


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when a tensor's worst relative error exceeds the tolerance."""


def gradcheck(layer, x, *args, eps=1e-5, tol=1e-7, directions=None, rel_floor=1e-3, seed=0,
              raise_on_failure=True):
    """Check ``layer.backward`` against central differences; return ``{tensor: worst error}``.

    Parameters
    ----------
    layer : a layer with ``forward(x, *args)``, ``backward(dy)``, ``params`` and ``grads``, or a
        model (``Sequential``, ``TwoTowers``): then every parameter of every layer is checked,
        keyed as in its state dict.
    x : input array (NumPy or CuPy); a float64 copy is used, ``x`` is never written.
    *args : extra forward arguments passed through unchanged (e.g. the labels of a loss).
    eps : step of the central difference (> 0).
    tol : largest worst relative error that passes (>= 0).
    directions : None checks every element; a positive int ``k`` checks ``k`` random unit
        directions per tensor instead (for big layers): ``<grad, d>`` against the directional
        difference.
    seed : seeds the upstream gradient and the directions.
    raise_on_failure : raise :class:`GradcheckError` with a readable report when a tensor fails.

    The layer's parameters and buffers are swapped for float64 copies during the check and
    restored after, as are its gradients. Every forward of the check runs at the same training
    step, so dropout draws the same mask each time and is checked in training mode too;
    batch normalisation's running statistics are restored afterwards.
    """
    if directions is not None:
        directions = integer(directions, "directions", "gradcheck", minimum=1)
    if not eps > 0 or not tol >= 0:
        raise ValueError(f"gradcheck: eps must be > 0 and tol >= 0, got eps={eps!r}, tol={tol!r}")
    rng = numpy.random.default_rng(seed)
    # A model lists its parameters as pieces held by its layers (one per tower); a layer is
    # its own single holder. Every piece is checked where it lives.
    slots = (layer.parameter_slots() if hasattr(layer, "parameter_slots")
             else {name: [(layer, name)] for name in layer.params})
    holders = [h for _, h in layer.layers()] if hasattr(layer, "layers") else [layer]
    saved = [(h, h.params, h.grads, h.buffers) for h in holders]
    restart = _step_restarter(layer)
    for h in holders:
        h.params = {k: _float64(v) for k, v in h.params.items()}
        h.buffers = {k: _float64(v) for k, v in h.buffers.items()}
        # Empty: a backward may write into its last gradient arrays, which are the caller's.
        h.grads = {}
    try:
        x64 = _float64(x)

        def output_with(holder, name, value):
            """Forward output with the input, or one parameter, replaced by ``value``."""
            restart()
            if holder is None:
                return layer.forward(value, *args)
            original = holder.params[name]
            holder.params[name] = value
            try:
                return layer.forward(x64, *args)
            finally:
                holder.params[name] = original

        y = output_with(None, None, x64)
        with device_of(y):
            upstream = get_array_module(y).asarray(rng.standard_normal(y.shape))
        dx = layer.backward(upstream)
        # (label, key, holder or None for the input, param name, analytic gradient)
        checks = [("input", "input", None, None, dx)]
        for key, pieces in slots.items():
            for i, (h, name) in enumerate(pieces):
                if name not in h.grads:
                    raise GradcheckError(f"gradcheck {layer}: backward set no gradient for "
                                         f"{key!r} (grads[{name!r}] is missing)")
                label = key if len(pieces) == 1 else f"{key} (piece {i} on {h.device})"
                checks.append((label, key, h, name, h.grads[name].copy()))

        results, failures = {}, []
        for label, key, holder, name, grad in checks:
            value = x64 if holder is None else holder.params[name]
            if tuple(grad.shape) != tuple(value.shape):
                raise GradcheckError(f"gradcheck {layer}: gradient of {label!r} has shape "
                                     f"{tuple(grad.shape)}, expected {tuple(value.shape)}")
            probes = numeric_gradient(lambda v: output_with(holder, name, v), value, upstream,
                                      eps, directions, rng)
            worst, where, pair = compare(grad, probes, rel_floor)
            results[key] = max(results.get(key, 0.0), worst)
            if worst > tol:
                failures.append((label, worst, where, pair))
    finally:
        for h, params, grads, buffers in saved:
            h.params, h.grads, h.buffers = params, grads, buffers
        restart()
    if failures and raise_on_failure:
        raise GradcheckError(report(layer, failures, tol))
    return results


def numeric_gradient(output_of, value, upstream, eps=1e-5, directions=None, rng=None):
    """Step 1: central differences of ``<upstream, output_of(value)>``.

    Returns a list of ``(where, probe, numeric)``: with ``directions=None`` one per element,
    ``probe`` its index; else ``directions`` random unit directions (host arrays, drawn from
    ``rng``), ``where`` naming them.
    """
    xp = get_array_module(value)

    def along(step):
        plus, minus = output_of(value + eps * step), output_of(value - eps * step)
        return float((upstream * (plus - minus)).sum()) / (2 * eps)

    probes = []
    if directions is None:
        with device_of(value):
            unit = xp.zeros_like(value)
        for index in numpy.ndindex(*value.shape):
            unit[index] = 1.0
            probes.append((index, index, along(unit)))
            unit[index] = 0.0
        return probes
    rng = numpy.random.default_rng() if rng is None else rng
    for i in range(directions):
        d = rng.standard_normal(value.shape)
        d /= numpy.linalg.norm(d) or 1.0
        with device_of(value):
            step = xp.asarray(d)
        probes.append((f"direction {i}", d, along(step)))
    return probes


def compare(grad, probes, rel_floor=1e-3):
    """Step 2: the analytic gradient along each probe against its numeric value.

    Returns ``(worst relative error, where, (analytic, numeric))`` of the worst probe.
    """
    grad = asnumpy(grad).astype(numpy.float64)
    pairs = []
    for where, probe, numeric in probes:
        analytic = grad[probe] if isinstance(probe, tuple) else float((grad * probe).sum())
        pairs.append((where, float(analytic), numeric))
    if probes and isinstance(probes[0][1], tuple):
        scale = float(numpy.abs(grad).max(initial=0.0))      # the largest element
    else:
        scale = float(numpy.linalg.norm(grad))               # the largest directional value
    floor = max(rel_floor * scale, numpy.finfo(numpy.float64).tiny)
    worst, worst_where, worst_pair = 0.0, None, (0.0, 0.0)
    for where, a, n in pairs:
        error = abs(a - n) / max(abs(a), abs(n), floor)
        if error > worst or worst_where is None:
            worst, worst_where, worst_pair = error, where, (a, n)
    return float(worst), worst_where, worst_pair


def report(layer, failures, tol):
    """Step 3: one line per failing tensor, with the worst element and both values."""
    lines = [f"gradcheck failed for {layer}:"]
    for label, worst, where, (analytic, numeric) in failures:
        lines.append(f"  {label}: worst relative error {worst:.3e} > tol {tol:.0e} at {where}: "
                     f"analytic {analytic:.10g}, numeric {numeric:.10g}")
    return "\n".join(lines)


def _float64(array):
    with device_of(array):
        return array.astype(numpy.float64)


def _step_restarter(layer):
    """A function that puts ``layer`` (or each layer of a model) back at its current step, so
    that each forward of the check draws the same dropout mask."""
    layers = [l for _, l in layer.layers()] if hasattr(layer, "layers") else [layer]
    steps = [(l, getattr(l, "step", 0)) for l in layers]

    def restart():
        for l, step in steps:
            l.step = step
    return restart


def standard_cases(seed=0):
    """Every built-in layer at a small shape, inputs conditioned for central differences.

    Returns ``[(label, layer, x, extra_forward_args), ...]`` in float64 on the CPU. ReLU and
    tanh inputs are kept at least 0.1 from 0 and max-pool inputs are a permutation of spaced
    values, so no step of the difference crosses a kink or changes a window's winner.
    """
    rng = numpy.random.default_rng(seed)

    def normal(*shape):
        return rng.standard_normal(shape)

    def away_from_zero(*shape):
        x = normal(*shape)
        return x + 0.1 * numpy.sign(x)

    def spaced(*shape):  # distinct values 1/size apart: far more than a step
        size = int(numpy.prod(shape))
        return rng.permutation(size).reshape(shape) / size

    def conv(*args, **kwargs):
        return L.Conv2d(*args, dtype="float64", seed=rng, **kwargs)

    def batchnorm(training, affine=True):
        layer = L.BatchNorm2d(3, affine=affine, dtype="float64").train(training)
        if affine:
            layer.params = {"weight": 1 + 0.5 * normal(3), "bias": normal(3)}
        layer.buffers = {"running_mean": normal(3), "running_var": 0.5 + rng.random(3)}
        return layer

    return [
        ("Conv2d 3x3", conv(3, 4, 3), normal(2, 3, 6, 6), ()),
        ("Conv2d 3x3 stride 2 pad 1", conv(3, 4, 3, stride=2, padding=1), normal(2, 3, 7, 7), ()),
        ("Conv2d 3x3 pad 1 groups 2", conv(4, 6, 3, padding=1, groups=2), normal(2, 4, 5, 5), ()),
        ("Linear", L.Linear(6, 4, dtype="float64", seed=rng), normal(3, 6), ()),
        ("Flatten", L.Flatten(), normal(2, 3, 2, 2), ()),
        ("ReLU", L.ReLU(), away_from_zero(2, 3, 4, 4), ()),
        ("Tanh", L.Tanh(), away_from_zero(2, 3, 4, 4), ()),
        ("LocalResponseNorm (paper)", L.LocalResponseNorm(), normal(2, 7, 3, 3), ()),
        ("LocalResponseNorm alpha=1 k=1", L.LocalResponseNorm(alpha=1.0, k=1.0),
         normal(2, 7, 3, 3), ()),
        ("LocalResponseNorm groups=2", L.LocalResponseNorm(alpha=1.0, k=1.0, groups=2),
         normal(2, 8, 3, 3), ()),
        ("MaxPool2d 3x3 stride 2", L.MaxPool2d(3, 2), spaced(2, 3, 7, 7), ()),
        ("MaxPool2d 3x3 stride 1", L.MaxPool2d(3, 1), spaced(2, 3, 6, 6), ()),
        ("Dropout paper (train)", L.Dropout(0.5, "paper", seed=0), normal(3, 8), ()),
        ("Dropout paper (eval)", L.Dropout(0.5, "paper", seed=0).eval(), normal(3, 8), ()),
        ("Dropout inverted (train)", L.Dropout(0.5, "inverted", seed=0), normal(3, 8), ()),
        ("Dropout inverted (eval)", L.Dropout(0.5, "inverted", seed=0).eval(), normal(3, 8), ()),
        ("BatchNorm2d (train; not in the paper)", batchnorm(True), normal(4, 3, 3, 3), ()),
        ("BatchNorm2d (eval; not in the paper)", batchnorm(False), normal(4, 3, 3, 3), ()),
        ("BatchNorm2d affine=False (train)", batchnorm(True, affine=False), normal(4, 3, 3, 3),
         ()),
        ("SoftmaxCrossEntropy", L.SoftmaxCrossEntropy(), normal(4, 5), (rng.integers(0, 5, 4),)),
    ]
