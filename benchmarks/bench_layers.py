"""Forward + backward time of minialex's layers at AlexNet's shapes, beside PyTorch's.

Run as a script (it is not a test):
    python benchmarks/bench_layers.py [--repeats 7] [--batch 32] [--cifar-batch 128]

AlexNet's layers at ``--batch`` (227x227 inputs), and the 3x3 convolutions of
``alexnet_cifar`` at ``--cifar-batch`` (32x32 inputs: 7x7 maps).

Each case times one forward and one backward in float32. minialex and PyTorch (CPU, when
``torch`` is importable; it is never a dependency of minialex) run interleaved, so both see the
same machine load; the table gives the medians and the median of the per-round ratios, and the
target of issue 12 for each layer. A plain matrix product is timed before and after: if it
moved, the machine was contended and the run should be repeated.

For each convolution a second table says where its time goes: which algorithm ran (direct
im2col or Winograd), the matrix products it made (the same shapes and layouts, timed alone
here), their rate in GFLOP/s beside a large square float32 product measured in the same run
(the machine's practical limit), and the share of the layer's time that is not GEMM (im2col,
col2im, the Winograd transforms, the bias and layout passes); on the CPU only.

``--device cuda:0`` times the same on a GPU (CuPy; PyTorch with TF32 off, as CuPy computes in
full float32); ``--warmup`` untimed rounds (2) come first.
"""

import argparse
import os
import statistics
import time

import numpy

import minialex as mx
from common import force_algorithm, gemm_gflops
from minialex.kernels.geometry import Geometry
from minialex.kernels.winograd import Tiles

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # PyTorch is only a yardstick here
    torch = None


def conv3x3(name, c_in, c_out, groups, side, batch, rng):
    """A case for a stride-1, pad-1 3x3 convolution."""
    layer = mx.Conv2d(c_in, c_out, 3, padding=1, groups=groups, seed=rng)
    return (f"{name} {c_in}->{c_out} 3x3 pad 1" + (f" groups {groups}" if groups > 1 else "")
            + f", {side}x{side}, batch {batch}", layer, (batch, c_in, side, side),
            lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=groups))


# Issue 12's targets, minialex / PyTorch at most (conv1 and LRN: "stay ahead").
TARGETS = {"conv1": 1.0, "conv2": 1.3, "max-pool": 1.3, "LRN": 1.0, "alexnet": 1.0,
           "alexnet_cifar": 1.0}


def target(name):
    return next(value for key, value in TARGETS.items() if name.startswith(key))


def cases(batch, cifar_batch):
    """(name, minialex layer, input shape, PyTorch function of (x, *weights), weights)."""
    rng = numpy.random.default_rng(0)
    conv1 = mx.Conv2d(3, 96, 11, stride=4, seed=rng)
    conv2 = mx.Conv2d(96, 256, 5, padding=2, groups=2, seed=rng)
    pool = mx.MaxPool2d(3, 2)
    lrn = mx.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    return [
        ("conv1 3->96 11x11/4, 227x227", conv1, (batch, 3, 227, 227),
         lambda x, w, b: F.conv2d(x, w, b, stride=4)),
        ("conv2 96->256 5x5 pad 2 groups 2, 27x27", conv2, (batch, 96, 27, 27),
         lambda x, w, b: F.conv2d(x, w, b, padding=2, groups=2)),
        ("max-pool 3/2, 96x55x55", pool, (batch, 96, 55, 55),
         lambda x: F.max_pool2d(x, 3, 2)),
        # PyTorch divides alpha by size: alpha * size gives the paper's layer.
        ("LRN n=5 (paper), 96x55x55", lrn, (batch, 96, 55, 55),
         lambda x: F.local_response_norm(x, 5, alpha=1e-4 * 5, beta=0.75, k=2.0)),
        conv3x3("alexnet conv3", 256, 384, 1, 13, batch, rng),
        conv3x3("alexnet conv4", 384, 384, 2, 13, batch, rng),
        conv3x3("alexnet conv5", 384, 256, 2, 13, batch, rng),
        conv3x3("alexnet_cifar conv3", 192, 384, 1, 7, cifar_batch, rng),
        conv3x3("alexnet_cifar conv4", 384, 256, 2, 7, cifar_batch, rng),
        conv3x3("alexnet_cifar conv5", 256, 256, 2, 7, cifar_batch, rng),
    ]


