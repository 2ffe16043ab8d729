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
# # Lesson 5: local response normalisation (§3.3)
#
# **The question.** The paper normalises each ReLU output by the activity of its neighbouring
# kernel maps, "a form of lateral inhibition inspired by the type found in real neurons", and
# reports that it lowers the top-1 error by 1.4% on ImageNet and, on CIFAR-10, a four-layer
# net's test error from 13% to 11%. What does the formula do, why do Caffe and PyTorch write
# its α differently, and does LRN still matter next to batch normalisation?
#
# **질문.** 논문(§3.3)은 ReLU 출력을 이웃한 kernel map들의 활동으로 나누어 정규화합니다. 실제
# 뉴런에서 볼 수 있는 측억제(lateral inhibition)에서 영감을 받은 지역응답 정규화(LRN)이고, ImageNet에서
# top-1 error를 1.4% 낮추며 CIFAR-10의 4층 신경망에서는 test error를 13%에서 11%로 낮춘다고
# 보고합니다. 스터디 노트에는 "LRN이 BatchNorm 시대에도 유효?", "왜 요즘은 LRN을 안 쓰나요?"라는
# 질문이 있습니다. 이 공식은 무엇을 하는지, Caffe와 PyTorch는 왜 α를 다르게 쓰는지, 그리고
# Batch Normalization과 비교했을 때 LRN이 아직도 의미가 있는지 직접 실험해 봅니다.

# %%

import numpy

from minialex import naive
from minialex.lesson import Lesson, committed, reference_result, step_seconds
from minialex.models import figure1_net
from minialex.viz import new_figure, read_history

lesson = Lesson("05_local_response_norm")

# %% [markdown]
# ## 1. The formula
#
# $$b^i_{x,y} = a^i_{x,y} \Big/ \Big(k + \alpha \sum_{j=\max(0,\,i-n/2)}^{\min(N-1,\,i+n/2)} (a^j_{x,y})^2\Big)^{\beta}$$
#
# with $k = 2$, $n = 5$, $\alpha = 10^{-4}$, $\beta = 0.75$: each map $i$ at each position is
# divided by a power of the summed squares of the 5 maps around it (itself included).
#
# **Lateral inhibition.** One strong map among weak neighbours: the strong one is barely
# changed relative to the others, while its neighbours are pushed down by its activity. Here
# channel 4 of 9 fires at 100, the others at 10:

# %%
a = numpy.full((1, 9, 1, 1), 10.0)
a[0, 4] = 100.0
b = naive.local_response_norm(a)
for i in range(9):
    print(f"map {i}: a = {a[0, i, 0, 0]:6.1f}  ->  b = {b[0, i, 0, 0]:7.3f}  "
          f"(divided by {a[0, i, 0, 0] / b[0, i, 0, 0]:.3f})")

# %% [markdown]
# The five maps whose window holds the strong one (2 to 6, itself included) are divided by
# more than the four outside it (0, 1, 7, 8), which are divided by little more than
# $2^{0.75} \approx 1.68$. Which points at something easy to miss: with $k = 2$,
# LRN divides **every** activation by at least $2^{0.75}$, so part of its effect is simply a
# rescaling of the layer's output.
#
# ## 2. α, or α/n?
#
# Caffe and PyTorch divide α by the window size $n$ inside the sum; the paper does not. So the
# paper's LRN is PyTorch's with `alpha=5e-4` (that is, $\alpha \cdot n$). `minialex` keeps the
# paper's convention and offers the other as `alpha_over_n=True`:

# %%
x = numpy.random.default_rng(0).standard_normal((2, 8, 3, 3)) * 30
paper = naive.local_response_norm(x, alpha=1e-4)
pytorch_style = naive.local_response_norm(x, alpha=5e-4, alpha_over_n=True)
same_alpha = naive.local_response_norm(x, alpha=1e-4, alpha_over_n=True)
print("paper's alpha against alpha/n with alpha = 5e-4:", numpy.abs(paper - pytorch_style).max())
print("paper's alpha against alpha/n with the same 1e-4:", numpy.abs(paper - same_alpha).max())

