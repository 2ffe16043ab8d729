"""The shared argument checks: one wording, naming the owner and the argument."""

import numpy
import pytest

from minialex.validate import choice, integer, integers


@pytest.mark.parametrize("value", [3, numpy.int64(3), numpy.uint8(3)])
def test_integers_pass_as_int(value):
    assert integer(value, "n", "f") == 3 and type(integer(value, "n", "f")) is int


@pytest.mark.parametrize("value, minimum, fragment", [
    (True, None, "an integer"), (2.0, None, "an integer"),
    ("2", None, "an integer"), (0, 1, "a positive integer"),
    (-1, 0, "a non-negative integer"), (7, 8, "an integer >= 8")])
def test_everything_else_is_refused_by_name(value, minimum, fragment):
    with pytest.raises(ValueError, match=f"Owner: size must be {fragment}, got {value!r}"):
        integer(value, "size", "Owner", minimum=minimum)


def test_pairs_and_choices():
    assert integers((3, 2), "kernel_size", "Conv2d", minimum=1) == (3, 2)
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size must be a positive integer, "
                                         r"got \(3, 0\)"):
        integers((3, 0), "kernel_size", "Conv2d", minimum=1)
    assert choice("a", "mode", "f", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"f: mode must be one of \['a', 'b'\], got 'c'"):
        choice("c", "mode", "f", ("a", "b"))
