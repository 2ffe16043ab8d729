"""Mini-batches for training (§5: stochastic gradient descent, batches of 128), prepared ahead.

The paper's data pipeline ran on the CPU while the GPUs trained: "the transformed images are
generated in Python code on the CPU while the GPU is training on the previous batch of images"
(§4.1). :class:`Loader` does the same with a background thread that gathers, transforms and moves
up to ``prefetch`` batches ahead of the training loop (NumPy and Pillow release the GIL while
they work, so the thread really runs beside the forward and backward passes).

Every random choice is a pure function of ``(seed, epoch, batch index)``: the order of epoch ``e``
is a permutation drawn from ``numpy.random.default_rng((seed, e))``, and the transform of batch
``k`` gets its own generator, the ``k``-th child of ``SeedSequence((seed, e))``. Results therefore
do not depend on threads, prefetch depth or timing, and a resumed run sees the same batches.
"""

import queue
import threading

import numpy

from ..backend import to_device
from ..validate import integer

_POLL_S = 0.05  # how often a producer blocked on a full queue checks whether to stop


class Loader:
    """Iterates over ``(x, y)`` mini-batches of ``(images, labels)``, an epoch per iteration.

    images: (N, ...) any array type indexable by an int array (a NumPy array, a memmap).
    labels: (N,) integers; batches carry them as int64.
    ``batch_size``: rows per batch; the last, partial batch is kept unless ``drop_last``.
    ``shuffle``: a new permutation every epoch (else the stored order).
    ``seed``: a non-negative integer fixing permutations and transform randomness.
    ``transform(batch, rng) -> array``: applied to each batch of images with the batch's own
    ``numpy.random.Generator`` (for instance a :class:`minialex.data.Preprocess`).
    ``device``: where ``x`` and ``y`` are delivered (through :func:`minialex.to_device`).
    ``prefetch``: batches prepared ahead by a background thread; 0 prepares each batch in the
    consuming thread when it is asked for.

    ``shard``: ``(rank, size)`` for data-parallel training (:mod:`minialex.distributed`):
    ``batch_size`` stays the global batch, and this loader delivers the rank-th of ``size``
    near-equal slices of each; its transforms draw from (seed, epoch, batch, rank).

    Each ``iter(loader)`` runs one epoch, numbered by ``loader.epoch``, which then advances by
    one; call :meth:`set_epoch` to choose it (say, when resuming). Leaving the loop early
    (``break``, an exception) stops the background thread.
    """

    def __init__(self, images, labels, batch_size=128, shuffle=True, seed=0, transform=None,
                 drop_last=False, device="cpu", prefetch=2, shard=(0, 1)):
        labels = numpy.asarray(labels)
        if labels.ndim != 1 or (labels.size and labels.dtype.kind not in "iu"):
            raise ValueError(f"Loader: labels must be a 1-D array of integers, got "
                             f"{labels.dtype} of shape {labels.shape}")
        if len(images) != labels.shape[0]:
            raise ValueError(f"Loader: {len(images)} images but {labels.shape[0]} labels")
        batch_size = integer(batch_size, "batch_size", "Loader", minimum=1)
        seed = integer(seed, "seed", "Loader", minimum=0)
        prefetch = integer(prefetch, "prefetch", "Loader", minimum=0)
        if transform is not None and not callable(transform):
            raise TypeError(f"Loader: transform must be callable as transform(batch, rng), got "
                            f"{type(transform).__name__}")
        self.images = images
        self.labels = labels.astype(numpy.int64, copy=False)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.transform = transform
        self.drop_last = bool(drop_last)
        self.device = device
        self.prefetch = int(prefetch)
        rank, size = shard
        size = integer(size, "shard size", "Loader", minimum=1)
        rank = integer(rank, "shard rank", "Loader", minimum=0)
        if rank >= size:
            raise ValueError(f"Loader: shard rank {rank} is not below the size {size}")
        self.shard = (rank, size)
        self.epoch = 0

    def __len__(self):
        """Batches per epoch."""
        n = self.labels.shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch):
        """Make the next iteration run epoch ``epoch`` (its order and its random transforms)."""
        self.epoch = integer(epoch, "epoch", "Loader.set_epoch", minimum=0)

    def order(self, epoch):
        """int64 (N,): the sample order of ``epoch``."""
        n = self.labels.shape[0]
        if not self.shuffle:
            return numpy.arange(n, dtype=numpy.int64)
        return numpy.random.default_rng((self.seed, epoch)).permutation(n)

    def batch_rng(self, epoch, index):
        """The generator handed to ``transform`` for batch ``index`` of ``epoch``."""
        # A spawn key makes this the index-th child of SeedSequence((seed, epoch)): independent
        # of the permutation's stream and of every other batch's.
        rank, size = self.shard
        key = (index,) if size == 1 else (index, rank)     # one process: as it always was
        return numpy.random.default_rng(
            numpy.random.SeedSequence((self.seed, epoch), spawn_key=key))

    def batch(self, epoch, index, order=None):
        """``(x, y)``: batch ``index`` of ``epoch``, transformed and on the loader's device."""
        order = self.order(epoch) if order is None else order
        rows = order[index * self.batch_size:(index + 1) * self.batch_size]
        rank, size = self.shard
        bounds = [len(rows) * k // size for k in range(size + 1)]
        rows = rows[bounds[rank]:bounds[rank + 1]]              # this worker's slice
        x = self.images[rows]
        y = self.labels[rows]
        if self.transform is not None:
            x = self.transform(x, self.batch_rng(epoch, index))
        # On a GPU the background thread's copy and the training loop's kernels are ordered
        # only because both go to CuPy's default (legacy null) stream, which every other
        # stream waits for. With per-thread default streams or a stream of the loop's own,
        # the batch would need an event recorded here and waited on before its first use.
        return to_device(x, self.device), to_device(y, self.device)

    def __iter__(self):
        epoch = self.epoch
        self.epoch += 1
        if self.prefetch == 0:
            return self._synchronous(epoch)
        return self._prefetched(epoch)

    def _synchronous(self, epoch):
        order = self.order(epoch)
        for index in range(len(self)):
            yield self.batch(epoch, index, order)

    def _prefetched(self, epoch):
        order = self.order(epoch)
        ready = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def put(item):
            # Blocks while the queue is full, but wakes regularly to notice a stop request.
            while not stop.is_set():
                try:
                    ready.put(item, timeout=_POLL_S)
                    return True
                except queue.Full:
                    continue
            return False

        def produce():
            try:
                for index in range(len(self)):
                    if stop.is_set() or not put(("batch", self.batch(epoch, index, order))):
                        return
                put(("done", None))
            except BaseException as error:  # handed to the consumer, which raises it
                put(("error", error))

        worker = threading.Thread(target=produce, name=f"minialex-loader-epoch{epoch}",
                                  daemon=True)
        worker.start()
        try:
            while True:
                kind, value = ready.get()
                if kind == "done":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            # Reached on exhaustion, on an error and when the consumer leaves early (the
            # generator is closed): stop the producer and free a slot it may be waiting for.
            stop.set()
            try:
                while True:
                    ready.get_nowait()
            except queue.Empty:
                pass

    def __repr__(self):
        return (f"Loader({self.labels.shape[0]} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, seed={self.seed}, epoch={self.epoch}, "
                f"device={self.device!r}, prefetch={self.prefetch})")

