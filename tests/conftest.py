"""Shared fixtures: the ``device`` parametrisation and the hypothesis profiles.

Every test that takes ``device`` runs once per backend: ``"cpu"`` always, ``"cuda:0"`` (marked
``gpu``) and ``"cuda:1"`` (marked ``multi_gpu``) when CuPy sees that many GPUs; otherwise those
cases are skipped with a reason, never silently dropped.

Hypothesis: the ``ci`` profile (few, reproducible examples) is the default and what CI runs;
``HYPOTHESIS_PROFILE=dev`` explores more.
"""

import os

import numpy
import pytest
from hypothesis import settings

from minialex import backend

# -- hypothesis profiles ----------------------------------------------------------------------
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, database=None)
settings.register_profile("dev", max_examples=200, deadline=None)
# CI (env CI set) and a plain local run both use "ci"; HYPOTHESIS_PROFILE overrides either.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


# -- markers ------------------------------------------------------------------------------------
def pytest_configure(config):
    # Also declared in setup.cfg [tool:pytest]; declaring them here too keeps the tests
    # runnable (with --strict-markers) from a checkout without that section.
    config.addinivalue_line("markers", "gpu: needs CuPy and one GPU (skipped otherwise)")
    config.addinivalue_line("markers", "multi_gpu: needs CuPy and two GPUs (skipped otherwise)")
    config.addinivalue_line("markers", "slow: longer end-to-end runs")


# -- devices --------------------------------------------------------------------------------------
GPU_COUNT = backend.cuda_device_count()

DEVICES = [
    "cpu",
    pytest.param("cuda:0", id="cuda:0", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(GPU_COUNT < 1, reason="needs CuPy and at least one GPU")]),
    pytest.param("cuda:1", id="cuda:1", marks=[
        pytest.mark.gpu, pytest.mark.multi_gpu,
        pytest.mark.skipif(GPU_COUNT < 2, reason="needs CuPy and at least two GPUs")]),
]


@pytest.fixture(params=DEVICES)
def device(request):
    """A device name; move data with ``minialex.to_device(x, device)``, layers with ``.to``."""
    return request.param


@pytest.fixture
def rng():
    """A fresh, fixed-seed generator per test, so every test is reproducible on its own."""
    return numpy.random.default_rng(20121203)
