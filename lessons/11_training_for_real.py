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
# # Lesson 11: training for real (§5, §6.1, Figures 3 and 4)
#
# **The question.** Put every piece together: the network, the paper's augmentation, dropout
# and SGD, and train on real images. What do the training curves look like, what do top-1 and
# top-5 mean, how does a run survive being stopped, what have the first-layer kernels learned
# (Figure 3), and does the network's last hidden layer put similar images near each other
# while raw pixels do not (Figure 4)?
#
# **질문.** 지금까지의 조각을 모두 합쳐서 실제 이미지로 학습합니다. 신경망, 논문의 데이터 증강,
# dropout, SGD를 그대로 씁니다. 학습 곡선은 어떤 모양이고, top-1과 top-5 error는 무엇을
# 뜻할까요? 학습이 중간에 멈춰도 checkpoint에서 정확히 이어 갈 수 있을까요? 첫 층의 kernel은
# 무엇을 배웠을까요(Figure 3)? 그리고 마지막 hidden layer(fc7)의 feature 공간에서는 비슷한
# 이미지들이 서로 가까이 있지만 픽셀 공간에서는 그렇지 않다는 Figure 4의 관찰이 우리 모델에서도
# 성립하는지 측정합니다.

# %%
import numpy

from minialex import data, recipe
from minialex.lesson import Lesson
from minialex.viz import (curves_figure, features, filters_figure, nearest_neighbours,
                          neighbours_figure, read_history)

lesson = Lesson("11_training_for_real")

# %% [markdown]
# ## 1. A run
#
# `alexnet_cifar` (AlexNet's eight layers sized for 32x32 images) on the CIFAR-10 subset, with
# the paper's recipe: random crops, reflections and PCA lighting, dropout 0.5 on fc6 and fc7,
# SGD with momentum 0.9 and weight decay 0.0005, the rate divided by 10 when the validation
# error stops improving. It is the same run as `minialex train --dataset cifar10`.

# %%
run = lesson.train("alexnet_cifar", 8)
h = read_history(str(lesson.out / "alexnet_cifar" / "history.csv"))
print(f"test: top-1 error {100 * run.test['top1_error']:.1f}%, top-5 error "
      f"{100 * run.test['top5_error']:.1f}% on {run.test['n']} images")
lesson.figure(curves_figure(h), "curves.png")

# %% [markdown]
# **Top-1 and top-5.** The top-1 error counts the images whose most probable class is wrong;
# the top-5 error those whose true class is not among the five most probable. With 10 classes,
# top-5 is generous; with ImageNet's 1000 it is the paper's headline number.
#
# ## 2. Stopped and resumed, bit for bit
#
# Every epoch ends with an atomically written `checkpoint.npz`: the weights, the momentum
# velocities, the schedule, the history and the run's config. A run of two epochs, and a run
# stopped after one and resumed for the second, end with identical weights (shown on the small
# `figure1_net` and the built-in Shapes, in seconds):

# %%
small = {"dataset": "shapes", "model": "figure1_net", "limit": 100, "batch_size": 32}
straight = recipe.run_training(recipe.complete({**small, "epochs": 2}), str(lesson.out / "two"),
                               overwrite=True, progress=False, log=lambda *_: None)
recipe.run_training(recipe.complete({**small, "epochs": 1}), str(lesson.out / "resumed"),
                    overwrite=True, progress=False, log=lambda *_: None)
resumed = recipe.run_training(None, str(lesson.out / "resumed"), resume=True,
                              given={"epochs": 2}, progress=False, log=lambda *_: None)
a, b = straight.model.state_dict(), resumed.model.state_dict()
resume_difference = max(float(numpy.abs(a[k] - b[k]).max()) for k in a)
print(f"largest weight difference, 2 epochs against 1 + resume + 1: {resume_difference}")

# %% [markdown]
# ## 3. What conv1 learned (Figure 3)
#
# conv1's kernels before and after training (one block per tower, as in Figure 3). The title
# says how far training moved them from their random start.

# %%
state = run.model.state_dict()
start = recipe.build_model(run.config, run.config["num_classes"]).state_dict()
lesson.figure(filters_figure(state["conv1.weight"], towers=2,
                             initial=start["conv1.weight"]), "filters.png")

