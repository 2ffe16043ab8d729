"""Fused CUDA kernels: the GPU bodies of a few kernels, one launch each (CuPy only).

Why (measured on an H200, see the README's GPU table): written as whole-array ``xp``
operations, a max-pool or an LRN is a dozen launches and an im2col one launch per kernel
offset, each too small to fill the GPU, so the step waited on launches, not on memory. Each
function here computes what its namesake in :mod:`minialex.kernels` computes, in one
``cupy.ElementwiseKernel`` (two for LRN's backward), with the same signature;
:mod:`minialex.kernels.dispatch` sends CuPy arrays here, and
``tests/kernels/test_cuda.py`` checks every one against its ``xp`` reference on a GPU.

Each thread computes one output number, so nothing is added by two threads at once: the
adjoints (col2im, the max-pool's backward) *gather* what reaches their pixel instead of
scattering into it, and need no atomic adds. That also makes them deterministic.

Index arithmetic is in ``long long`` wherever a product grows with the batch, so that arrays
of over 2**31 numbers index right (AlexNet's conv1 columns hold 145M numbers at batch 128, so
2**31 at batch 1900).

A case a fused body does not cover, it hands back to the reference by returning
``NotImplemented`` (:mod:`minialex.kernels.dispatch`) before doing any work.
"""

import functools

from .. import backend
from .geometry import Geometry


@functools.lru_cache(maxsize=None)
def _kernel(name):
    """The ElementwiseKernel ``name`` of ``_SOURCES``, built once (compiled on first use)."""
    in_params, out_params, body = _SOURCES[name]
    return backend.cupy.ElementwiseKernel(in_params, out_params, body, f"minialex_{name}")


# -- im2col and col2im (kernels.im2col): the wide columns, (C, kh, kw, N, OH, Wq) -----------------
_GEOMETRY = ("int32 C, int32 H, int32 W, int32 N, int32 KH, int32 KW, int32 SH, int32 SW, "
             "int32 PH, int32 PW, int32 OH, int32 WQ")

_IM2COL = (
    "raw T x, " + _GEOMETRY + ", T pad_value", "T col", r"""
    // col[c, ki, kj, n, oh, q]: the (oh*WQ + q)-th number of the run of offset (ki, kj) in
    // the phase plane (ki % SH, kj % SW), as kernels.im2col lays them out.
    long long t = i;
    int q = t % WQ; t /= WQ;
    int oh = t % OH; t /= OH;
    int n = t % N; t /= N;
    int kj = t % KW; t /= KW;
    int ki = t % KH;
    int c = t / KH;
    int at = (ki / SH) * WQ + kj / SW + oh * WQ + q;     // place in the flattened phase plane
    int y = SH * (at / WQ) + ki % SH - PH;
    int z = SW * (at % WQ) + kj % SW - PW;
    col = (y >= 0 && y < H && z >= 0 && z < W)
        ? x[((long long)n * C + c) * H * W + (long long)y * W + z] : pad_value;
    """)

_COL2IM = (
    "raw T cols, " + _GEOMETRY, "T dx", r"""
    // dx[n, c, y, z]: the sum of every column number that im2col copied from this pixel.
    long long t = i;
    int z = t % W; t /= W;
    int y = t % H; t /= H;
    int c = t % C;
    int n = t / C;
    int a = (y + PH) % SH, b = (z + PW) % SW;
    int at = ((y + PH) / SH) * WQ + (z + PW) / SW;       // the pixel's place in its phase plane
    long long run = (long long)OH * WQ;
    T sum = 0;
    for (int ki = a; ki < KH; ki += SH) {
        for (int kj = b; kj < KW; kj += SW) {
            int k = at - ((ki / SH) * WQ + kj / SW);      // its place in offset (ki, kj)'s run
            if (k >= 0 && k < run)
                sum += cols[(((long long)(c * KH + ki) * KW + kj) * N + n) * run + k];
        }
    }
    dx = sum;
    """)


def im2col_wide(x, kernel_size, stride=1, padding=0, pad_value=0.0, out=None):
    cupy = backend.cupy
    g = Geometry(x.shape, kernel_size, stride, padding)
    # A strided ``out`` is fine: the kernel writes each number through its strides.
    if (not isinstance(out, cupy.ndarray) or out.shape != g.wide_shape
            or out.dtype != x.dtype):
        out = cupy.empty(g.wide_shape, dtype=x.dtype)
    _kernel("im2col")(cupy.ascontiguousarray(x), *_sizes(g), x.dtype.type(pad_value), out)
    return out, g


def col2im_wide(cols, g):
    cupy = backend.cupy
    dx = cupy.empty((g.n, g.c, g.h, g.w), dtype=cols.dtype)
    _kernel("col2im")(cupy.ascontiguousarray(cols), *_sizes(g), dx)
    return dx


