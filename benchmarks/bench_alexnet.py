"""Forward + backward of whole networks, minialex beside the same network in PyTorch.

Run as a script (not a test):

    python benchmarks/bench_alexnet.py                      # both nets, CPU
    python benchmarks/bench_alexnet.py --net alexnet --device cuda:0 --batch 128
    python benchmarks/bench_alexnet.py --throughput         # images/s at batch 1, 8, 32, 128
    python benchmarks/bench_alexnet.py --throughput --plot throughput.png   # and its figure
    python benchmarks/bench_alexnet.py --towers --device cuda:0   # two towers against one

Nets: ``alexnet`` (227x227, batch 32 by default) and ``alexnet_cifar`` (32x32, batch 128), in
float32, training mode (dropout on), loss included. The PyTorch twin (when ``torch`` imports;
it is never a dependency of minialex) is built from minialex's own weights with the same
layers: grouped convolutions, LRN applied to each tower's half of the channels with alpha
multiplied by n (PyTorch divides it by n), the paper's dropout. Runs alternate between the two
so that both see the same machine; the table gives medians and the median per-round ratio.
Each round times forward + backward + loss, and then the whole training step: the same plus
the update, the paper's SGD in minialex against ``torch.optim.SGD`` (momentum 0.9, weight
decay 5e-4) in PyTorch.

Also printed: where minialex's time goes, layer by layer, and the peak memory of two training
steps for each (Linux only: the peak RSS of a child process above its RSS before the model was
built, weights included; the PyTorch child uses minialex's weight arrays, not a copy). On a GPU
the memory is each library's own peak on the device (CuPy's pool total, PyTorch's
``max_memory_allocated``), with both models in one process, and PyTorch runs in strict float32
(TF32 off), as CuPy does. ``--warmup`` untimed steps (2) come first.
A plain GEMM is timed before and after, to see whether the machine was contended.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy

import minialex as mx
from common import force_algorithm, gemm_gflops
from minialex.optim import SGD

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

NETS = {"alexnet": (mx.alexnet, 227, 32, 1000), "alexnet_cifar": (mx.alexnet_cifar, 32, 128, 10)}


def sync(device):
    if device.startswith("cuda"):
        if mx.backend.cupy is not None:
            mx.backend.cupy.cuda.Device(int(device.split(":")[1])).synchronize()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()


# -- minialex -----------------------------------------------------------------------------------
def minialex_step(model, loss, x, labels):
    loss.forward(model.forward(x), labels)
    model.backward(loss.backward(), input_gradient=False)    # as PyTorch: the images need none


def layer_breakdown(model, loss, x, labels, device, repeats=3):
    """Median forward and backward seconds of each layer of a one-tower model."""
    times = {name: ([], []) for name, _ in model.layers()}
    for _ in range(repeats):
        h = x
        for name, layer in model.layers():
            sync(device)
            start = time.perf_counter()
            h = layer.forward(h)
            sync(device)
            times[name][0].append(time.perf_counter() - start)
        loss.forward(h, labels)
        g = loss.backward()
        first = model.layers()[0][1]
        for name, layer in reversed(model.layers()):
            sync(device)
            start = time.perf_counter()
            if layer is first:                      # the images' gradient: not computed
                layer.parameter_gradients(g)
            else:
                g = layer.backward(g)
            sync(device)
            times[name][1].append(time.perf_counter() - start)
    return {name: (statistics.median(f), statistics.median(b)) for name, (f, b) in times.items()}


# -- the PyTorch twin ---------------------------------------------------------------------------
def torch_twin(model, device):
    """A function (x, labels) -> loss computing the same network in PyTorch, and its weights."""
    dev = torch.device(device)
    if device == "cpu":  # share minialex's weight arrays: no second copy in memory
        weights = {key: torch.from_numpy(layer.params[name]).requires_grad_()
                   for key, [(layer, name)] in model.parameter_slots().items()}
    else:
        weights = {k: torch.tensor(v, device=dev, requires_grad=True)
                   for k, v in model.state_dict().items()}
    plan = [(name, layer) for name, layer in model.layers()]

    def run(x, labels):
        h = x
        for name, layer in plan:
            kind = type(layer).__name__
            if kind == "Conv2d":
                h = F.conv2d(h, weights[f"{name}.weight"], weights[f"{name}.bias"],
                             stride=layer.stride, padding=layer.padding, groups=layer.groups)
            elif kind == "ReLU":
                h = F.relu(h)
            elif kind == "LocalResponseNorm":
                halves = torch.chunk(h, layer.groups, dim=1)
                h = torch.cat([F.local_response_norm(part, layer.size,
                                                     alpha=layer.effective_alpha * layer.size,
                                                     beta=layer.beta, k=layer.k)
                               for part in halves], dim=1)
            elif kind == "MaxPool2d":
                h = F.max_pool2d(h, layer.kernel_size, layer.stride, layer.padding)
            elif kind == "Flatten":
                h = torch.flatten(h, 1)
            elif kind == "Linear":
                h = F.linear(h, weights[f"{name}.weight"], weights[f"{name}.bias"])
            elif kind == "Dropout":   # the paper's form in training: zero with probability p
                h = h * (torch.rand_like(h) >= layer.p)
            else:
                raise ValueError(f"no PyTorch twin for {kind}")
        return F.cross_entropy(h, labels)

    return run, weights


def torch_step(run, weights, x, labels, optimizer=None):
    for w in weights.values():
        w.grad = None
    run(x, labels).backward()
    if optimizer is not None:
        optimizer.step()


# -- peak memory, measured in a child process ---------------------------------------------------
def child_peak(net, batch, framework, device):
    """Run one framework's training steps in a fresh process; return its peak MiB above the
    memory it held before building the model."""
    out = subprocess.run([sys.executable, __file__, "--child", framework, "--net", net,
                          "--batch", str(batch), "--device", device],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_child(args):
    # Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS, so the
    # imports' own transient peak does not count.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status_kib("VmRSS")
    factory, size, _, classes = NETS[args.net]
    rng = numpy.random.default_rng(0)
    model = factory(seed=0)
    x = rng.standard_normal((args.batch, 3, size, size)).astype(numpy.float32)
    labels = rng.integers(0, classes, args.batch)
    if args.child == "minialex":
        loss = mx.SoftmaxCrossEntropy()
        for _ in range(2):
            minialex_step(model, loss, x, labels)
    else:
        run, weights = torch_twin(model, "cpu")   # shares the model's weight arrays
        tx, tl = torch.from_numpy(x), torch.from_numpy(labels)
        for _ in range(2):
            torch_step(run, weights, tx, tl)
    print(json.dumps({"peak_mib": (status_kib("VmHWM") - before) / 1024}))


def strict_fp32(device):
    """PyTorch's GPU convolutions and matrix products default to TF32 (10-bit mantissas);
    CuPy computes in full float32. Compare like with like: TF32 off."""
    if torch is not None and device.startswith("cuda"):
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False


def gpu_peak_mib(device):
    """Peak GPU memory of each library so far, MiB: CuPy's memory pool holds every block it
    ever needed at once (its total is the high-water mark), PyTorch reports its peak."""
    index = int(device.split(":")[1])
    with mx.backend.cupy.cuda.Device(index):
        ours = mx.backend.cupy.get_default_memory_pool().total_bytes() / 2**20
    theirs = (torch.cuda.max_memory_allocated(index) / 2**20
              if torch is not None and torch.cuda.is_available() else None)
    return ours, theirs


def bench(net, batch, repeats, device, breakdown=True, warmup=2, algorithm="auto"):
    factory, size, _, classes = NETS[net]
    rng = numpy.random.default_rng(0)
    model = factory(seed=0).to(device)
    force_algorithm(model.layers(), algorithm)
    loss = mx.SoftmaxCrossEntropy()
    sgd = SGD(model, lr=0.01, momentum=0.9, weight_decay=5e-4)
    x_host = rng.standard_normal((batch, 3, size, size)).astype(numpy.float32)
    labels_host = rng.integers(0, classes, batch)
    x, labels = mx.to_device(x_host, device), mx.to_device(labels_host, device)

    def ours_step():
        minialex_step(model, loss, x, labels)
        sgd.step()

    for _ in range(warmup):                                     # caches, pools, autotuning
        ours_step()
    if torch is not None:
        strict_fp32(device)
        run, weights = torch_twin(model, device)
        # On the CPU the twin shares minialex's weight arrays, so both optimisers move the same
        # weights: harmless for timing, at this learning rate and over a few steps.
        optimizer = torch.optim.SGD(weights.values(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        tx = torch.from_numpy(x_host).to(device)
        tl = torch.from_numpy(labels_host).to(device)
        for _ in range(warmup):
            torch_step(run, weights, tx, tl, optimizer)

    def timed(fn):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - start

    times = {"ours": [], "theirs": [], "ours_step": [], "theirs_step": []}
    for _ in range(repeats):
        times["ours"].append(timed(lambda: minialex_step(model, loss, x, labels)))
        if torch is not None:
            times["theirs"].append(timed(lambda: torch_step(run, weights, tx, tl)))
        times["ours_step"].append(timed(ours_step))
        if torch is not None:
            times["theirs_step"].append(timed(lambda: torch_step(run, weights, tx, tl,
                                                                 optimizer)))
    result = {"net": net, "batch": batch, "minialex_s": statistics.median(times["ours"]),
              "minialex_step_s": statistics.median(times["ours_step"])}
    if torch is not None:
        result["torch_s"] = statistics.median(times["theirs"])
        result["ratio"] = statistics.median(o / t for o, t in zip(times["ours"],
                                                                  times["theirs"]))
        result["torch_step_s"] = statistics.median(times["theirs_step"])
        result["step_ratio"] = statistics.median(
            o / t for o, t in zip(times["ours_step"], times["theirs_step"]))
    if breakdown:
        result["layers"] = layer_breakdown(model, loss, x, labels, device)
    return result


# minialex / PyTorch, at most: issue 12 on the CPU, issue 13 on a GPU (against cuDNN, fp32).
TARGETS = {"cpu": ("issue 12", {"ratio": 1.0, "step_ratio": 1.0, "memory_ratio": 1.2}),
           "cuda": ("issue 13", {"ratio": 1.5, "step_ratio": 1.5, "memory_ratio": 1.5})}


def towers_against_one(net, batch, repeats, device, warmup=2, algorithm="auto"):
    """The training step with two towers (Figure 2) against one tower, both minialex, on the
    same device twice over (``cuda:0, cuda:0``; on the CPU the virtual ``cpu:0, cpu:1``).
    The two towers do the same arithmetic as one grouped tower plus the crossings' copies."""
    factory, size, _, classes = NETS[net]
    rng = numpy.random.default_rng(0)
    pair = ("cpu:0", "cpu:1") if device == "cpu" else (device, device)
    models = {"one tower": factory(seed=0).to(device),
              "two towers": factory(seed=0, towers=2, devices=pair)}
    for model in models.values():
        force_algorithm(model.layers(), algorithm)
    loss = mx.SoftmaxCrossEntropy()
    x_host = rng.standard_normal((batch, 3, size, size)).astype(numpy.float32)
    labels_host = rng.integers(0, classes, batch)
    first = pair[0] if device != "cpu" else "cpu"
    x, labels = mx.to_device(x_host, first), mx.to_device(labels_host, first)
    steps = {}
    for name, model in models.items():
        sgd = SGD(model, lr=0.01, momentum=0.9, weight_decay=5e-4)
        steps[name] = (lambda model=model, sgd=sgd: (minialex_step(model, loss, x, labels),
                                                     sgd.step()))
        for _ in range(warmup):
            steps[name]()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            sync(device)
            start = time.perf_counter()
            step()
            sync(device)
            times[name].append(time.perf_counter() - start)
    ratio = statistics.median(t / o for t, o in zip(times["two towers"], times["one tower"]))
    if device.startswith("cuda"):      # is the host or the GPU the limit? CuPy times both
        from cupyx.profiler import benchmark
        for name, step in steps.items():
            r = benchmark(step, n_repeat=repeats, n_warmup=1)
            print(f"{name}: host {r.cpu_times.mean() * 1e3:.1f} ms, GPU "
                  f"{r.gpu_times.mean() * 1e3:.1f} ms a step (cupyx.profiler.benchmark)")
    print()
    print(f"{net}, batch {batch}, training step on {' and '.join(pair)}: two towers "
          f"{statistics.median(times['two towers']):.3f} s, one tower "
          f"{statistics.median(times['one tower']):.3f} s, ratio {ratio:.2f}x "
          f"(target on one GPU, issue 13: at most 1.1x; crossings: "
          f"{models['two towers'].transfer_bytes})")