# %% [markdown]
# ## 4. Neighbours by fc7 and by pixels (Figure 4)
#
# Figure 4: images whose last hidden layer (fc7, 4096 values) is close in Euclidean distance
# show the same kind of object, even when their pixels are far apart. Measure it: for test
# images, find the 5 nearest training images by fc7 activations and by raw pixels, and count
# how many share the test image's class.

# %%
model = run.model
model.eval()
train_images, train_labels, classes = recipe.load_split(run.config, "train")
test_images, test_labels, _ = recipe.load_split(run.config, "test")
bank = data.stratified_subset(train_labels, min(2000, len(train_labels)), seed=0)
queries = data.stratified_subset(test_labels, min(200, len(test_labels)), seed=0)
pre = run.preprocess.test


def fc7(images):
    return numpy.concatenate([features(model, pre(images[i:i + 256]), "relu7")
                              for i in range(0, len(images), 256)])


by = {"fc7": (fc7(test_images[queries]), fc7(train_images[bank])),
      "pixels": (pre(test_images[queries]).reshape(len(queries), -1),
                 pre(train_images[bank]).reshape(len(bank), -1))}
same_class = {}
for space, (q, b) in by.items():
    nearest = nearest_neighbours(q, b, k=5)
    same_class[space] = float((train_labels[bank][nearest] ==
                               test_labels[queries][:, None]).mean())
    print(f"by {space}: {100 * same_class[space]:.1f}% of the 5 nearest neighbours share the "
          f"query's class (chance: about {100 / len(classes):.0f}%)")

# %%
_, crop = recipe.image_sizes(run.config)
shown = queries[:: max(1, len(queries) // 6)][:6]
nearest = nearest_neighbours(fc7(test_images[shown]), by["fc7"][1], k=6)
lesson.figure(neighbours_figure(data.center_crop(test_images[shown], crop),
                                data.center_crop(train_images[bank], crop), nearest,
                                test_labels[shown], train_labels[bank], classes),
              "neighbours_fc7.png")

# %% [markdown]
# ## What we found
#
# **Answer.** The run's curves show the training and validation error falling together, with
# the validation error flattening first; its top-1 and top-5 errors on the held-out test
# images are in the table. A stopped run resumes from its checkpoint to the very same weights
# as one never stopped. conv1's kernels move away from their random start (how far is in the
# filters' title), and after a short run on small images they are still partly noise, far from
# the clean edge and colour-blob detectors of Figure 3. And the fc7 space does what Figure 4
# says: nearest neighbours by fc7 share the query's class far more often than nearest
# neighbours by pixels (the table gives both shares).
#
# **답.** 학습 곡선에서 training error와 validation error가 함께 내려가다가 validation error가
# 먼저 평평해집니다. 테스트 이미지에 대한 top-1과 top-5 error는 아래 표에 있습니다. 중간에
# 멈춘 학습은 checkpoint에서 이어 가면 멈추지 않은 학습과 완전히 같은 weight에 도달합니다.
# conv1의 kernel은 무작위 초기값에서 멀어지지만(얼마나 멀어졌는지는 그림의 제목에 있습니다),
# 작은 이미지로 짧게 학습한 뒤에는 아직 잡음이 섞여 있어서 Figure 3의 깨끗한 edge와 색 detector와는
# 거리가 있습니다. 그리고 fc7 공간은 Figure 4가 말하는 대로 동작합니다. fc7 기준의 최근접 이웃은
# 픽셀 기준의 최근접 이웃보다 훨씬 자주 query와 같은 class입니다(두 비율은 표에 있습니다).

# %%
lesson.claim("test top-1 / top-5 error (this run)", "37.5% / 17.0% (ILSVRC-2010, 1000 classes)",
             f"{100 * run.test['top1_error']:.1f}% / {100 * run.test['top5_error']:.1f}% "
             f"({len(classes)} classes)", run.test["top1_error"])
lesson.check("a resumed run ends with the same weights", "(not in the paper)",
             f"largest difference {resume_difference}", resume_difference,
             resume_difference == 0.0)
lesson.check("5 nearest neighbours of the same class, fc7 against pixels",
             "fc7 neighbours are semantically similar, pixel neighbours not (Figure 4)",
             f"{100 * same_class['fc7']:.1f}% against {100 * same_class['pixels']:.1f}%",
             same_class["fc7"] - same_class["pixels"],
             same_class["fc7"] > same_class["pixels"])
lesson.finish()
