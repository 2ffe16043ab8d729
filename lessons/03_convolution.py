# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 3: convolution, from loops to one matrix product (§3.5)
#
# **The question.** How does a convolutional layer really compute its output, forward and
# backward; why is it written as one big matrix product; what do stride, padding and groups
# (the paper's two GPUs) change; and why do implementations feed AlexNet 227x227 images when
# the paper says 224x224?
#
# **질문.** 합성곱층(convolutional layer)은 forward와 backward에서 실제로 무엇을 계산하나요?
# 왜 구현체들은 합성곱을 하나의 큰 행렬곱(GEMM)으로 바꿔서 계산할까요? stride, padding, 그리고
# 두 GPU로 나눈 구조를 만드는 groups는 각각 무엇을 바꾸나요? 그리고 스터디 노트의 질문처럼,
# 왜 논문에는 입력이 224×224라고 적혀 있는데 코드 구현체들은 227×227을 쓰나요? 이 레슨에서는
# 세 질문 모두 직접 계산해서 답합니다.

# %%
import time

import numpy

import minialex as mx
from minialex import naive
from minialex.naive.winograd import transform_matrices
from minialex.lesson import Lesson
from minialex.models import alexnet
from minialex.windows import output_size
from minialex.viz import new_figure

lesson = Lesson("03_convolution")
rng = numpy.random.default_rng(0)

# %% [markdown]
# ## 1. The loops
#
# One output value is one window of the input times one kernel, plus a bias:
#
# $$y_{n,o,i,j} = b_o + \sum_{c,u,v} W_{o,c,u,v}\; x_{n,c,\,s i + u,\, s j + v}$$
#
# `minialex.naive.conv2d` is exactly this, four loops over (image, output map, row, column).
# It is slow on purpose: you can check every line by hand.

# %%
x = rng.standard_normal((2, 3, 9, 9))
w = rng.standard_normal((4, 3, 3, 3))
b = rng.standard_normal(4)
y = naive.conv2d(x, w, b, stride=2, padding=1)
by_hand = b[1] + numpy.sum(w[1] * numpy.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))[0, :, 2:5, 4:7])
print("output shape", y.shape, "| y[0, 1, 1, 2] =", y[0, 1, 1, 2], "| by hand:", by_hand)

# %% [markdown]
# ## 2. im2col: every window becomes a column
#
# Copy each window into a column of a matrix (`im2col`); then every output is a dot product
# of a kernel row with a window column, and the whole layer is **one** matrix product
# $Y = W X_{cols}$: (O, C·k·k) times (C·k·k, N·OH·OW). The copying costs memory, but the
# matrix product runs at the speed of the BLAS library, which the loops never reach.

# %%
cols = naive.im2col(x, 3, stride=2, padding=1)           # (C, kh, kw, N, OH, OW)
c, kh, kw, n, oh, ow = cols.shape
gemm = w.reshape(4, -1) @ cols.reshape(c * kh * kw, n * oh * ow)
y_gemm = gemm.reshape(4, n, oh, ow).transpose(1, 0, 2, 3) + b[None, :, None, None]
print("im2col matrix", (c * kh * kw, n * oh * ow), "| largest difference from the loops:",
      numpy.abs(y_gemm - y).max())

# %% [markdown]
# How much faster? The same conv1-like layer (11x11 kernels, stride 4) three ways: the loops,
# the textbook im2col followed by one product, and minialex's `Conv2d` (the same idea, with
# the copies arranged for speed; see `minialex/kernels/`).

# %%
size, maps = (35, 8) if lesson.quick else (115, 48)      # 35 -> 7x7 outputs, 115 -> 27x27
xs = rng.standard_normal((1, 3, size, size)).astype(numpy.float32)
ws = (0.01 * rng.standard_normal((maps, 3, 11, 11))).astype(numpy.float32)
bs = numpy.zeros(maps, numpy.float32)