def gemm_passes(layer, x_shape):
    """The matrix products of one forward + backward of a Conv2d: (count, m, k, n, a_T, b_T),
    ``count`` products of (m x k) @ (k x n), operands transposed as the layer reads them."""
    o, groups = layer.out_channels, layer.groups
    if layer.algorithm_for(x_shape, numpy) == "winograd":
        r = layer.kernel_size[0]
        t = Tiles(x_shape, layer.WINOGRAD_TILE[r], r, layer.padding)
        c, p, count = x_shape[1] // groups, t.count, t.a * t.a * groups
        return [(count, o // groups, c, p, False, False),       # M = U V
                (count, o // groups, p, c, False, True),        # dU = dM V^T
                (count, c, o // groups, p, True, False)]        # dV = U^T dM
    g = Geometry(x_shape, layer.kernel_size, layer.stride, layer.padding)
    k, p = x_shape[1] // groups * g.kh * g.kw, g.n * g.oh * g.wq
    return [(groups, o // groups, k, p, False, False),           # Y = W X
            (groups, o // groups, p, k, False, True),            # dW = dY X^T
            (groups, k, o // groups, p, True, False)]            # dX = W^T dY


def time_gemms(passes, repeats, rng):
    """Median seconds of all the products of ``passes``, and their GFLOP."""
    arrays = []
    for count, m, k, n, a_t, b_t in passes:
        a = rng.standard_normal((count, k, m) if a_t else (count, m, k)).astype(numpy.float32)
        b = rng.standard_normal((count, n, k) if b_t else (count, k, n)).astype(numpy.float32)
        arrays.append((a, b, a_t, b_t, numpy.empty((count, m, n), numpy.float32)))

    def run():
        start = time.perf_counter()
        for a, b, a_t, b_t, out in arrays:
            for i in range(len(a)):
                numpy.matmul(a[i].T if a_t else a[i], b[i].T if b_t else b[i], out=out[i])
        return time.perf_counter() - start

    run()
    seconds = statistics.median(run() for _ in range(repeats))
    return seconds, sum(2 * c * m * k * n for c, m, k, n, _, _ in passes) / 1e9


def sync(device):
    """Wait for the GPU's queued work (a no-op on the CPU), so a timing covers it."""
    if device.startswith("cuda"):
        mx.backend.cupy.cuda.Device(int(device.split(":")[1])).synchronize()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()


def time_minialex(layer, x, dy, device):
    sync(device)
    start = time.perf_counter()
    layer.forward(x)
    layer.backward(dy)
    sync(device)
    return time.perf_counter() - start


def time_torch(fn, x, weights, dy, device):
    for t in [x, *weights]:
        t.grad = None
    sync(device)
    start = time.perf_counter()
    fn(x, *weights).backward(dy)
    sync(device)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--cifar-batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda:N (CuPy; PyTorch in "
                        "strict float32, TF32 off)")
    parser.add_argument("--algorithm", choices=("auto", "direct", "winograd"), default="auto",
                        help="the convolutions' algorithm (winograd where it applies)")
    args = parser.parse_args()
    on_gpu = args.device.startswith("cuda")
    if on_gpu and torch is not None:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False

    print(f"cores: {os.cpu_count()}, numpy {numpy.__version__}, device {args.device}, "
          f"convolutions: {args.algorithm}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else
             ", torch not installed"))
    print(f"plain float32 GEMM before: {gemm_gflops():.0f} GFLOP/s")
    limit = gemm_gflops(n=2048)
    print(f"large square float32 GEMM (2048): {limit:.0f} GFLOP/s, the practical limit")
    rows, gemm_rows = [], []
    for name, layer, shape, torch_fn in cases(args.batch, args.cifar_batch):
        force_algorithm([layer], args.algorithm)
        rng = numpy.random.default_rng(1)
        x_host = rng.standard_normal(shape).astype(numpy.float32)
        dy_host = rng.standard_normal(layer.output_shape(shape)).astype(numpy.float32)
        if torch:
            tx = torch.from_numpy(x_host).to(args.device).requires_grad_()
            tw = [torch.from_numpy(layer.params[k]).to(args.device).requires_grad_()
                  for k in ("weight", "bias") if k in layer.params]
            tdy = torch.from_numpy(dy_host).to(args.device)
        layer.to(args.device)
        x, dy = mx.to_device(x_host, args.device), mx.to_device(dy_host, args.device)
        for _ in range(args.warmup):
            time_minialex(layer, x, dy, args.device)
            if torch:
                time_torch(torch_fn, tx, tw, tdy, args.device)
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(time_minialex(layer, x, dy, args.device))
            if torch:
                theirs.append(time_torch(torch_fn, tx, tw, tdy, args.device))
        ratio = statistics.median(o / t for o, t in zip(ours, theirs)) if torch else None
        rows.append((name, statistics.median(ours) * 1e3,
                     statistics.median(theirs) * 1e3 if torch else None, ratio))
        if isinstance(layer, mx.Conv2d) and not on_gpu:     # the CPU's GEMMs only
            seconds, gflop = time_gemms(gemm_passes(layer, shape), args.repeats, rng)
            nominal = 6 * layer.multiply_adds(shape) / 1e9   # forward + two backward products
            gemm_rows.append((name, layer.algorithm_for(shape, numpy), gflop, seconds * 1e3,
                              statistics.median(ours) * 1e3, nominal))
    print(f"plain float32 GEMM after:  {gemm_gflops():.0f} GFLOP/s")
    print()
    print(f"forward + backward, float32, batch {args.batch} (alexnet_cifar's 3x3 convolutions: "
          f"{args.cifar_batch}), median of {args.repeats}")
    print()
    print("| layer | minialex ms | PyTorch ms | ratio | target | |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, ours, theirs, ratio in rows:
        t = f"{theirs:.1f}" if theirs is not None else "n/a"
        r = f"{ratio:.2f}x" if ratio is not None else "n/a"
        goal = target(name)
        met = "n/a" if ratio is None else ("meets" if ratio <= goal else "misses")
        print(f"| {name} | {ours:.1f} | {t} | {r} | <= {goal}x | {met} |")
    if not gemm_rows:
        return
    print()
    print(f"inside each convolution (forward + backward; its GEMMs timed alone, same shapes; "
          f"limit {limit:.0f} GFLOP/s)")
    print()
    print("| layer | algorithm | GEMM GFLOP | GEMM ms | GEMM GFLOP/s | % of limit | layer ms "
          "| not GEMM | layer GFLOP/s | effective GFLOP/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, algorithm, gflop, gemm_ms, layer_ms, nominal in gemm_rows:
        rate = gflop / gemm_ms * 1e3
        print(f"| {name} | {algorithm} | {gflop:.1f} | {gemm_ms:.1f} | {rate:.0f} | "
              f"{100 * rate / limit:.0f}% | {layer_ms:.1f} | "
              f"{100 * max(0.0, 1 - gemm_ms / layer_ms):.0f}% | {gflop / layer_ms * 1e3:.0f} | "
              f"{nominal / layer_ms * 1e3:.0f} |")
    print()
    print("layer GFLOP/s: the GEMMs' work over the whole layer's time; effective GFLOP/s: the "
          "direct convolution's multiply-adds (x2, x3 passes) over it, which Winograd can "
          "exceed the limit on, doing fewer")


if __name__ == "__main__":
    main()
