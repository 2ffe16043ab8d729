"""Mini-batch loading with a prefetching thread (minialex.data.Loader)."""

import threading
import time

import numpy
import pytest

from minialex import asnumpy
from minialex.data import Loader


def dataset(n=23):
    """Image i is filled with the value i, so a batch shows which samples it holds."""
    images = numpy.repeat(numpy.arange(n, dtype=numpy.uint8), 3 * 2 * 2).reshape(n, 3, 2, 2)
    labels = numpy.arange(n) % 7
    return images, labels


def ids(x):
    return asnumpy(x)[:, 0, 0, 0].astype(int).tolist()


@pytest.mark.parametrize("prefetch", [0, 2])
def test_every_sample_once_per_epoch_with_partial_batch(prefetch):
    images, labels = dataset()
    loader = Loader(images, labels, batch_size=5, seed=3, prefetch=prefetch)
    assert len(loader) == 5
    for _ in range(2):
        batches = list(loader)
        assert [len(y) for _, y in batches] == [5, 5, 5, 5, 3]
        seen = sum((ids(x) for x, _ in batches), [])
        assert sorted(seen) == list(range(23))
        for x, y in batches:
            assert y.dtype == numpy.int64
            numpy.testing.assert_array_equal(y, labels[ids(x)])  # labels travel with images


def test_drop_last():
    images, labels = dataset()
    loader = Loader(images, labels, batch_size=5, drop_last=True)
    assert len(loader) == 4
    batches = list(loader)
    assert [len(y) for _, y in batches] == [5] * 4
    assert len(set(sum((ids(x) for x, _ in batches), []))) == 20
    assert len(Loader(images, labels, batch_size=50, drop_last=True)) == 0
    assert len(Loader(images, labels, batch_size=50)) == 1


def order(loader):
    return sum((ids(x) for x, _ in loader), [])


def test_orders_follow_seed_and_epoch():
    images, labels = dataset()
    loader = Loader(images, labels, batch_size=4, seed=11)
    first, second = order(loader), order(loader)  # epochs 0 and 1 by the internal counter
    assert first != second and loader.epoch == 2
    loader.set_epoch(0)
    assert order(loader) == first
    other = Loader(images, labels, batch_size=4, seed=11, prefetch=0)
    other.set_epoch(1)
    assert order(other) == second
    assert first == numpy.random.default_rng((11, 0)).permutation(23).tolist()
    assert order(Loader(images, labels, batch_size=4, seed=12)) != first
    assert order(Loader(images, labels, batch_size=4, shuffle=False)) == list(range(23))


def noisy(batch, rng):
    return batch.astype(numpy.float32) + rng.random(batch.shape[0], dtype=numpy.float32)[:, None,
                                                                                       None, None]


def test_transform_randomness_is_per_batch_and_reproducible():
    images, labels = dataset()
    results = []
    for prefetch in (0, 1, 3):
        loader = Loader(images, labels, batch_size=4, seed=5, transform=noisy, prefetch=prefetch)
        loader.set_epoch(2)
        results.append([asnumpy(x) for x, _ in loader])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            numpy.testing.assert_array_equal(a, b)
    assert results[0][0].dtype == numpy.float32
    noise = numpy.concatenate([x[:, 0, 0, 0] % 1 for x in results[0]])
    assert len(set(noise.round(6).tolist())) == 23  # no two batches share a generator stream
    loader = Loader(images, labels, batch_size=4, seed=5, transform=noisy)
    loader.set_epoch(3)
    assert not numpy.array_equal(next(iter(loader))[0], results[0][0])


def test_transform_error_reaches_the_consumer():
    images, labels = dataset()

    def broken(batch, rng):
        if broken.calls == 2:
            raise ZeroDivisionError("transform failed on the third batch")
        broken.calls += 1
        return batch

    broken.calls = 0
    before = threading.active_count()
    loader = Loader(images, labels, batch_size=4, shuffle=False, transform=broken)
    received = []
    with pytest.raises(ZeroDivisionError, match="third batch"):
        for x, _ in loader:
            received.append(x)
    assert len(received) == 2
    assert wait_for_threads(before)


def wait_for_threads(count, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if threading.active_count() <= count:
            return True
        time.sleep(0.01)
    return False


def test_breaking_early_stops_the_thread():
    images, labels = dataset(200)
    before = threading.active_count()
    loader = Loader(images, labels, batch_size=2, prefetch=2)
    for i, _ in enumerate(loader):
        assert threading.active_count() == before + 1  # the producer is running
        if i == 1:
            break
    assert wait_for_threads(before)
    # An iterator dropped after one batch also releases its thread.
    iterator = iter(loader)
    next(iterator)
    del iterator
    assert wait_for_threads(before)


def test_bad_arguments():
    images, labels = dataset()
    with pytest.raises(ValueError, match="23 images but 22 labels"):
        Loader(images, labels[:-1])
    with pytest.raises(ValueError, match="integers"):
        Loader(images, labels.astype(float))
    with pytest.raises(ValueError, match="batch_size"):
        Loader(images, labels, batch_size=0)
    with pytest.raises(TypeError, match="callable"):
        Loader(images, labels, transform="crop")


def test_device_delivery(device):
    images, labels = dataset()
    loader = Loader(images, labels, batch_size=8, device=device)
    x, y = next(iter(loader))
    assert type(x).__module__.split(".")[0] == ("numpy" if device == "cpu" else "cupy")
    assert y.dtype == numpy.int64
