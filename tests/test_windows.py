"""Window arithmetic: how many windows fit, and the pairs of ints the layers take."""

import pytest
from hypothesis import assume, given, strategies as st

from minialex.windows import output_size, pair


def window_starts(size, kernel, stride, padding):
    """Start offsets (in padded coordinates) of every window that fits: the definition."""
    return range(0, size + 2 * padding - kernel + 1, stride)


# -- output_size ------------------------------------------------------------------------------
@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (227, 11, 4, 0, 55),   # conv1 on the 227x227 input (§3.5): (227 - 11) / 4 + 1
    (224, 11, 4, 2, 55),   # the same with the text's 224 and two pixels of padding
    (55, 3, 2, 0, 27),     # overlapping pool, z=3 s=2 (§3.4)
    (27, 5, 1, 2, 27),     # conv2, 'same' padding
    (13, 3, 1, 1, 13),
    (13, 3, 2, 0, 6),
    (5, 5, 1, 0, 1),
    (6, 3, 2, 0, 2),       # the last column does not fit a third window
    (4, 2, 2, 0, 2),
])
def test_output_size_known_values(size, kernel, stride, padding, expected):
    assert output_size(size, kernel, stride, padding) == expected


@given(size=st.integers(1, 40), kernel=st.integers(1, 12), stride=st.integers(1, 5),
       padding=st.integers(0, 5))
def test_output_size_counts_the_windows_that_fit(size, kernel, stride, padding):
    assume(kernel <= size + 2 * padding)
    assert output_size(size, kernel, stride, padding) == len(
        window_starts(size, kernel, stride, padding))


def test_pair():
    assert pair(3) == (3, 3) and pair((3, 2)) == (3, 2) and pair([1, 4]) == (1, 4)
