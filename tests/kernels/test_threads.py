"""Slices of element-wise work on the cores: complete, disjoint, and invisible in the results."""

import numpy
import pytest

from minialex import BatchNorm2d, Conv2d, Dropout, LocalResponseNorm, MaxPool2d
from minialex.kernels.threads import num_threads, split_over_cores


def test_slices_cover_the_range_once(monkeypatch):
    monkeypatch.setenv("MINIALEX_NUM_THREADS", "3")
    seen = numpy.zeros(10, dtype=int)

    def job(lo, hi):
        seen[lo:hi] += 1

    split_over_cores(job, 10)
    numpy.testing.assert_array_equal(seen, 1)
    split_over_cores(job, 2)            # fewer items than threads
    assert seen[:2].tolist() == [2, 2]


@pytest.mark.parametrize("threads, n, block", [("2", 10, 3), ("3", 7, 1), ("2", 5, 8)])
def test_blocks_cover_the_range_once_each_at_most_block_long(monkeypatch, threads, n, block):
    monkeypatch.setenv("MINIALEX_NUM_THREADS", threads)
    calls = []
    split_over_cores(lambda lo, hi: calls.append((lo, hi)), n, block=block)
    assert all(0 < hi - lo <= block for lo, hi in calls)
    assert sorted(i for lo, hi in calls for i in range(lo, hi)) == list(range(n))


def test_another_array_module_gets_one_call_whatever_the_block(monkeypatch):
    monkeypatch.setenv("MINIALEX_NUM_THREADS", "2")
    calls = []
    split_over_cores(lambda lo, hi: calls.append((lo, hi)), 10, xp=object(), block=3)
    assert calls == [(0, 10)]


def test_errors_reach_the_caller(monkeypatch):
    monkeypatch.setenv("MINIALEX_NUM_THREADS", "2")

    def job(lo, hi):
        if lo > 0:
            raise RuntimeError("slice failed")

    with pytest.raises(RuntimeError, match="slice failed"):
        split_over_cores(job, 8)


def test_bad_thread_count(monkeypatch):
    monkeypatch.setenv("MINIALEX_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="MINIALEX_NUM_THREADS"):
        num_threads()


@pytest.mark.parametrize("make", [
    lambda: Conv2d(4, 6, 3, stride=2, padding=1, dtype="float64", seed=0),
    lambda: MaxPool2d(3, 2), lambda: LocalResponseNorm(groups=2), lambda: Dropout(0.5, seed=3),
    lambda: BatchNorm2d(4, dtype="float64")])
def test_results_do_not_depend_on_the_thread_count(make, monkeypatch, rng):
    x = rng.standard_normal((3, 4, 9, 9))
    results = []
    for threads in ("1", "3"):
        monkeypatch.setenv("MINIALEX_NUM_THREADS", threads)
        layer = make()
        y = layer.forward(x)
        results.append((y, layer.backward(numpy.cos(y))))
    for a, b in zip(*results):
        numpy.testing.assert_array_equal(a, b)


def test_other_array_modules_get_one_slice():
    """On CuPy the kernels are parallel already: the job runs once, over everything."""
    calls = []
    split_over_cores(lambda lo, hi: calls.append((lo, hi)), 10, xp=object())
    assert calls == [(0, 10)]
