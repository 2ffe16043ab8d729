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
# # Lesson 9: the whole network, counted (§3.5, Figure 2)
#
# **The question.** The abstract says the network "has 60 million parameters and 650,000
# neurons". Where are they, layer by layer? How much arithmetic is one image, and how much
# memory does training take at the paper's batch of 128 — enough to explain why the network was
# split over two GPUs with 3 GB each?
#
# **질문.** 초록(abstract)에는 이 신경망이 "6천만 개의 parameter와 65만 개의 뉴런"으로
# 이루어져 있다고 쓰여 있습니다. 그 숫자들은 어느 층(layer)에 얼마씩 있을까요? 이미지 한 장에
# 곱셈-덧셈(multiply-add)이 몇 번 필요하고, 논문의 batch 128로 학습할 때 메모리는 얼마나
# 필요할까요? 그것이 GTX 580(메모리 3GB) 한 장에 모델이 들어가지 않아서 두 GPU로 나누었다는
# 설명과 맞는지, 층마다 직접 세어서 확인합니다.

# %%
import math
import tracemalloc

import numpy

import minialex as mx
from minialex.lesson import Lesson
from minialex.models import alexnet
from minialex.viz import new_figure

lesson = Lesson("09_whole_network")
net = alexnet(seed=0)

# %% [markdown]
# ## 1. Every layer: output shape, parameters, multiply-adds
#
# `summary` walks the layer table with each layer's own `output_shape` and `multiply_adds`.

# %%
parameters, multiply_adds = net.summary((3, 227, 227))

# %% [markdown]
# ## 2. The neurons
#
# Count a "neuron" as one output value of a layer with weights (conv or fully connected),
# the way the paper's Figure 2 caption counts them: "the number of neurons in the network's
# remaining layers is given by 253,440–186,624–64,896–64,896–43,264–4096–4096–1000".

# %%
per_layer, shape = {}, (1, 3, 227, 227)
for name, layer in net.layers():
    shape = layer.output_shape(shape)
    if name.startswith(("conv", "fc")):
        per_layer[name] = math.prod(shape[1:])
neurons = sum(per_layer.values())
caption = [253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000]
for (name, count), paper in zip(per_layer.items(), caption):
    print(f"{name:<6} {count:>9,}   Figure 2's caption: {paper:>9,}"
          + ("" if count == paper else "   <- differs"))
print(f"total  {neurons:>9,}   caption's sum: {sum(caption):,}")

# %% [markdown]
# Only conv1 differs: 55 x 55 x 96 = 290,400 outputs, not 253,440. No square map of 96
# kernels gives 253,440 (it is 96 x 2,640, and 2,640 is not a square); the caption's number
# does not add up, while every other layer's does.

# %% [markdown]
# ## 3. Memory at batch 128
#
# Training keeps every layer's output for the backward pass, and for every weight a gradient
# and a momentum velocity. In float32 (4 bytes), with the paper's batch of 128:

# %%
batch, float_bytes = 128, 4
activations, shape = 0, (batch, 3, 227, 227)
for name, layer in net.layers():
    shape = layer.output_shape(shape)
    activations += math.prod(shape)
activation_bytes = (activations + batch * 3 * 227 * 227) * float_bytes
weight_bytes = 3 * parameters * float_bytes           # weights, gradients, velocities
total = activation_bytes + weight_bytes
gib = 2 ** 30
print(f"activations (every layer's output, and the input): {activation_bytes / gib:.2f} GiB")
print(f"weights + gradients + velocities: {weight_bytes / gib:.2f} GiB")
print(f"together: {total / gib:.2f} GiB; one GTX 580 has 3 GB = {3e9 / gib:.2f} GiB")

# %% [markdown]
# That is the least a framework needs: gradients of the activations, convolution workspaces
# and the data batches come on top, and cuda-convnet kept more. Measure it: the peak memory
# NumPy allocates during one real training step (forward, loss, backward) at two small batch
# sizes, weights included. The difference is what each image costs; what is left (the
# weights and their gradients) does not grow with the batch. Extrapolated to 128, with the
# momentum velocities added:

# %%
def step_peak(batch_size):
    """The peak of what NumPy holds while a fresh AlexNet is built and takes one step."""
    x = numpy.random.default_rng(0).standard_normal((batch_size, 3, 227, 227))
    x, labels = x.astype(numpy.float32), numpy.arange(batch_size) % 1000
    tracemalloc.start()
    model, loss = alexnet(seed=0), mx.SoftmaxCrossEntropy()
    loss.forward(model.forward(x), labels)
    model.backward(loss.backward())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