# %% [markdown]
# ## 3. LRN, none, or BatchNorm2d, on the same net and data
#
# `figure1_net`, the four-layer CIFAR-10 net, three ways: no normalisation, LRN after conv1
# and conv2 (as §3.3 places it), and BatchNorm2d after every conv (not in the paper; the
# normalisation that replaced LRN). One seed each here; `minialex experiment lrn` ran three.

# %%
epochs = 8
runs, curves = {}, {}
for norm in ("none", "lrn", "batchnorm"):
    runs[norm] = lesson.train(norm, epochs, model="figure1_net", norm=norm)
    curves[norm] = read_history(str(lesson.out / norm / "history.csv"))
    print(f"{norm}: test top-1 error {100 * runs[norm].test['top1_error']:.1f}%")


batch = 32 if lesson.quick else 128


step = {norm: step_seconds(figure1_net(norm=norm, seed=0), batch) for norm in runs}
print(f"time per training step at batch {batch}:",
      {norm: f"{1e3 * s:.0f} ms" for norm, s in step.items()})

# %%
reference = reference_result("lrn")
# The committed experiment asks the same question of the eight-layer alexnet_cifar too (its
# variants are named "alexnet_cifar-none" ...): a third panel once those runs are committed.
deep = [f"alexnet_cifar-{n}" for n in runs]
has_deep = bool(reference) and all(name in reference["variants"] for name in deep)
figure = new_figure(15 if has_deep else 10, 4)
left, right, *rest = figure.subplots(1, 3 if has_deep else 2)
for norm, h in curves.items():
    left.plot(h["epoch"], 100 * h["val_top1"], "o-", label=norm)
left.set(xlabel="epoch", ylabel="validation top-1 error (%)",
         title="figure1_net, this run (one seed)")
left.legend(title="normalisation")
names = list(runs)
mine = [100 * runs[n].test["top1_error"] for n in names]
positions = numpy.arange(len(names))
right.bar(positions - 0.2, mine, width=0.4, label="this run")
if reference:
    means = [100 * reference["variants"][n]["mean"] for n in names]
    spread = [100 * reference["variants"][n]["std"] for n in names]
    right.bar(positions + 0.2, means, width=0.4, yerr=spread, capsize=4,
              label=f"{committed(reference)}: mean ± std")
right.set_xticks(positions, names)
right.set(xlabel="normalisation", ylabel="test top-1 error (%)", title="figure1_net, test error")
right.legend(fontsize=8)
if has_deep:
    v = reference["variants"]
    rest[0].bar(positions, [100 * v[n]["mean"] for n in deep], width=0.5,
                yerr=[100 * v[n]["std"] for n in deep], capsize=4, color="tab:orange",
                label=f"{committed(reference)}: mean ± std")
    rest[0].set_xticks(positions, names)
    rest[0].set(xlabel="normalisation", ylabel="test top-1 error (%)",
                title="alexnet_cifar (eight layers), committed")
    rest[0].legend(fontsize=8)
figure.tight_layout()
lesson.figure(figure, "lrn_none_batchnorm.png")

# %% [markdown]
# ## What we found
#
# **Answer.** LRN divides each activation by a power of its neighbours' summed squares, so a
# map that fires strongly damps the maps beside it: lateral inhibition. PyTorch's and Caffe's
# α is the paper's divided by n, so the paper's layer is theirs with α = 5·10⁻⁴. On our
# CIFAR-10 subset, the committed experiment did not confirm the paper's 13% → 11% in a way
# the spread allows us to call (its verdict is in the table): without normalisation the
# four-layer net varied widely between seeds, and BatchNorm2d did at least as well as LRN.
# On the eight-layer `alexnet_cifar` (the experiment's second half, 10 epochs) LRN made no
# difference beyond the spread between seeds, while BatchNorm2d was clearly ahead of both
# (the third panel and the table).
# Because k = 2 also divides every activation by about 1.7, part of what LRN does here may be
# a rescaling rather than normalisation. LRN faded for these reasons: BatchNorm matches or
# beats it, and it costs time per step (the table).
#
# **답.** LRN은 각 activation을 이웃 map들의 제곱합의 거듭제곱으로 나눕니다. 그래서 강하게
# 반응한 map이 옆의 map들을 억누르는데, 이것이 측억제(lateral inhibition)입니다. PyTorch와
# Caffe의 α는 논문의 α를 n으로 나눈 값이므로, 논문의 LRN은 그들의 α = 5·10⁻⁴와 같습니다.
# CIFAR-10 subset에서 커밋된 실험은 논문의 13% → 11%를 seed 간 편차를 넘어서 확인하지 못했습니다
# (판정은 아래 표). 정규화가 없는 4층 신경망은 seed마다 결과가 크게 달랐고, BatchNorm2d는 LRN과
# 같거나 더 좋았습니다. 8층 `alexnet_cifar`(실험의 후반부, 10 epoch)에서는 LRN이 seed 간 편차를
# 넘는 차이를 만들지 못했고, BatchNorm2d는 둘 다보다 분명히 좋았습니다(세 번째 그래프와 표).
# 또 k = 2 때문에 LRN은 모든 activation을 약 1.7로 나누므로, 여기서 LRN의
# 효과 중 일부는 정규화가 아니라 단순한 크기 조정일 수 있습니다. LRN이 사라진 이유도 여기에
# 있습니다. BatchNorm이 같거나 더 좋고, LRN은 step마다 시간이 듭니다(표).