def _sizes(g):
    return g.c, g.h, g.w, g.n, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.wq


# -- max pooling (kernels.pool): the winner's offset in its window, int8 ----------------------
_WINDOW = ("int32 H, int32 W, int32 OH, int32 OW, int32 KH, int32 KW, int32 SH, int32 SW, "
           "int32 PH, int32 PW")

_MAX_POOL = (
    "raw T x, " + _WINDOW + ", T padding_value", "T y, int8 winner", r"""
    // The first maximum in raster order, padding (-inf) included, as the plain tier's rule;
    // a NaN wins, and stays, as NaN does in the reference's maxima (a diverging net shows).
    int ow = i % OW;
    long long t = i / OW;
    int oh = t % OH;
    long long plane = (t / OH) * H * W;
    T best = padding_value;
    int best_at = 0;
    for (int ki = 0; ki < KH; ++ki) {
        int row = oh * SH - PH + ki;
        for (int kj = 0; kj < KW; ++kj) {
            int col = ow * SW - PW + kj;
            T v = (row >= 0 && row < H && col >= 0 && col < W)
                ? x[plane + (long long)row * W + col] : padding_value;
            if ((ki == 0 && kj == 0) || v > best || (v != v && best == best)) {
                best = v;
                best_at = ki * KW + kj;
            }
        }
    }
    y = best;
    winner = best_at;
    """)

_MAX_POOL_BACKWARD = (
    "raw T dy, raw int8 winner, " + _WINDOW, "T dx", r"""
    // dx[pixel]: the dy of every window whose winner is this pixel.
    int z = i % W;
    long long t = i / W;
    int y = t % H;
    long long plane = (t / H) * OH * OW;
    int top = y + PH - KH + 1, left = z + PW - KW + 1;
    int oh_first = top <= 0 ? 0 : (top + SH - 1) / SH;
    int ow_first = left <= 0 ? 0 : (left + SW - 1) / SW;
    int oh_last = min((y + PH) / SH, OH - 1), ow_last = min((z + PW) / SW, OW - 1);
    T sum = 0;
    for (int oh = oh_first; oh <= oh_last; ++oh) {
        for (int ow = ow_first; ow <= ow_last; ++ow) {
            long long k = plane + (long long)oh * OW + ow;
            if (winner[k] == (y + PH - oh * SH) * KW + (z + PW - ow * SW)) sum += dy[k];
        }
    }
    dx = sum;
    """)


class WindowWinners:
    """Where each window's maximum was, for the fused max-pool: one int8 per output, its
    offset ``ki * kw + kj`` in the window (the xp reference's :class:`~minialex.kernels.pool.
    Winners` keep one per 1-D pass). It lives here, not beside ``Winners``, because
    :mod:`minialex.kernels.pool` must not import this module (it is loaded on first use)."""

    def __init__(self, offsets, x_shape, kernel_size, stride, padding):
        self.offsets, self.x_shape = offsets, x_shape
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding


def max_pool(x, kernel_size, stride, padding, workspace):
    cupy = backend.cupy
    g = Geometry(x.shape, kernel_size, stride, padding)
    if g.kh * g.kw > 127:                 # the offset would not fit its int8
        return NotImplemented
    y = cupy.empty((g.n, g.c, g.oh, g.ow), dtype=x.dtype)
    offsets = cupy.empty(y.shape, dtype=cupy.int8)
    _kernel("max_pool")(cupy.ascontiguousarray(x), *_window(g), x.dtype.type(-float("inf")),
                        y, offsets)
    return y, WindowWinners(offsets, x.shape, kernel_size, stride, padding)


def max_pool_backward(dy, winners, workspace):
    if not isinstance(winners, WindowWinners):      # the forward pass ran the reference
        return NotImplemented
    cupy = backend.cupy
    g = Geometry(winners.x_shape, winners.kernel_size, winners.stride, winners.padding)
    dx = cupy.empty(winners.x_shape, dtype=dy.dtype)
    _kernel("max_pool_backward")(cupy.ascontiguousarray(dy), winners.offsets, *_window(g), dx)
    return dx


def _window(g):
    return g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw


# -- local response normalisation (kernels.lrn): a (N, G, C/G, H, W) ----------------------------
# The xp reference keeps S and S**-beta from forward to backward: two more arrays the size of
# the activations (about 0.5 GB for AlexNet at batch 128). Here backward recomputes them from ``a``
# instead (a window of 5 squares per number): on a GPU arithmetic is cheap and memory is not.
# So ``normalise`` returns (y, None, None) and ``normalise_backward`` ignores its S arguments.
_CHANNELS = "int32 CG, int32 HW, int32 BEFORE, int32 AFTER, T alpha, T k, T beta"


