"""The plain fully-connected layer against finite differences."""

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient


def test_linear(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    dy = rng.standard_normal((3, 2))
    dx, dw, db = naive.linear_backward(x, w, dy)
    assert_gradient_close(dx, numeric_gradient(lambda v: naive.linear(v, w, b), x, dy))
    assert_gradient_close(dw, numeric_gradient(lambda v: naive.linear(x, v, b), w, dy))
    assert_gradient_close(db, numeric_gradient(lambda v: naive.linear(x, w, v), b, dy))
