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
# # Lesson 6: dropout (§4.2)
#
# **The question.** In training, each hidden unit of fc6 and fc7 is set to zero with
# probability 0.5; at test time the paper uses all of them and "multiplies their outputs by
# 0.5". Today's libraries instead divide by 0.5 while training ("inverted" dropout). Are the two
# the same? The paper says that without dropout the network "exhibits substantial
# overfitting", and that dropout "roughly doubles the number of iterations required to
# converge". How big is each effect on our data?
#
# **질문.** 학습할 때 fc6와 fc7의 각 hidden unit은 0.5의 확률로 0이 됩니다(dropout). 스터디
# 노트의 말로는 "특정 뉴런에 의존하는 현상(co-adaptation) 방지"입니다. 테스트할 때 논문은 모든
# unit을 쓰되 출력에 0.5를 곱하고, 요즘 라이브러리는 대신 학습할 때 0.5로 나눕니다(inverted
# dropout). 두 방법은 같은 것일까요? 논문은 dropout이 없으면 심한 과적합(overfitting)이
# 일어나고, dropout을 쓰면 수렴에 필요한 반복 횟수가 대략 두 배가 된다고 말합니다. 우리
# 데이터에서 각각의 효과가 얼마나 되는지 측정합니다.

# %%
import numpy

import minialex as mx
from minialex.lesson import Lesson, committed, reference_result
from minialex.viz import new_figure, read_history

lesson = Lesson("06_dropout")

# %% [markdown]
# ## 1. The paper's mode and the inverted mode
#
# With keep-mask $m$ (each entry 1 with probability $1 - p$):
#
# | mode | training | test | $E[\text{training}]$ |
# | --- | --- | --- | --- |
# | paper | $x \odot m$ | $(1 - p)\,x$ | $(1 - p)\,x$ |
# | inverted | $x \odot m / (1 - p)$ | $x$ | $x$ |
#
# In both, the test output is the expected training output, so the next layer sees inputs of
# the same size in training and at test; the two modes differ only by the factor $1 - p$, which
# the next layer's weights absorb. Measured with the library's `Dropout`, averaging many
# training forwards (each draws a new mask):

# %%
x = numpy.random.default_rng(0).uniform(0.5, 1.5, (1, 4096)).astype(numpy.float32)
draws = 100 if lesson.quick else 1000
expected_gap = {}
for mode in ("paper", "inverted"):
    layer = mx.Dropout(0.5, mode=mode, seed=0)
    mean = sum(layer.forward(x) for _ in range(draws)) / draws
    layer.eval()
    test = layer.forward(x)
    expected_gap[mode] = float(numpy.abs(mean - test).mean() / numpy.abs(test).mean())
    print(f"{mode}: test output / input = {float((test / x).mean()):.2f}; mean of {draws} "
          f"training outputs differs from the test output by {100 * expected_gap[mode]:.1f}%")
print(f"(a mean of {draws} coin flips is off by about 1/sqrt({draws}) = "
      f"{100 / numpy.sqrt(draws):.1f}% per unit)")

# %% [markdown]
# ## 2. Overfitting, with and without
#
# `alexnet_cifar` with dropout on fc6 and fc7 and without it, one seed each. The gap between
# test error and training error is the overfitting the paper means. (The training error is
# measured during each epoch, with dropout on, on augmented images.)

# %%
epochs = 5
runs, curves = {}, {}
for variant in ("paper", "none"):
    runs[variant] = lesson.train(f"dropout-{variant}", epochs, model="alexnet_cifar",
                                 dropout=variant)
    curves[variant] = read_history(str(lesson.out / f"dropout-{variant}" / "history.csv"))
gap = {v: runs[v].test["top1_error"] - float(curves[v]["train_top1"][-1]) for v in runs}
for v, run in runs.items():
    print(f"dropout {v}: test top-1 {100 * run.test['top1_error']:.1f}%, final training "
          f"error {100 * curves[v]['train_top1'][-1]:.1f}%, gap {100 * gap[v]:+.1f} points")

