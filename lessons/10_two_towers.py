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
# # Lesson 10: two towers, two GPUs (§3.2, Figure 2, Figure 3)
#
# **The question.** The network did not fit on one 3 GB GPU, so the paper put half of the
# kernels of every layer on each of two GPUs, which "communicate only in certain layers": the
# kernels of conv3 and of the fully connected layers read both halves, the others only their
# own. Where exactly do the towers talk, and how much do they send? Is the split network the
# same function as one network with grouped convolutions? And Figure 3: "the kernels on GPU 1
# are largely color-agnostic, while the kernels on GPU 2 are largely color-specific". Does that
# happen when we train it?
#
# **질문.** 이 신경망은 3GB GPU 한 장에 들어가지 않아서, 논문은 모든 층의 kernel을 반씩 나누어
# 두 GPU에 두었습니다. 스터디 노트의 말로는 "두 갈래로 나뉜 구조(Two GPUs)", "특정 layer에서만
# 통신함"입니다. conv3와 fully connected layer는 양쪽 절반을 모두 읽고, 나머지 층은 자기 GPU의
# 것만 읽습니다. 두 tower는 정확히 어디서 통신하고, 얼마나 많은 값을 주고받을까요? 나누어진
# 신경망은 grouped convolution을 쓴 하나의 신경망과 같은 함수일까요? 그리고 Figure 3은 GPU 1의
# kernel은 대체로 색에 무관하고 GPU 2의 kernel은 색에 특화된다고 말합니다. 직접 학습하면
# 정말 그렇게 될까요?

# %%
import numpy

from minialex import backend
from minialex.lesson import Lesson, committed, reference_result
from minialex.models import CROSSINGS, alexnet_cifar
from minialex.viz import new_figure

lesson = Lesson("10_two_towers")
rng = numpy.random.default_rng(0)

# %% [markdown]
# ## 1. Where the towers talk
#
# One table says which layers read both towers: `minialex.models.CROSSINGS`. Every other layer
# stays in its tower. The summary of a two-tower network prints each crossing and how many
# values per image it moves:

# %%
print("CROSSINGS =", CROSSINGS)
# Two GPUs where there are two; the same code on two virtual CPU devices otherwise.
devices = ("cuda:0", "cuda:1") if backend.cuda_device_count() >= 2 else ("cpu:0", "cpu:1")
two = alexnet_cifar(towers=2, devices=devices, seed=0, dtype="float64")
two.summary((3, 32, 32))

# %% [markdown]
# ## 2. Two towers are one grouped network
#
# The one-tower `alexnet_cifar` has `groups=2` in conv2, conv4 and conv5 and in LRN: that *is*
# the split, written as one layer. Load the same weights into both and compare, in float64:

# %%
one = alexnet_cifar(seed=0, dtype="float64").eval()
two.load_state_dict(one.state_dict())
two.eval()
x = rng.standard_normal((4, 3, 32, 32))
difference = float(numpy.abs(backend.asnumpy(two.forward(x)) - one.forward(x)).max())
print(f"largest difference between the logits: {difference:.1e}")
dy = rng.standard_normal((4, 10))
two.backward(dy)
moved = two.transfer_bytes
for name, sent in moved.items():
    print(f"{name}: {sent['forward'] / 4:,.0f} bytes per image forward, "
          f"{sent['backward'] / 4:,.0f} backward (float64 values: half that in float32)")

# %% [markdown]
# ## 3. Figure 3, measured
#
# Train a two-tower `alexnet_cifar` (its conv1 kernels are 5x5, 32 per tower), then measure how
# coloured each kernel is. Split a kernel $w$ (3 x 5 x 5) into its grey part, the mean of
# the three colour channels at each pixel, and the rest; its **chroma** is
# $\lVert w - \mathrm{grey}(w) \rVert / \lVert w \rVert$: 0 for a kernel that treats red,
# green and blue alike, larger for a colour-specific one. The paper's claim is that one
# tower's kernels have low chroma and the other's high.

# %%
run = lesson.train("two-towers", 8, model="alexnet_cifar", towers=2)
trained = backend.asnumpy(run.model.state_dict()["conv1.weight"]).astype(numpy.float64)
initial = alexnet_cifar(seed=run.config["seed"]).state_dict()["conv1.weight"]


def chroma(kernels):
    grey = kernels.mean(axis=1, keepdims=True)
    return (numpy.linalg.norm((kernels - grey).reshape(len(kernels), -1), axis=1)
            / numpy.linalg.norm(kernels.reshape(len(kernels), -1), axis=1))


half = len(trained) // 2
per_tower = {"tower 1": chroma(trained[:half]), "tower 2": chroma(trained[half:])}
at_start = {"tower 1": chroma(initial[:half]), "tower 2": chroma(initial[half:])}
for tower in per_tower:
    print(f"{tower}: mean chroma {per_tower[tower].mean():.3f} (at the start "
          f"{at_start[tower].mean():.3f})")
