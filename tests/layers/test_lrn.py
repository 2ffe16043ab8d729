"""LocalResponseNorm (§3.3) against the plain tier, gradient checks, groups, alpha conventions."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import LocalResponseNorm, gradcheck, naive, to_device

# (config, number of channels, input scale). The paper's alpha = 1e-4 only bites on large
# activations, so its inputs are scaled up to make the normalisation visible.
CONFIGS = [
    pytest.param(dict(), 7, 30.0, id="paper-defaults"),
    pytest.param(dict(alpha=1.0, k=1.0), 7, 1.0, id="alpha1-k1"),
    pytest.param(dict(alpha=1.0, k=1.0, groups=2), 8, 1.0, id="alpha1-k1-groups2"),
    pytest.param(dict(alpha=1.0, k=1.0, alpha_over_n=True), 7, 1.0, id="alpha-over-n"),
    pytest.param(dict(size=4, alpha=1.0, k=1.0), 6, 1.0, id="even-size4"),
    pytest.param(dict(size=3, alpha=0.5, beta=0.5, k=1.5, groups=3), 6, 1.0,
                 id="size3-beta0.5-groups3"),
    pytest.param(dict(size=7, alpha=0.3, beta=1.2, k=1.0), 4, 1.0, id="window-wider-than-C"),
]


@pytest.mark.parametrize("config, channels, scale", CONFIGS)
def test_forward_matches_naive(config, channels, scale, rng):
    x = scale * rng.standard_normal((2, channels, 3, 4))
    y = LocalResponseNorm(**config).forward(x)
    expected = naive.local_response_norm(x, **config)
    numpy.testing.assert_allclose(y, expected, rtol=1e-13, atol=1e-13)
    # not the identity, nor a constant rescaling: the test can tell normalisations apart
    assert not numpy.allclose(y, x)


@pytest.mark.parametrize("config, channels, scale", CONFIGS)
def test_backward_matches_the_plain_tier(config, channels, scale, rng):
    x = scale * rng.standard_normal((2, channels, 3, 4))
    layer = LocalResponseNorm(**config)
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape)
    numpy.testing.assert_allclose(layer.backward(dy),
                                  naive.local_response_norm_backward(x, dy, **config),
                                  rtol=1e-12, atol=1e-13)


@given(st.integers(1, 3), st.integers(1, 9), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 7), st.sampled_from([1, 2, 3]), st.sampled_from([0.5, 0.75, 1.3]),
       st.booleans(), st.integers(0, 2**31))
def test_forward_and_backward_match_the_plain_tier_property(n, c, h, w, size, groups, beta,
                                                            over_n, seed):
    config = dict(size=size, alpha=0.7, beta=beta, k=1.5, alpha_over_n=over_n,
                  groups=groups)
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((n, c * groups, h, w))
    layer = LocalResponseNorm(**config)
    y = layer.forward(x)
    numpy.testing.assert_allclose(y, naive.local_response_norm(x, **config), rtol=1e-12,
                                  atol=1e-13)
    dy = rng.standard_normal(y.shape)
    numpy.testing.assert_allclose(layer.backward(dy),
                                  naive.local_response_norm_backward(x, dy, **config),
                                  rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("config, channels, scale", CONFIGS)
def test_gradcheck(config, channels, scale, device, rng):
    x = to_device(scale * rng.standard_normal((2, channels, 3, 3)), device)
    assert set(gradcheck(LocalResponseNorm(**config), x, tol=1e-7)) == {"input"}


def test_paper_window_at_the_channel_ends(rng):
    """Channel 0 sums channels 0..2 and channel C-1 sums C-3..C-1 (size 5, clipped)."""
    x = rng.standard_normal((1, 6, 1, 1))
    a = x[0, :, 0, 0]
    y = LocalResponseNorm(alpha=1.0, k=1.0).forward(x)[0, :, 0, 0]
    assert y[0] == pytest.approx(a[0] / (1 + (a[0:3] ** 2).sum()) ** 0.75, rel=1e-13)
    assert y[2] == pytest.approx(a[2] / (1 + (a[0:5] ** 2).sum()) ** 0.75, rel=1e-13)
    assert y[5] == pytest.approx(a[5] / (1 + (a[3:6] ** 2).sum()) ** 0.75, rel=1e-13)


@pytest.mark.parametrize("channel", [0, 1, 2])
def test_groups_keep_the_halves_apart(channel, rng):
    layer = LocalResponseNorm(alpha=1.0, k=1.0, groups=2)
    x = rng.standard_normal((2, 6, 3, 3))
    changed = x.copy()
    changed[:, channel] += 5.0
    y, y_changed = layer.forward(x), layer.forward(changed)
    numpy.testing.assert_array_equal(y_changed[:, 3:], y[:, 3:])
    # ...while within the first half the change is felt by the neighbours in the window
    neighbour = 1 if channel != 1 else 0
    assert not numpy.allclose(y_changed[:, neighbour], y[:, neighbour])
    # and without groups the same change does cross into channel 3 when it is in reach
    if channel >= 1:
        ungrouped = LocalResponseNorm(alpha=1.0, k=1.0)
        assert not numpy.allclose(ungrouped.forward(changed)[:, 3], ungrouped.forward(x)[:, 3])


@given(st.integers(1, 3), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 6), st.sampled_from([0.5, 0.75, 1.0]), st.floats(0.5, 3.0))
def test_alpha_zero_divides_by_k_to_the_beta(n, c, h, w, size, beta, k):
    x = numpy.random.default_rng(n * 100 + c).standard_normal((n, c, h, w))
    y = LocalResponseNorm(size=size, alpha=0.0, beta=beta, k=k).forward(x)
    numpy.testing.assert_allclose(y, x / k ** beta, rtol=1e-14, atol=0)


@pytest.mark.parametrize("size", [3, 4, 5])
@pytest.mark.parametrize("alpha", [1e-4, 0.3])
def test_alpha_conventions_agree(size, alpha, rng):
    x = 10 * rng.standard_normal((2, 7, 3, 3))
    paper = LocalResponseNorm(size=size, alpha=alpha, k=1.0)
    torch_style = LocalResponseNorm(size=size, alpha=alpha * size, k=1.0, alpha_over_n=True)
    assert torch_style.effective_alpha == pytest.approx(alpha, rel=1e-15)
    numpy.testing.assert_allclose(torch_style.forward(x), paper.forward(x), rtol=1e-13)
    # and the option really changes something when alpha is kept
    same_alpha = LocalResponseNorm(size=size, alpha=alpha, k=1.0, alpha_over_n=True)
    assert not numpy.allclose(same_alpha.forward(x), paper.forward(x), rtol=1e-6)


def test_float32_close_to_float64(rng):
    x = rng.standard_normal((2, 6, 3, 3))
    layer = LocalResponseNorm(alpha=1.0, k=1.0)
    numpy.testing.assert_allclose(layer.forward(x.astype(numpy.float32)), layer.forward(x),
                                  rtol=1e-5, atol=1e-6)