def verdict(value, target):
    return "meets" if value <= target else "misses"


def throughput(nets, batches, repeats, device, plot=None):
    """Images per second (forward + backward + loss) at each batch size, both libraries;
    with ``plot``, a figure of both against the batch size, saved there."""
    rows = []
    print()
    print(f"throughput, images/s (forward + backward + loss), median of {repeats}")
    print()
    print("| net | batch | minialex img/s | PyTorch img/s | time ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for net in nets:
        for batch in batches:
            r = bench(net, batch, repeats, device, breakdown=False)
            theirs = f"{batch / r['torch_s']:.1f}" if "torch_s" in r else "n/a"
            ratio = f"{r['ratio']:.2f}x" if "ratio" in r else "n/a"
            print(f"| {net} | {batch} | {batch / r['minialex_s']:.1f} | {theirs} | {ratio} |")
            rows.append(r)
    if plot:
        plot_throughput(rows, plot)


def plot_throughput(rows, path):
    """Images/s against batch size, one panel per net, minialex and PyTorch."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    nets = sorted({r["net"] for r in rows})
    fig, axes = plt.subplots(1, len(nets), figsize=(5 * len(nets), 3.6), squeeze=False)
    for ax, net in zip(axes[0], nets):
        mine = [r for r in rows if r["net"] == net]
        batches = [r["batch"] for r in mine]
        ax.plot(batches, [r["batch"] / r["minialex_s"] for r in mine], "o-", label="minialex")
        if all("torch_s" in r for r in mine):
            ax.plot(batches, [r["batch"] / r["torch_s"] for r in mine], "s--",
                    label=f"PyTorch {torch.__version__}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.set_xlabel("batch size")
        ax.set_ylabel("images/s (forward + backward)")
        ax.set_title(net)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--net", choices=sorted(NETS), action="append")
    parser.add_argument("--batch", type=int, default=None, help="default: 32 / 128")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory children")
    parser.add_argument("--throughput", action="store_true",
                        help="only images/s at batch 1, 8, 32 and 128")
    parser.add_argument("--plot", metavar="PNG", help="with --throughput: save the figure here")
    parser.add_argument("--towers", action="store_true",
                        help="only the step with two towers against one (both minialex)")
    parser.add_argument("--algorithm", choices=("auto", "direct", "winograd"), default="auto",
                        help="the convolutions' algorithm (winograd where it applies)")
    parser.add_argument("--child", choices=("minialex", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.net = args.net[0]
        return run_child(args)

    print(f"cores: {os.cpu_count()}, numpy {numpy.__version__}, device {args.device}, "
          f"convolutions: {args.algorithm}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else
             ", torch not installed"))
    print(f"plain float32 GEMM before: {gemm_gflops():.0f} GFLOP/s")
    if args.towers:
        for net in args.net or ["alexnet", "alexnet_cifar"]:
            towers_against_one(net, args.batch or NETS[net][2], args.repeats, args.device,
                               args.warmup, args.algorithm)
        return None
    if args.throughput:
        throughput(args.net or ["alexnet", "alexnet_cifar"], (1, 8, 32, 128), args.repeats,
                   args.device, args.plot)
        print(f"plain float32 GEMM after:  {gemm_gflops():.0f} GFLOP/s")
        return None
    results = []
    for net in args.net or ["alexnet", "alexnet_cifar"]:
        batch = args.batch or NETS[net][2]
        result = bench(net, batch, args.repeats, args.device, warmup=args.warmup,
                       algorithm=args.algorithm)
        if args.device.startswith("cuda"):
            result["minialex_mib"], theirs = gpu_peak_mib(args.device)
            if theirs is not None:
                result["torch_mib"] = theirs
        elif not args.no_memory:
            result["minialex_mib"] = child_peak(net, batch, "minialex", "cpu")
            if torch is not None:
                result["torch_mib"] = child_peak(net, batch, "torch", "cpu")
        results.append(result)
    print(f"plain float32 GEMM after:  {gemm_gflops():.0f} GFLOP/s")
    print()
    print(f"forward + backward + loss, float32, training mode, median of {args.repeats}")
    print()
    print("| net | batch | minialex s | PyTorch s | time ratio | step: minialex s | PyTorch s "
          "| step ratio | minialex MiB | PyTorch MiB | memory ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        def fmt(key, spec):
            return format(r[key], spec) if key in r else "n/a"
        mem_ratio = (f"{r['minialex_mib'] / r['torch_mib']:.2f}x"
                     if "torch_mib" in r and "minialex_mib" in r else "n/a")
        print(f"| {r['net']} | {r['batch']} | {fmt('minialex_s', '.3f')} | "
              f"{fmt('torch_s', '.3f')} | {fmt('ratio', '.2f')}x | "
              f"{fmt('minialex_step_s', '.3f')} | {fmt('torch_step_s', '.3f')} | "
              f"{fmt('step_ratio', '.2f')}x | {fmt('minialex_mib', '.0f')} | "
              f"{fmt('torch_mib', '.0f')} | {mem_ratio} |")
    print()
    issue, targets = TARGETS["cuda" if args.device.startswith("cuda") else "cpu"]
    print(f"targets ({issue}; minialex / PyTorch, at most): forward + backward "
          f"{targets['ratio']}x, training step {targets['step_ratio']}x, memory "
          f"{targets['memory_ratio']}x")
    for r in results:
        checks = [(key, r[key]) for key in ("ratio", "step_ratio") if key in r]
        if "torch_mib" in r and "minialex_mib" in r:
            checks.append(("memory_ratio", r["minialex_mib"] / r["torch_mib"]))
        print(f"  {r['net']} batch {r['batch']}: " + ", ".join(
            f"{key} {value:.2f}x {verdict(value, targets[key])}" for key, value in checks))
    for r in results:
        total = sum(f + b for f, b in r["layers"].values())
        print()
        print(f"where minialex's time goes: {r['net']}, batch {r['batch']} "
              f"(per layer, median of 3, ms)")
        print()
        print("| layer | forward | backward | share |")
        print("| --- | ---: | ---: | ---: |")
        for name, (f, b) in r["layers"].items():
            print(f"| {name} | {f * 1e3:.1f} | {b * 1e3:.1f} | {100 * (f + b) / total:.0f}% |")


if __name__ == "__main__":
    main()
