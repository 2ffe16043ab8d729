"""Data parallelism on this machine, and on paper past it.

Run as a script (needs the mpi extra: mpi4py and mpiexec):

    python benchmarks/bench_distributed.py [--steps 6] [--batch 128]

1. Throughput of ``alexnet_cifar`` training steps (forward, backward, the gradient all-reduce,
   the paper's SGD) at the global batch ``--batch``: one process with 2 threads (BLAS and
   minialex's own) against ``mpiexec -n 2`` processes with 1 thread each. Each is a child
   process, so the thread counts are set before NumPy starts.
2. The all-reduce's share of a step at N=2: its bytes (the model's gradients, float32) and the
   time spent in it.
3. On paper: AlexNet (60,965,224 parameters, 244 MB of float32 gradients a step) at 8 and 64
   workers, from the compute time per image measured here and a stated network bandwidth, for a
   ring all-reduce (each worker sends and receives 2 (N - 1) / N times the buffer).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(args):
    """One process of a measurement: prints one JSON line (rank 0)."""
    import numpy

    import minialex as mx
    from minialex import distributed
    from minialex.optim import SGD

    comm = distributed.mpi_world() if args.workers > 1 else None
    rank, size = (comm.rank, comm.size) if comm else (0, 1)
    model = mx.alexnet_cifar(seed=0)
    for _, layer in model.layers():
        if hasattr(layer, "rank"):
            layer.rank = rank
    sgd = SGD(model, lr=0.01)
    loss = mx.SoftmaxCrossEntropy()
    rng = numpy.random.default_rng(rank)
    share = args.batch // size
    x = rng.standard_normal((share, 3, 32, 32)).astype(numpy.float32)
    labels = rng.integers(0, 10, share)
    steps, reduces = [], []
    for step in range(args.steps + 1):                  # the first is a warm-up
        model.set_step(step)
        start = time.perf_counter()
        value = loss.forward(model.forward(x), labels)
        model.backward(loss.backward(), input_gradient=False)
        reduce_start = time.perf_counter()
        if comm is not None:
            comm.reduce_gradients(model, share, value * share, 0)
        reduce_end = time.perf_counter()
        sgd.step()
        if step:
            steps.append(time.perf_counter() - start)
            reduces.append(reduce_end - reduce_start)
    if comm is not None:
        steps = [max(values) for values in zip(*comm.comm.allgather(steps))]   # the slowest
    if rank == 0:
        params = sum(v.size for v in model.state_dict().values())
        print(json.dumps({"step_s": statistics.median(steps),
                          "reduce_s": statistics.median(reduces),
                          "gradient_bytes": 4 * params, "batch": args.batch}))


def child(workers, threads, args):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads), "MINIALEX_NUM_THREADS": str(threads),
           "PYTHONPATH": os.path.dirname(HERE)}
    command = [sys.executable, __file__, "--worker", "--workers", str(workers),
               "--steps", str(args.steps), "--batch", str(args.batch)]
    if workers > 1:
        command = [shutil.which("mpiexec"), "-n", str(workers), *command]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--bandwidth", type=float, action="append",
                        help="GB/s for the extrapolation (default: 1.25, 12.5)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if shutil.which("mpiexec") is None:
        sys.exit("bench_distributed: needs mpiexec: pip install -e '.[mpi]'")
    one = child(1, 2, args)
    two = child(2, 1, args)
    print(f"alexnet_cifar, global batch {args.batch}, training step (forward, backward, "
          f"all-reduce, SGD), median of {args.steps}")
    print()
    print("| processes x threads | step s | images/s | all-reduce s | all-reduce share |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in (("1 x 2", one), ("2 x 1", two)):
        print(f"| {name} | {r['step_s']:.3f} | {args.batch / r['step_s']:.1f} | "
              f"{r['reduce_s']:.4f} | {100 * r['reduce_s'] / r['step_s']:.1f}% |")
    print(f"\ngradient bytes all-reduced per step: {two['gradient_bytes']:,} "
          f"(alexnet_cifar's parameters in float32)")

    # On paper: AlexNet at a global batch of 128, compute per image from bench_alexnet's
    # measured step on this machine, scaled by the multiply-adds of the two nets.
    per_image = one["step_s"] / args.batch * ALEXNET_MACS / CIFAR_MACS
    alexnet_bytes = 4 * 60_965_224
    print(f"\nAlexNet on paper: {per_image * 1e3:.0f} ms of compute per image (this machine's "
          f"alexnet_cifar time per image x {ALEXNET_MACS / CIFAR_MACS:.0f}, the ratio of "
          f"their multiply-adds); {alexnet_bytes / 1e6:.0f} MB of gradients a step; global "
          f"batch 128; ring all-reduce")
    print()
    print("| workers | bandwidth GB/s | compute s | all-reduce s | communication share |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for bandwidth in args.bandwidth or (1.25, 12.5):
        for n in (8, 64):
            compute = per_image * 128 / n
            comm = 2 * (n - 1) / n * alexnet_bytes / (bandwidth * 1e9)
            print(f"| {n} | {bandwidth:g} | {compute:.3f} | {comm:.3f} | "
                  f"{100 * comm / (compute + comm):.0f}% |")
        crossover = 128 * per_image * bandwidth * 1e9 / (2 * alexnet_bytes)
        print(f"| (communication takes longer than compute from about N = {crossover:.0f} "
              f"at {bandwidth:g} GB/s) | | | | |")


# Multiply-adds of one image's forward pass (``minialex summary``): the backward is about
# twice that for both, so their ratio is the ratio of a training step's work.
ALEXNET_MACS = 724_406_816
CIFAR_MACS = 111_534_080


if __name__ == "__main__":
    main()