def _scale_at(channel, name):
    """C code: ``name`` = S at channel ``channel`` of this pixel's group, from raw ``a``."""
    return f"""
    T {name};
    {{
        int lo = max(0, {channel} - BEFORE), hi = min(CG - 1, {channel} + AFTER);
        T sum = 0;
        for (int d = lo; d <= hi; ++d) {{ T v = a[first + (long long)d * HW]; sum += v * v; }}
        {name} = k + alpha * sum;
    }}"""


# s ** -beta, the paper's 0.75 by two square roots as the xp reference computes it
_POWER = "(beta == (T)0.75 ? (T)1 / (sqrt({s}) * sqrt(sqrt({s}))) : pow({s}, -beta))"

_LRN = (
    "raw T a, " + _CHANNELS, "T y", r"""
    int c = (i / HW) % CG;
    long long first = i - (long long)c * HW;             // channel 0 of this pixel's group
    """ + _scale_at("c", "s") + """
    y = a[i] * """ + _POWER.format(s="s") + ";")

_LRN_RATIO = (
    "raw T a, T dy, T y, " + _CHANNELS, "T ratio", r"""
    int c = (i / HW) % CG;
    long long first = i - (long long)c * HW;
    """ + _scale_at("c", "s") + """
    ratio = dy * y / s;
    """)

_LRN_BACKWARD = (
    "raw T ratio, raw T a, T dy, " + _CHANNELS + ", T coefficient", "T dx", r"""
    // Channel j is read by the windows of j - AFTER .. j + BEFORE (the reaches swapped).
    int c = (i / HW) % CG;
    long long first = i - (long long)c * HW;
    int reader_lo = max(0, c - AFTER), reader_hi = min(CG - 1, c + BEFORE);
    T ratios = 0;
    for (int d = reader_lo; d <= reader_hi; ++d) ratios += ratio[first + (long long)d * HW];
    """ + _scale_at("c", "s") + """
    dx = dy * """ + _POWER.format(s="s") + """ + coefficient * a[i] * ratios;
    """)


def normalise(a, before, after, alpha, k, beta, workspace):
    cupy = backend.cupy
    a = cupy.ascontiguousarray(a)
    y = cupy.empty(a.shape, dtype=a.dtype)
    _kernel("lrn")(a, *_channels(a, before, after, alpha, k, beta), y)
    return y, None, None


def normalise_backward(dy, a, y, scale, scale_pow, before, after, alpha, k, beta):
    cupy = backend.cupy
    a = cupy.ascontiguousarray(a)
    channels = _channels(a, before, after, alpha, k, beta)
    ratio = _kernel("lrn_ratio")(a, dy, y, *channels)                # dy * y / S, contiguous
    dx = cupy.empty(a.shape, dtype=dy.dtype)
    _kernel("lrn_backward")(ratio, a, dy, *channels, dy.dtype.type(-2.0 * alpha * beta), dx)
    return dx


def _channels(a, before, after, alpha, k, beta):
    n, groups, cg, h, w = a.shape
    t = a.dtype.type
    return cg, h * w, before, after, t(alpha), t(k), t(beta)


# -- SGD (kernels.sgd): w and v updated in place, one launch per parameter -------------------
_PAPER_UPDATE = (
    "T grad, T lr, T momentum, T weight_decay", "T w, T v", r"""
    T step = (w * weight_decay + grad) * lr;     // lr * (grad + weight_decay * w)
    v = v * momentum - step;
    w = w + v;
    """)

_PYTORCH_UPDATE = (
    "T grad, T lr, T momentum, T weight_decay", "T w, T v", r"""
    v = v * momentum + grad + w * weight_decay;  // v = momentum*v + grad + weight_decay*w
    w = w - v * lr;
    """)


def paper_update(w, v, grad, lr, momentum, weight_decay):
    t = w.dtype.type
    _kernel("paper_update")(grad, t(lr), t(momentum), t(weight_decay), w, v)


def pytorch_update(w, v, grad, lr, momentum, weight_decay):
    t = w.dtype.type
    _kernel("pytorch_update")(grad, t(lr), t(momentum), t(weight_decay), w, v)


_SOURCES = {"im2col": _IM2COL, "col2im": _COL2IM, "max_pool": _MAX_POOL,
            "max_pool_backward": _MAX_POOL_BACKWARD, "lrn": _LRN, "lrn_ratio": _LRN_RATIO,
            "lrn_backward": _LRN_BACKWARD, "paper_update": _PAPER_UPDATE,
            "pytorch_update": _PYTORCH_UPDATE}
