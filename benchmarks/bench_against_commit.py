"""This working tree's minialex against an earlier commit's, interleaved in one process.

Run as a script (not a test), from the repository:

    python benchmarks/bench_against_commit.py REF [--repeats 9]

``REF`` is any git revision (a commit, ``HEAD``, ``main~3``). Its ``minialex/`` is exported
with ``git archive`` into a temporary folder under another package name, so both versions import
side by side; every case then runs the two alternately, round after round, so that both see
the same machine load. The table gives the median time of each and the median of the
per-round ratios (this tree / REF; below 1 is faster). A plain matrix product is timed before
and after: if it moved, the machine was contended and the run should be repeated.

Cases: the layers at AlexNet's shapes (batch 32) and the 3x3 convolutions of ``alexnet_cifar``
(batch 128), each forward + backward in float32, and whole training steps (forward, loss,
backward, SGD update) of both networks.
"""

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy

from common import gemm_gflops

import minialex as new


def import_commit(ref):
    """``minialex`` as it was at ``ref``, imported as the package ``minialex_at_ref``."""
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                          text=True, check=True).stdout.strip()
    folder = tempfile.mkdtemp(prefix="minialex-ref-")
    archive = subprocess.run(["git", "archive", ref, "minialex"], cwd=root, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    os.rename(os.path.join(folder, "minialex"), os.path.join(folder, "minialex_at_ref"))
    sys.path.insert(0, folder)
    return importlib.import_module("minialex_at_ref")


def layer_cases(mx):
    """(name, layer, input shape): the layers every version of minialex has."""
    rng = numpy.random.default_rng(0)
    return [
        ("conv1 3->96 11x11/4, 227x227, b32", mx.Conv2d(3, 96, 11, stride=4, seed=rng),
         (32, 3, 227, 227)),
        ("conv2 96->256 5x5 p2 g2, 27x27, b32", mx.Conv2d(96, 256, 5, padding=2, groups=2,
                                                          seed=rng), (32, 96, 27, 27)),
        ("conv3 256->384 3x3 p1, 13x13, b32", mx.Conv2d(256, 384, 3, padding=1, seed=rng),
         (32, 256, 13, 13)),
        ("conv4 384->384 3x3 p1 g2, 13x13, b32", mx.Conv2d(384, 384, 3, padding=1, groups=2,
                                                           seed=rng), (32, 384, 13, 13)),
        ("conv5 384->256 3x3 p1 g2, 13x13, b32", mx.Conv2d(384, 256, 3, padding=1, groups=2,
                                                           seed=rng), (32, 384, 13, 13)),
        ("cifar conv3 192->384 3x3 p1, 7x7, b128", mx.Conv2d(192, 384, 3, padding=1, seed=rng),
         (128, 192, 7, 7)),
        ("cifar conv4 384->256 3x3 p1 g2, 7x7, b128", mx.Conv2d(384, 256, 3, padding=1,
                                                                groups=2, seed=rng),
         (128, 384, 7, 7)),
        ("max-pool 3/2, 96x55x55, b32", mx.MaxPool2d(3, 2), (32, 96, 55, 55)),
        ("LRN (paper), 96x55x55, b32", mx.LocalResponseNorm(), (32, 96, 55, 55)),
        ("ReLU, 96x55x55, b32", mx.ReLU(), (32, 96, 55, 55)),
        ("tanh, 96x55x55, b32", mx.Tanh(), (32, 96, 55, 55)),
        ("flatten, 256x6x6, b32", mx.Flatten(), (32, 256, 6, 6)),
        ("softmax loss, 1000 classes, b128", mx.SoftmaxCrossEntropy(), (128, 1000)),
        ("dropout (train), 4096, b128", mx.Dropout(0.5, seed=0), (128, 4096)),
        ("fc6 9216->4096, b32", mx.Linear(9216, 4096, seed=rng), (32, 9216)),
    ]


def time_layer(layer, x, dy):
    start = time.perf_counter()
    if isinstance(dy, tuple):                 # the loss: forward(logits, labels), backward()
        layer.forward(x, dy[0])
        layer.backward()
    else:
        layer.forward(x)
        layer.backward(dy)
    return time.perf_counter() - start


def step_case(mx, net, batch):
    """A closure running one training step of ``net`` (forward, loss, backward, SGD update)."""
    model = getattr(mx, net)(seed=0)
    loss = mx.SoftmaxCrossEntropy()
    optim = importlib.import_module(mx.__name__ + ".optim").SGD(model, lr=1e-4)
    rng = numpy.random.default_rng(1)
    size = 227 if net == "alexnet" else 32
    x = rng.standard_normal((batch, 3, size, size)).astype(numpy.float32)
    labels = rng.integers(0, 10, batch)

    def step():
        start = time.perf_counter()
        loss.forward(model.forward(x), labels)
        model.backward(loss.backward())
        optim.step()
        return time.perf_counter() - start
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ref", help="the git revision to compare with (e.g. HEAD, main~1)")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--no-steps", action="store_true", help="layers only")
    args = parser.parse_args()
    old = import_commit(args.ref)

    print(f"cores: {os.cpu_count()}, numpy {numpy.__version__}; this tree against {args.ref}")
    print(f"plain float32 GEMM before: {gemm_gflops():.0f} GFLOP/s")
    rows = []
    for (name, ours, shape), (_, theirs, _) in zip(layer_cases(new), layer_cases(old)):
        theirs.params = {k: v.copy() for k, v in ours.params.items()}
        rng = numpy.random.default_rng(1)
        x = rng.standard_normal(shape).astype(numpy.float32)
        if isinstance(ours, new.SoftmaxCrossEntropy):
            dy = (rng.integers(0, shape[1], shape[0]),)
        else:
            dy = rng.standard_normal(ours.forward(x).shape).astype(numpy.float32)
        runs = [lambda: time_layer(ours, x, dy), lambda: time_layer(theirs, x, dy)]
        rows.append((name,) + interleave(runs, args.repeats))
    if not args.no_steps:
        for net, batch in (("alexnet", 32), ("alexnet_cifar", 128)):
            runs = [step_case(new, net, batch), step_case(old, net, batch)]
            rows.append((f"{net} training step, b{batch}",)
                        + interleave(runs, max(3, args.repeats // 2)))
    print(f"plain float32 GEMM after:  {gemm_gflops():.0f} GFLOP/s")
    print()
    print(f"float32, medians of {args.repeats} interleaved rounds (steps: of "
          f"{max(3, args.repeats // 2)})")
    print()
    print(f"| case | this tree ms | {args.ref} ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, ours, theirs, ratio in rows:
        print(f"| {name} | {ours * 1e3:.1f} | {theirs * 1e3:.1f} | {ratio:.3f} |")


def interleave(runs, repeats):
    """Medians of each run and of the per-round ratio run 0 / run 1, after a warm-up each."""
    for run in runs:
        run()
    times = [[], []]
    for round_ in range(repeats):
        order = (0, 1) if round_ % 2 == 0 else (1, 0)      # neither always goes first
        for i in order:
            times[i].append(runs[i]())
    ratio = statistics.median(a / b for a, b in zip(*times))
    return statistics.median(times[0]), statistics.median(times[1]), ratio


if __name__ == "__main__":
    main()
