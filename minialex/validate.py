"""Argument checks shared by every constructor: one wording, one place.

Each check returns the value in its plain Python type, or raises ``ValueError`` that names
where it was called from (``owner``: a layer, a function, a class) and the argument.
"""

import numbers


def integer(value, name, owner, minimum=None):
    """``value`` as an ``int``; bools, floats and strings are refused, as are values below
    ``minimum``. ``owner`` and ``name`` say whose argument it is, for the message."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or \
            (minimum is not None and value < minimum):
        raise ValueError(f"{owner}: {name} must be {_wanted(minimum)}, got {value!r}")
    return int(value)


def integers(values, name, owner, minimum=None):
    """Every element of a tuple (or one int) through :func:`integer`; returns the tuple."""
    values = values if isinstance(values, tuple) else (values,)
    try:
        return tuple(integer(v, name, owner, minimum) for v in values)
    except ValueError:
        shown = values if len(values) > 1 else values[0]
        raise ValueError(f"{owner}: {name} must be {_wanted(minimum)}, got {shown!r}") from None


def choice(value, name, owner, choices):
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def _wanted(minimum):
    if minimum is None:
        return "an integer"
    return {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}")