# %%
figure = new_figure(6.5, 4)
ax = figure.subplots()
for v, h in curves.items():
    label = "with dropout" if v == "paper" else "without dropout"
    line, = ax.plot(h["epoch"], 100 * h["train_top1"], "--", label=f"{label}: training")
    ax.plot(h["epoch"], 100 * h["val_top1"], "-", color=line.get_color(),
            label=f"{label}: validation")
ax.set(xlabel="epoch", ylabel="top-1 error (%)", title="alexnet_cifar with and without dropout")
ax.legend(fontsize=8)
figure.tight_layout()
lesson.figure(figure, "dropout_curves.png")

# %% [markdown]
# ## What we found
#
# **Answer.** The paper's dropout and the inverted one are the same method: in both the test
# output equals the average training output (we measured the difference shrinking like one
# over the square root of the number of masks), and they differ only by a factor of 0.5 that
# the following weights absorb. Whether dropout narrows the gap between test and training
# error here, and what it costs in epochs, is in the table: this short run beside the committed
# three-seed experiment (`minialex experiment dropout`), which reports the train-test gap and
# the epochs to converge of each variant. On a few thousand images and ten epochs, the network
# has little time to overfit, so expect a smaller effect than on ImageNet's 90 epochs.
#
# **답.** 논문의 dropout과 inverted dropout은 같은 방법입니다. 두 경우 모두 테스트 출력은 학습
# 출력의 평균과 같고(mask 수의 제곱근에 반비례해 차이가 줄어드는 것을 측정했습니다), 둘은 다음
# 층의 weight가 흡수하는 0.5배만큼만 다릅니다. dropout이 여기서 test error와 training error의
# 차이(과적합)를 줄이는지, 그리고 epoch으로 어떤 비용을 치르는지는 아래 표에 있습니다. 이번의
# 짧은 실행과, 각 variant의 train-test gap과 수렴까지의 epoch을 보고하는 커밋된 세 seed
# 실험(`minialex experiment dropout`)을 나란히 둡니다. 수천 장의 이미지와 10 epoch에서는 신경망이
# 과적합할 시간이 많지 않으므로, ImageNet의 90 epoch보다 효과가 작을 것으로 예상하고 읽어야
# 합니다.

# %%
for mode in ("paper", "inverted"):
    lesson.check(f"{mode} dropout: the test output is the mean training output",
                 "multiply by 0.5 at test time" if mode == "paper" else "(not in the paper)",
                 f"{100 * expected_gap[mode]:.1f}% apart after {draws} masks",
                 expected_gap[mode], expected_gap[mode] < 3 / numpy.sqrt(draws))
lesson.claim("train-test gap without -> with dropout (this run, one seed)",
             "substantial overfitting without", f"{100 * gap['none']:+.1f} -> "
             f"{100 * gap['paper']:+.1f} points", gap["paper"] - gap["none"])
reference = reference_result("dropout")
if reference:
    v = reference["variants"]
    lesson.claim(f"train-test gap without -> with dropout ({committed(reference)})",
                 "substantial overfitting without",
                 f"{100 * v['none']['measures']['train_test_gap'][0]:+.1f} -> "
                 f"{100 * v['dropout']['measures']['train_test_gap'][0]:+.1f} points",
                 v["dropout"]["measures"]["train_test_gap"][0]
                 - v["none"]["measures"]["train_test_gap"][0],
                 better=[s["train_test_gap"] for s in v["dropout"]["seeds"]],
                 worse=[s["train_test_gap"] for s in v["none"]["seeds"]])
    converge = {k: v[k]["measures"]["epochs_to_converge"][0] for k in ("dropout", "none")}
    lesson.claim(f"epochs to converge, with / without dropout ({committed(reference)})",
                 "roughly 2", f"{converge['dropout']:.1f} / {converge['none']:.1f} = "
                 f"{converge['dropout'] / converge['none']:.2f}",
                 converge["dropout"] / converge["none"])
lesson.finish()