print(f"test top-1 error of this run: {100 * run.test['top1_error']:.1f}%")

# %%
figure = new_figure(10, 4.2)
hist, filters = figure.subplots(1, 2)
bins = numpy.linspace(0, 1.2, 25)
for tower, values in per_tower.items():
    hist.hist(values, bins=bins, alpha=0.6, label=f"{tower}, trained")
hist.axvline(numpy.mean(list(at_start.values())), color="grey", linestyle=":",
             label="mean at the start")
hist.set(xlabel="chroma of a conv1 kernel", ylabel="kernels",
         title="how coloured each tower's conv1 kernels are")
hist.legend(fontsize=8)
shown = numpy.concatenate([trained[:8], trained[half:half + 8]])
tiles = []
for kernel in shown:
    k = kernel.transpose(1, 2, 0)
    tiles.append((k - k.min()) / (k.max() - k.min() + 1e-12))
rows = [numpy.concatenate([numpy.pad(t, ((1, 1), (1, 1), (0, 0)), constant_values=1)
                           for t in tiles[r * 8:(r + 1) * 8]], axis=1) for r in range(2)]
filters.imshow(numpy.concatenate(rows, axis=0), interpolation="nearest")
filters.set(title="first 8 conv1 kernels of tower 1 (top) and tower 2 (bottom)")
filters.axis("off")
figure.tight_layout()
lesson.figure(figure, "towers_chroma.png")

# %% [markdown]
# ## What we found
#
# **Answer.** The towers talk in exactly four places, conv3, fc6, fc7 and fc8 (one table,
# `CROSSINGS`), and the summary and the measured bytes show how much each sends; every other
# layer stays on its device. The two-tower network is the same function as the one-tower
# network with grouped layers, to rounding in float64, so everything the paper did with two
# GPUs can be done with groups on one device. Figure 3's observation, that one tower's conv1
# kernels become colour-agnostic and the other's colour-specific, is measured in the table as
# each tower's mean chroma after a short run on small images; we report it as it came out,
# whether or not the towers specialised here (the paper trained for 90 epochs on ImageNet).
#
# **답.** 두 tower는 conv3, fc6, fc7, fc8의 네 곳에서만 통신하고(표 하나, `CROSSINGS`), summary와
# 측정한 byte 수가 각 통신에서 얼마나 보내는지 보여 줍니다. 나머지 층은 자기 device에만
# 머뭅니다. 두 tower로 나눈 신경망은 grouped layer를 쓴 하나의 신경망과 float64의 반올림 오차
# 안에서 같은 함수이므로, 논문이 두 GPU로 한 일은 한 device에서 groups로도 할 수 있습니다.
# 한 tower의 conv1 kernel은 색에 무관해지고 다른 tower의 kernel은 색에 특화된다는 Figure 3의
# 관찰은, 작은 이미지로 짧게 학습한 뒤 각 tower의 평균 chroma로 아래 표에 측정했습니다. tower가
# 여기서 특화되었든 아니든 나온 그대로 보고합니다(논문은 ImageNet에서 90 epoch을 학습했습니다).

# %%
lesson.check("two towers equal one grouped network (float64)", "(Figure 2's design)",
             f"largest difference {difference:.1e}", difference, difference < 1e-10)
lesson.check("layers that read both towers", "conv3, fc6, fc7, fc8 (§3.2)",
             ", ".join(moved), len(moved), list(moved) == list(CROSSINGS))
means = {tower: float(values.mean()) for tower, values in per_tower.items()}
spreads = {tower: float(values.std(ddof=1)) for tower, values in per_tower.items()}
lesson.claim("conv1 chroma, tower 1 against tower 2 (this run)",
             "one tower colour-agnostic, the other colour-specific (Figure 3)",
             f"{means['tower 1']:.3f} ± {spreads['tower 1']:.3f} against "
             f"{means['tower 2']:.3f} ± {spreads['tower 2']:.3f}",
             abs(means["tower 1"] - means["tower 2"]))
reference = reference_result("towers")
if reference:
    v = reference["variants"]
    lesson.claim(f"test top-1 error, one tower of half the kernels -> two towers "
                 f"({committed(reference)})", "-1.7% top-1",
                 f"{100 * v['one-half']['mean']:.1f}% ± "
                 f"{100 * v['one-half']['std']:.1f} -> {100 * v['two-towers']['mean']:.1f}% "
                 f"± {100 * v['two-towers']['std']:.1f}",
                 v["two-towers"]["mean"] - v["one-half"]["mean"],
                 better=[s["top1_error"] for s in v["two-towers"]["seeds"]],
                 worse=[s["top1_error"] for s in v["one-half"]["seeds"]])
lesson.finish()