# %%
lesson.check("the paper's alpha equals PyTorch's alpha / n with alpha = 5e-4",
             "alpha = 1e-4, not divided by n", f"largest difference "
             f"{numpy.abs(paper - pytorch_style).max():.1e}",
             float(numpy.abs(paper - pytorch_style).max()),
             numpy.allclose(paper, pytorch_style, rtol=1e-12, atol=0))
lesson.claim("figure1_net test top-1 error, none -> LRN (this run, one seed)", "13% -> 11%",
             f"{100 * runs['none'].test['top1_error']:.1f}% -> "
             f"{100 * runs['lrn'].test['top1_error']:.1f}% (BatchNorm2d "
             f"{100 * runs['batchnorm'].test['top1_error']:.1f}%)",
             runs["lrn"].test["top1_error"] - runs["none"].test["top1_error"])
if reference:
    v = reference["variants"]
    lesson.claim(f"figure1_net test top-1 error, none -> LRN ({committed(reference)})",
                 "13% -> 11%", f"{100 * v['none']['mean']:.1f}% ± {100 * v['none']['std']:.1f}"
                 f" -> {100 * v['lrn']['mean']:.1f}% ± {100 * v['lrn']['std']:.1f} (BatchNorm2d "
                 f"{100 * v['batchnorm']['mean']:.1f}% ± {100 * v['batchnorm']['std']:.1f})",
                 v["lrn"]["mean"] - v["none"]["mean"],
                 better=[s["top1_error"] for s in v["lrn"]["seeds"]],
                 worse=[s["top1_error"] for s in v["none"]["seeds"]])
if has_deep:
    v = reference["variants"]
    none, lrn, bn = (v[n] for n in deep)
    lesson.claim(f"alexnet_cifar test top-1 error, none -> LRN ({committed(reference)})",
                 "-1.4% top-1 (ImageNet)", f"{100 * none['mean']:.1f}% ± "
                 f"{100 * none['std']:.1f} -> {100 * lrn['mean']:.1f}% ± {100 * lrn['std']:.1f}"
                 f" (BatchNorm2d {100 * bn['mean']:.1f}% ± {100 * bn['std']:.1f})",
                 lrn["mean"] - none["mean"],
                 better=[s["top1_error"] for s in lrn["seeds"]],
                 worse=[s["top1_error"] for s in none["seeds"]])
    lesson.claim(f"alexnet_cifar test top-1 error, LRN -> BatchNorm2d ({committed(reference)})",
                 "(not in the paper; expected: BatchNorm2d lower)",
                 f"{100 * lrn['mean']:.1f}% ± {100 * lrn['std']:.1f} -> "
                 f"{100 * bn['mean']:.1f}% ± {100 * bn['std']:.1f}",
                 bn["mean"] - lrn["mean"], better=[s["top1_error"] for s in bn["seeds"]],
                 worse=[s["top1_error"] for s in lrn["seeds"]])
lesson.claim(f"time per training step, LRN / none (batch {batch})", "(not stated)",
             f"{step['lrn'] / step['none']:.2f} (BatchNorm2d / none "
             f"{step['batchnorm'] / step['none']:.2f})", step["lrn"] / step["none"])
lesson.finish()
