"""The plain LRN: backward against finite differences, the window by hand."""

import pytest

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient


@pytest.mark.parametrize("config, channels", [
    (dict(alpha=1.0, k=1.0), 7), (dict(size=4, alpha=0.5, beta=0.6, k=1.2, groups=2), 8),
    (dict(size=3, alpha=2.0, k=1.0, alpha_over_n=True, groups=3), 6)])
def test_backward_against_finite_differences(config, channels, rng):
    x = rng.standard_normal((2, channels, 2, 3))
    dy = rng.standard_normal(x.shape)
    assert_gradient_close(naive.local_response_norm_backward(x, dy, **config),
                          numeric_gradient(lambda v: naive.local_response_norm(v, **config),
                                           x, dy))


def test_the_window_by_hand(rng):
    x = rng.standard_normal((1, 6, 1, 1))
    a = x[0, :, 0, 0]
    y = naive.local_response_norm(x, size=5, alpha=1.0, beta=0.75, k=1.0, groups=2)[0, :, 0, 0]
    # groups of 3: channel 1's window is 0..2 (clipped by its group), channel 3's is 3..5
    assert y[1] == pytest.approx(a[1] / (1 + (a[0:3] ** 2).sum()) ** 0.75, rel=1e-14)
    assert y[3] == pytest.approx(a[3] / (1 + (a[3:6] ** 2).sum()) ** 0.75, rel=1e-14)
