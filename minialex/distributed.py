"""Data parallelism: every worker holds the whole model and trains on its share of each batch.

The paper split one model over two GPUs (model parallelism: :mod:`minialex.parallel`). To use
more machines, today's way is data parallelism: each of N workers (MPI processes, one per
machine, core group or GPU) runs forward and backward on its own share of every global batch,
the gradients are summed across the workers before the update, and every worker applies the
same update to the same weights, so the weights stay identical everywhere::

    mpiexec -n 4 minialex train ... --distributed

``--batch-size`` stays the *global* batch: the recipe and its learning rate mean the same at
any N. Worker r takes the r-th of N near-equal slices of each batch.

The gradient of the loss (a mean over the global batch) is the count-weighted mean of the
workers' gradients (each a mean over its slice). So each worker scales its gradients by its
slice's size, one all-reduce sums them, and each divides by the global count. The all-reduce
sends one flat buffer per step (every gradient end to end, then the slice's size, loss sum and
error count), not one message per tensor.

Transport: MPI through ``mpi4py`` (``pip install "minialex[mpi]"``: mpi4py and the mpich
wheels, which give a working ``mpiexec`` with no root). Single-process training never imports
it. For CuPy arrays, NCCL (``cupy.cuda.nccl``) where it is present, its communicator set up
through MPI; otherwise the buffer goes through host memory over MPI (said once in the log).
"""

import numpy

from .backend import asnumpy, device_of, get_array_module


class DistributedError(RuntimeError):
    """Distributed training cannot start (mpi4py missing, a batch that does not divide)."""


def mpi_world():
    """The :class:`Communicator` of all the processes ``mpiexec`` started."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise DistributedError(
            "--distributed needs mpi4py and an MPI library: pip install \"minialex[mpi]\" "
            "(mpi4py and the mpich wheels; then run under mpiexec -n N)") from None
    return Communicator(MPI.COMM_WORLD)


class Communicator:
    """One worker's view of the group: ``rank``, ``size``, and the collective operations the
    Trainer needs. Every worker must call each collective in the same order."""

    def __init__(self, comm):
        self.comm, self.rank, self.size = comm, comm.Get_rank(), comm.Get_size()
        self._nccl = None
        self.said = set()           # notes already logged once

    # -- the one collective of every training step --------------------------------------------
    def reduce_gradients(self, model, count, loss_sum, wrong):
        """Sum ``count``-weighted gradients across the workers and divide by the global count,
        in place in every layer's ``grads``; returns the global ``(count, loss_sum, wrong)``.

        ``count``: images in this worker's slice; ``loss_sum``, ``wrong``: its summed loss and
        top-1 errors (arrays or numbers). One flat buffer, one all-reduce.
        """
        slots = [(layer, name) for pieces in model.parameter_slots().values()
                 for layer, name in pieces]
        grads = [layer.grads[name] for layer, name in slots]
        xp = get_array_module(*grads)
        with device_of(grads[0]):
            flat = xp.concatenate([g.reshape(-1) for g in grads])
            flat *= flat.dtype.type(count)
            extra = xp.stack([xp.asarray(v, dtype=flat.dtype) for v in (count, loss_sum, wrong)])
            flat = self.allreduce_sum(xp.concatenate([flat, extra]))
            total, loss_total, wrong_total = (float(v) for v in asnumpy(flat[-3:]))
            flat /= flat.dtype.type(total)
            start = 0
            for (layer, name), g in zip(slots, grads):
                layer.grads[name][...] = flat[start:start + g.size].reshape(g.shape)
                start += g.size
        return total, loss_total, wrong_total

    # -- collectives ----------------------------------------------------------------------------
    def allreduce_sum(self, array):
        """The element-wise sum of ``array`` over the workers (a new array, same device)."""
        xp = get_array_module(array)
        if xp is numpy:
            out = numpy.empty_like(array)
            self.comm.Allreduce(numpy.ascontiguousarray(array), out)
            return out
        if self._nccl_ready(array):
            return self._nccl_sum(array)
        self._say_once("host", "distributed: CuPy arrays are summed through host memory over "
                               "MPI (no NCCL in this CuPy)")
        with device_of(array):
            return xp.asarray(self.allreduce_sum(asnumpy(array)))

    def sum(self, values):
        """Numbers summed over the workers: a list of floats."""
        return [float(v) for v in self.allreduce_sum(numpy.asarray(values, dtype=numpy.float64))]

    def average_buffers(self, model):
        """Average every buffer (BatchNorm's running statistics) over the workers, in place,
        so that a saved model does not depend on which worker saved it."""
        for pieces in model.state_slots().values():
            group, slots = pieces
            if group != "buffers":
                continue
            for layer, key in slots:
                value = layer.buffers[key]
                layer.buffers[key] = self.allreduce_sum(value) / value.dtype.type(self.size)

    def barrier(self):
        self.comm.Barrier()

    def broadcast(self, value, root=0):
        """A Python value from ``root`` to every worker."""
        return self.comm.bcast(value, root=root)

    # -- NCCL between GPUs ----------------------------------------------------------------------
    def _nccl_ready(self, array):
        if self._nccl is None:
            try:
                from cupy.cuda import nccl
            except ImportError:
                nccl = None
            if nccl is None:
                self._nccl = False
            else:
                uid = self.broadcast(nccl.get_unique_id() if self.rank == 0 else None)
                with device_of(array):
                    self._nccl = (nccl, nccl.NcclCommunicator(self.size, uid, self.rank))
        return bool(self._nccl)

    def _nccl_sum(self, array):
        import cupy
        nccl, communicator = self._nccl
        kinds = {numpy.dtype("float32"): nccl.NCCL_FLOAT32,
                 numpy.dtype("float64"): nccl.NCCL_FLOAT64}
        with device_of(array):
            send = cupy.ascontiguousarray(array)
            out = cupy.empty_like(send)
            communicator.allReduce(send.data.ptr, out.data.ptr, send.size, kinds[send.dtype],
                                   nccl.NCCL_SUM, cupy.cuda.get_current_stream().ptr)
        return out

    def _say_once(self, key, text):
        if key not in self.said:
            self.said.add(key)
            if self.rank == 0:
                print(text)


def check_batch(batch_size, size):
    """A global batch must split evenly between the workers (said before any work)."""
    if batch_size % size:
        raise DistributedError(f"--batch-size {batch_size} does not divide between {size} "
                               f"workers: use a multiple of {size}")
