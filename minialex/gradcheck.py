"""A gradient checker for any layer that follows the contract, yours included.

``gradcheck(layer, x)`` compares the layer's ``backward`` with central differences in float64:

    numeric = sum(g * (f(x + eps*e) - f(x - eps*e))) / (2*eps)

for a random upstream gradient ``g``, over the input and every parameter, element by element
or, for big tensors, along a few random directions. Subtracting the two outputs before the
weighted sum keeps the rounding error relative to the change, not to the whole output.

The error of an element is ``|analytic - numeric| / max(|analytic|, |numeric|, floor)``, with
``floor = rel_floor * (largest |analytic| in that tensor)``: gradients far smaller than the
tensor's largest are compared on the tensor's scale, since float64 differences cannot resolve
them to 1e-7 of themselves. The result is the worst error per tensor.
"""

import numpy

from .backend import asnumpy, device_of, get_array_module


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when a tensor's worst relative error exceeds the tolerance."""


def gradcheck(layer, x, *args, eps=1e-5, tol=1e-7, directions=None, rel_floor=1e-3, seed=0,
              raise_on_failure=True):
    """Check ``layer.backward`` against central differences; return ``{tensor: worst error}``.

    Parameters
    ----------
    layer : a layer with ``forward(x, *args)``, ``backward(dy)``, ``params`` and ``grads``, or a
        model (``Sequential``, ``TwoTowers``): then every parameter of every layer is checked,
        keyed as in its state dict. Put models with dropout in eval mode.
    x : input array (NumPy or CuPy); a float64 copy is used, ``x`` is never written.
    *args : extra forward arguments passed through unchanged (e.g. the labels of a loss).
    eps : step of the central difference.
    tol : largest worst relative error that passes.
    directions : None checks every element; an int ``k`` checks ``k`` random unit directions
        per tensor instead (for big layers): ``<grad, d>`` against the directional difference.
    seed : seeds the upstream gradient and the directions.
    raise_on_failure : raise :class:`GradcheckError` with a readable report when a tensor fails.

    The layer's parameters are swapped for float64 copies during the check and restored after,
    as are its gradients. Stochastic layers must be deterministic across calls (eval mode, or
    reseeded before each forward).
    """
    xp = get_array_module(x)
    rng = numpy.random.default_rng(seed)
    # A model lists its parameters as pieces held by its layers (one per tower); a layer is
    # its own single holder. Every piece is checked where it lives.
    slots = (layer.parameter_slots() if hasattr(layer, "parameter_slots")
             else {name: [(layer, name)] for name in layer.params})
    holders = list({id(h): h for pieces in slots.values() for h, _ in pieces}.values())
    saved = [(h, h.params, h.grads) for h in holders]
    for h in holders:
        h.params = {k: v.astype(numpy.float64) for k, v in h.params.items()}
        # A dict of its own: backward assigns into grads, which must not reach the saved one.
        h.grads = dict(h.grads)
    try:
        x64 = x.astype(numpy.float64)
        y = layer.forward(x64, *args)
        upstream = xp.asarray(rng.standard_normal(y.shape))
        dx = layer.backward(upstream)
        # (label, key, holder or None for the input, param name, analytic gradient)
        checks = [("input", "input", None, None, dx)]
        for key, pieces in slots.items():
            for i, (h, name) in enumerate(pieces):
                label = key if len(pieces) == 1 else f"{key} (piece {i} on {h.device})"
                checks.append((label, key, h, name, h.grads[name].copy()))

        def output_with(holder, name, value):
            """Forward output with one tensor replaced by ``value``."""
            if holder is None:
                return layer.forward(value, *args)
            original = holder.params[name]
            holder.params[name] = value
            try:
                return layer.forward(x64, *args)
            finally:
                holder.params[name] = original

        def numeric_along(holder, name, value, direction):
            plus = output_with(holder, name, value + eps * direction)
            minus = output_with(holder, name, value - eps * direction)
            return float((upstream * (plus - minus)).sum()) / (2 * eps)

        results, reports = {}, []
        for label, key, holder, name, grad in checks:
            value = x64 if holder is None else holder.params[name]
            vxp = get_array_module(value)
            if tuple(grad.shape) != tuple(value.shape):
                raise GradcheckError(f"gradcheck {layer}: gradient of {label!r} has shape "
                                     f"{tuple(grad.shape)}, expected {tuple(value.shape)}")
            grad_host = asnumpy(grad).astype(numpy.float64)
            pairs = []
            if directions is None:
                where = list(numpy.ndindex(*value.shape))
                with device_of(value):
                    unit = vxp.zeros_like(value)
                for index in where:
                    unit[index] = 1.0
                    pairs.append((grad_host[index], numeric_along(holder, name, value, unit)))
                    unit[index] = 0.0
                floor = rel_floor * float(numpy.abs(grad_host).max(initial=0.0))
            else:
                where = [f"direction {i}" for i in range(directions)]
                for _ in where:
                    d = rng.standard_normal(value.shape)
                    d /= numpy.linalg.norm(d) or 1.0
                    with device_of(value):
                        d_here = vxp.asarray(d)
                    pairs.append((float((grad_host * d).sum()),
                                  numeric_along(holder, name, value, d_here)))
                floor = rel_floor * float(numpy.linalg.norm(grad_host))
            worst, worst_at, worst_pair = 0.0, None, (0.0, 0.0)
            for at, (a, n) in zip(where, pairs):
                error = abs(a - n) / max(abs(a), abs(n), floor, numpy.finfo(numpy.float64).tiny)
                if error > worst or worst_at is None:
                    worst, worst_at, worst_pair = error, at, (a, n)
            results[key] = max(results.get(key, 0.0), float(worst))
            if worst > tol:
                reports.append(f"  {label}: worst relative error {worst:.3e} > tol {tol:.0e} at "
                               f"{worst_at}: analytic {worst_pair[0]:.10g}, numeric "
                               f"{worst_pair[1]:.10g}")
    finally:
        for h, params, grads in saved:
            h.params, h.grads = params, grads
    if reports and raise_on_failure:
        raise GradcheckError(f"gradcheck failed for {layer}:\n" + "\n".join(reports))
    return results


def standard_cases(seed=0):
    """Every built-in layer at a small shape, inputs conditioned for central differences.

    Returns ``[(label, layer, x, extra_forward_args), ...]`` in float64 on the CPU. ReLU and
    tanh inputs are kept at least 0.1 from 0 and max-pool inputs are a permutation of spaced
    values, so no step of the difference crosses a kink or changes a window's winner.
    """
    from . import layers as L

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
        ("Dropout paper (eval)", L.Dropout(0.5, "paper").eval(), normal(3, 8), ()),
        ("Dropout inverted (eval)", L.Dropout(0.5, "inverted").eval(), normal(3, 8), ()),
        ("SoftmaxCrossEntropy", L.SoftmaxCrossEntropy(), normal(4, 5), (rng.integers(0, 5, 4),)),
    ]