small, large = (1, 2) if lesson.quick else (4, 16)
peaks = {b: step_peak(b) for b in (small, large)}
per_image = (peaks[large] - peaks[small]) / (large - small)
fixed = peaks[small] - small * per_image
scaled = fixed + batch * per_image + parameters * float_bytes     # + the velocities
print(f"measured peaks: {peaks[small] / gib:.2f} GiB at batch {small}, "
      f"{peaks[large] / gib:.2f} GiB at batch {large}: {per_image / 2 ** 20:.0f} MiB per "
      f"image, {fixed / gib:.2f} GiB that does not grow with the batch")
print(f"extrapolated to batch {batch}, with the velocities: {scaled / gib:.2f} GiB")

# %%
names = list(per_layer)
params = [sum(p.size for p in net[name].params.values()) for name in names]
macs = []
shape = (1, 3, 227, 227)
mac_of = {}
for name, layer in net.layers():
    mac_of[name] = layer.multiply_adds(shape)
    shape = layer.output_shape(shape)
macs = [mac_of[name] for name in names]
figure = new_figure(10, 3.6)
axes = figure.subplots(1, 3)
for ax, values, title in zip(axes, (params, macs, list(per_layer.values())),
                             ("parameters", "multiply-adds per image", "neurons (outputs)")):
    ax.bar(names, values, color="tab:blue", label="minialex's alexnet")
    ax.set(title=title, xlabel="layer", ylabel="count (log scale)", yscale="log")
    ax.tick_params(axis="x", labelsize=7, labelrotation=45)
axes[2].plot(names, caption, "r_", markersize=14, label="Figure 2's caption")
axes[2].legend(fontsize=7)
axes[0].legend(fontsize=7)
axes[1].legend(fontsize=7)
figure.suptitle("Where AlexNet's parameters, arithmetic and neurons are")
figure.tight_layout()
lesson.figure(figure, "counts.png")

# %% [markdown]
# ## What we found
#
# **Answer.** The paper's network has 60,965,224 parameters, of which the three fully
# connected layers hold about 96% (fc6 alone about 62%), while the convolutions do over 90% of
# the arithmetic. It has about 659,000 neurons by the paper's way of counting, close to the
# "650,000" of the abstract, but Figure 2's caption gives conv1 253,440 neurons where 55 x 55 x
# 96 = 290,400: that one number does not add up. The weights alone are small (0.23 GiB), and
# even every layer's output at batch 128 plus the weights, their gradients and velocities
# comes to under 2 GiB; what a real step needs on top (the im2col columns, the gradients of the
# activations) is what pushes training past one 3 GB GTX 580, as the measured and
# extrapolated peak in the table shows. That working memory, not the weights, is why the paper
# split every layer over two GPUs.
#
# **답.** 논문의 신경망은 parameter가 60,965,224개이고, 그중 약 96%가 세 개의 fully
# connected layer에 있습니다(fc6 하나가 약 62%). 반대로 연산량(multiply-add)의 90% 이상은
# 합성곱층이 차지합니다. 뉴런은 논문의 방식으로 세면 약 659,000개로 초록의 "65만 개"와
# 비슷하지만, Figure 2 설명의 conv1 뉴런 수 253,440은 55 × 55 × 96 = 290,400과 맞지 않습니다.
# 이 숫자 하나만 계산이 맞지 않습니다. 가중치(weight) 자체는 0.23 GiB로 작고, batch 128에서
# 모든 층의 출력과 weight, gradient, velocity를 합쳐도 2 GiB가 되지 않습니다. 실제 학습
# step에는 im2col의 열(column) 행렬과 activation의 gradient가 더 필요하고, 측정한 peak를
# batch 128로 외삽하면 GTX 580 한 장의 3GB를 넘습니다(아래 표). 논문이 모든 층을 두 GPU에
# 나눈 이유는 weight가 아니라 이 학습 중의 작업 메모리 때문입니다.

# %%
fc_share = sum(params[5:]) / parameters
conv_mac_share = sum(macs[:5]) / sum(macs)
lesson.check("parameters (§3.5)", "60 million", f"{parameters:,}", parameters,
             round(parameters / 1e6) in (60, 61))
lesson.check("neurons (abstract)", "650,000", f"{neurons:,}", neurons,
             abs(neurons - 650_000) / 650_000 < 0.02)
lesson.check("conv1's neurons (Figure 2's caption)", "253,440", f"{per_layer['conv1']:,}",
             per_layer["conv1"], per_layer["conv1"] == 253_440)
lesson.claim("share of parameters in fc6-fc8", "(most, implied by §6.1's footnote)",
             f"{100 * fc_share:.1f}%", fc_share)
lesson.claim("share of multiply-adds in conv1-conv5", "(not stated)",
             f"{100 * conv_mac_share:.1f}%", conv_mac_share)
lesson.check("a training step at batch 128 needs more than one GTX 580's memory",
             "3 GB per GPU limits the network (§3.2)",
             f"{scaled / gib:.2f} GiB measured and extrapolated ({total / gib:.2f} GiB of "
             "outputs and weights alone)", scaled, scaled > 3e9)
lesson.finish()
