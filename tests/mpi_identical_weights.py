"""Run under ``mpiexec -n N`` by tests/test_distributed.py: a few data-parallel training steps
through the Trainer's own step, checking after every step that every worker holds the same
weights, then that BatchNorm's running statistics, each worker's own, are the same everywhere
once averaged. Worker 0 prints one line: ``identical after K steps`` or what differed."""

import hashlib
import sys
import tempfile

import numpy

from minialex import data, distributed, models
from minialex.optim import SGD, ConstantLR
from minialex.train import Trainer


def digest(model):
    """A hash of every weight (not the buffers: BatchNorm's statistics are each worker's own
    until they are averaged for a checkpoint)."""
    h = hashlib.sha256()
    for key, pieces in sorted(model.parameter_slots().items()):
        for layer, name in pieces:
            h.update(key.encode())
            h.update(numpy.ascontiguousarray(layer.params[name]).tobytes())
    return h.hexdigest()


def main(steps):
    comm = distributed.mpi_world()
    images, labels = data.make_shapes(80, seed=0)
    images = images.astype(numpy.float32) / 255 - 0.5
    model = models.figure1_net(seed=0, num_classes=10, norm="batchnorm")
    loader = data.Loader(images, labels, batch_size=16, seed=0, shard=(comm.rank, comm.size),
                         prefetch=0)
    out = comm.broadcast(tempfile.mkdtemp() if comm.rank == 0 else None)
    trainer = Trainer(model, SGD(model, 0.01), ConstantLR(0.01), loader, None, out,
                      progress=False, distributed=comm)
    for step, (x, y) in enumerate(loader):
        if step == steps:
            break
        model.set_step(step)
        trainer._distributed_batch(x, y, step)
        digests = comm.comm.allgather(digest(model))
        if len(set(digests)) != 1:
            if comm.rank == 0:
                print(f"different after step {step + 1}: {digests}")
            return
    # BatchNorm's running statistics are each worker's own until averaged for a checkpoint
    before = comm.comm.allgather(buffer_digest(model))
    comm.average_buffers(model)
    after = comm.comm.allgather(buffer_digest(model))
    if comm.rank == 0:
        if len(set(before)) == 1 or len(set(after)) != 1:
            print(f"buffers: {len(set(before))} different before averaging, "
                  f"{len(set(after))} after")
            return
        print(f"identical after {steps} steps")


def buffer_digest(model):
    h = hashlib.sha256()
    for key, value in sorted(model.state_dict().items()):
        if "running" in key:
            h.update(numpy.ascontiguousarray(value).tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    main(int(sys.argv[1]))