def seconds(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def textbook(x):
    cols = naive.im2col(x, 11, stride=4)
    rows = ws.reshape(maps, -1) @ cols.reshape(-1, cols.shape[3] * cols.shape[4] * cols.shape[5])
    return rows.reshape(maps, 1, cols.shape[4], cols.shape[5]).transpose(1, 0, 2, 3)


layer = mx.Conv2d(3, maps, 11, stride=4, seed=0)
layer.params["weight"], layer.params["bias"] = ws, bs
t_loops = seconds(lambda: naive.conv2d(xs, ws, bs, stride=4), repeats=1)
t_textbook = seconds(lambda: textbook(xs))
t_layer = seconds(lambda: layer.forward(xs))
assert numpy.allclose(textbook(xs), naive.conv2d(xs, ws, bs, stride=4), atol=1e-4)
print(f"{maps} maps of 11x11 on {size}x{size}: loops {1e3 * t_loops:.1f} ms, im2col + GEMM "
      f"{1e3 * t_textbook:.2f} ms, Conv2d {1e3 * t_layer:.2f} ms "
      f"(im2col is {t_loops / t_textbook:.0f}x faster than the loops)")

# %% [markdown]
# ## 3. The backward pass, by hand
#
# Each output $y_{n,o,i,j}$ touched one window, so its gradient $g$ flows back three ways:
# $g$ into the bias, $g \times$ window into the kernel, $g \times$ kernel into the window's
# pixels. In matrix form: $dW = dY\,X_{cols}^\top$, $db = \sum dY$, and
# $dx = \mathrm{col2im}(W^\top dY)$, where col2im adds every column back onto the pixels it
# was copied from (the adjoint of im2col). Both forms agree:

# %%
dy = rng.standard_normal(y.shape)
dx, dw, db = naive.conv2d_backward(x, w, dy, stride=2, padding=1)
dy_rows = dy.transpose(1, 0, 2, 3).reshape(4, -1)
dw_gemm = (dy_rows @ cols.reshape(c * kh * kw, -1).T).reshape(w.shape)
dx_gemm = naive.col2im((w.reshape(4, -1).T @ dy_rows).reshape(cols.shape), x.shape, 3,
                       stride=2, padding=1)
print("dW: loops vs GEMM", numpy.abs(dw - dw_gemm).max(), "| dx: loops vs col2im",
      numpy.abs(dx - dx_gemm).max(), "| db", numpy.abs(db - dy.sum(axis=(0, 2, 3))).max())

# %% [markdown]
# ## 4. Stride, padding and groups (the two GPUs)
#
# The output side is $\lfloor (H + 2p - k) / s \rfloor + 1$. **Groups** split the input maps
# and the kernels into independent halves: with `groups=2` the first half of the kernels reads
# only the first half of the input maps. That is exactly Figure 2's conv2, conv4 and conv5,
# where each GPU's kernels see only the maps on the same GPU. One grouped layer equals two
# separate convolutions:

# %%
xg = rng.standard_normal((1, 4, 7, 7))
wg = rng.standard_normal((6, 2, 3, 3))            # 6 kernels, each reading 4 / 2 = 2 maps
bg = numpy.zeros(6)
grouped = naive.conv2d(xg, wg, bg, padding=1, groups=2)
halves = numpy.concatenate([naive.conv2d(xg[:, :2], wg[:3], bg[:3], padding=1),
                            naive.conv2d(xg[:, 2:], wg[3:], bg[3:], padding=1)], axis=1)
print("groups=2 against two half convolutions:", numpy.abs(grouped - halves).max())
print("parameters with groups=2:", wg.size, "| with groups=1 it would be", 6 * 4 * 3 * 3)

# %% [markdown]
# ## 5. Weight sharing
#
# conv1 applies the same 96 kernels at every one of its 55x55 positions. A fully connected
# layer producing the same 55x55x96 outputs from a 224x224x3 image would need a weight for
# every (input, output) pair.

# %%
net = alexnet(seed=0)
conv1_params = net["conv1"].params["weight"].size + net["conv1"].params["bias"].size
fc_equivalent = 224 * 224 * 3 * 55 * 55 * 96 + 55 * 55 * 96
print(f"conv1: {conv1_params:,} parameters; a fully connected layer with the same outputs: "
      f"{fc_equivalent:,} ({fc_equivalent / conv1_params:,.0f} times more)")

# %% [markdown]
# ## 6. Why 224 or 227?
#
# The paper (§3.5) says conv1 filters "the 224x224x3 input image with 96 kernels of size
# 11x11x3 with a stride of 4 pixels", and its Figure 2 shows 55x55 maps after conv1. Without
# padding, 224 gives $(224 - 11)/4 + 1 = 54.25$: the windows do not tile the image, and 55 is
# not what comes out. What implementations do:
#
# * **Caffe** (its reference AlexNet) crops 227x227: $(227 - 11)/4 + 1 = 55$ exactly.
# * **torchvision** keeps 224 and pads conv1 by 2: $\lfloor(224 + 4 - 11)/4\rfloor + 1 = 55$
#   (its AlexNet also differs elsewhere: 64 conv1 kernels, from a later paper).
# * **minialex**: 227 by default; `alexnet(input_size=224)` pads conv1 by 2, so every layer
#   after conv1 is the same.
#
# The output sizes through the whole net, computed from the layers themselves:

# %%
exact = (224 - 11) / 4 + 1
shapes = {}
for side in (227, 224):
    model = net if side == 227 else alexnet(input_size=side, seed=0)
    shape, shapes[side] = (1, 3, side, side), []
    for name, layer in model.layers():
        shape = layer.output_shape(shape)
        if name.startswith(("conv", "pool", "fc")):
            shapes[side].append((name, tuple(shape[1:])))
for (name, s227), (_, s224) in zip(shapes[227], shapes[224]):
    print(f"{name:<6} 227 input: {str(s227):<16} 224 input (conv1 padded by 2): {s224}")

# %%
figure = new_figure(9, 3.6)
axes = figure.subplots(1, 2)
timings = {"loops": t_loops, "im2col + GEMM": t_textbook, "Conv2d": t_layer}
bars = axes[0].bar(list(timings), [1e3 * t for t in timings.values()], color="tab:blue",
                   label="best of the runs")
axes[0].bar_label(bars, fmt="%.2f ms", fontsize=8)
axes[0].legend(fontsize=7)
axes[0].set(yscale="log", ylabel="milliseconds (log scale)",
            title=f"{maps} 11x11 kernels, stride 4, on {size}x{size}")
sides = numpy.arange(215, 232)
axes[1].plot(sides, (sides - 11) / 4 + 1, "o-", label="(side - 11) / 4 + 1, no padding")
axes[1].plot(sides, [output_size(s, 11, 4, 2) for s in sides], "s--",
             label="with padding 2 (whole windows)")
axes[1].axvline(224, color="grey", linestyle=":", label="224 (the paper's text)")
axes[1].axvline(227, color="tab:green", linestyle=":", label="227 (Caffe, minialex)")
axes[1].set(xlabel="input side (pixels)", ylabel="conv1 output side",
            title="conv1's output side for each input side")
axes[1].legend(fontsize=7)
figure.tight_layout()
lesson.figure(figure, "convolution.png")

# %% [markdown]
# ## 7. Fewer multiplies: Winograd
#
# conv3 to conv5 are 3x3 convolutions at stride 1, and there the loops above do more
# multiplies than they need. Lavin & Gray ("Fast Algorithms for Convolutional Neural
# Networks", 2016) compute a 2x2 block of outputs from the 4x4 input tile under it with 16
# multiplies instead of 2·2·3·3 = 36: transform the tile ($B^\top d B$) and the kernel
# ($G g G^\top$), multiply them element by element, and transform back:
# $Y = A^\top [(G g G^\top) \odot (B^\top d B)] A$. The matrices are small and mostly
# $\pm 1$. `naive.winograd_conv2d` does it one tile at a time; minialex's `Conv2d` does the same
# for the whole batch (F(4x4, 3x3) for 3x3 layers, F(3x3, 5x5) for conv2), with one GEMM per
# element of the tile, where it measured faster (`algorithm="auto"`).

# %%
AT, G, BT = transform_matrices(2, 3)
print("B^T =", BT.tolist(), "\nG =", G.tolist(), "\nA^T =", AT.tolist())
x3 = rng.standard_normal((2, 4, 6, 6))
w3 = rng.standard_normal((5, 4, 3, 3))
b3 = rng.standard_normal(5)
wino = naive.winograd_conv2d(x3, w3, b3, padding=1, m=2)
wino_error = numpy.abs(wino - naive.conv2d(x3, w3, b3, padding=1)).max()
print("F(2x2, 3x3) tile by tile against the loops:", wino_error)
for m, r in ((2, 3), (4, 3), (3, 5)):
    a = m + r - 1
    print(f"F({m}x{m}, {r}x{r}): {a * a} multiplies per {m}x{m} block instead of "
          f"{m * m * r * r} ({m * m * r * r / (a * a):.2f}x fewer)")

# %% [markdown]
# ## What we found
#
# **Answer.** A convolution is a sum over windows; copying every window into a column turns
# the whole layer into one matrix product, which here ran many times faster than the loops
# (the table gives the measured factor), and its backward pass is two more products and a
# col2im. Groups split a layer into independent halves, which is how the paper put one half of
# conv2, conv4 and conv5 on each GPU. And 224 does not work for an 11x11 stride-4 conv1
# without padding, since (224 − 11)/4 + 1 = 54.25: Caffe uses 227 crops, torchvision pads by
# 2, and both give the 55x55 maps of Figure 2; from there on every size is the same. For
# stride-1 layers, Winograd's algorithm gives the same numbers with fewer multiplies (16
# instead of 36 per 2x2 block of a 3x3 convolution).
#
# **답.** 합성곱은 window마다의 곱의 합이고, 모든 window를 열(column)로 복사하면(im2col)
# 층 전체가 하나의 행렬곱이 됩니다. 이 레슨에서 측정한 것처럼 loop보다 훨씬 빠르며(배수는 아래
# 표에 있습니다), backward도 행렬곱 두 번과 col2im(복사의 역, 더해서 되돌리기)으로 끝납니다.
# groups는 층을 서로 독립인 두 부분으로 나누는데, 논문은 이것으로 conv2, conv4, conv5의 절반을
# 각 GPU에 두었습니다. 그리고 224×224 입력에 11×11, stride 4의 conv1을 padding 없이 쓰면
# (224 − 11)/4 + 1 = 54.25로 나누어떨어지지 않습니다. 그래서 Caffe는 227×227로 자르고,
# torchvision은 padding 2를 주어 둘 다 Figure 2의 55×55를 얻습니다. 그 뒤의 크기는 모두
# 같습니다. stride 1인 층에서는 Winograd 알고리즘이 같은 값을 더 적은 곱셈으로 계산합니다
# (3×3 합성곱의 2×2 출력 블록마다 36번 대신 16번).

# %%
conv1_227 = dict(shapes[227])["conv1"]
conv1_224 = dict(shapes[224])["conv1"]
lesson.check("a 224x224 input, unpadded, gives 55x55 after conv1", "224x224 in, 55x55 out",
             f"(224 - 11) / 4 + 1 = {exact}", exact, exact == 55)
lesson.check("227 input gives 55x55 after conv1", "55x55 (Figure 2)",
             f"{conv1_227[1]}x{conv1_227[2]}", conv1_227[1], conv1_227[1:] == (55, 55))
lesson.check("224 input with conv1 padded by 2 gives 55x55", "55x55 (Figure 2)",
             f"{conv1_224[1]}x{conv1_224[2]}", conv1_224[1], conv1_224[1:] == (55, 55))
lesson.check("weight sharing: conv1's parameters", "96 kernels of 11x11x3",
             f"{conv1_params:,}", conv1_params, conv1_params == 96 * 11 * 11 * 3 + 96)
lesson.check("Winograd F(2x2, 3x3): multiplies per 2x2 block of outputs",
             "16 instead of 36 (Lavin & Gray)",
             "16 instead of 36, same outputs to %.0e" % wino_error, wino_error,
             wino_error < 1e-12)
lesson.claim("im2col + one GEMM against the loops", "(GPU kernels; no CPU figure)",
             f"{t_loops / t_textbook:.0f}x faster", t_loops / t_textbook)
lesson.finish()
