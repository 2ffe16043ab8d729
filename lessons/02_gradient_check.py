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
# # Lesson 2: checking a gradient
#
# **The question.** Every backward pass in this project is written by hand. How do we know
# one is right? By comparing it with finite differences: nudge an input up and down and watch
# the output. Why must the check run in float64, what goes wrong at the kinks of ReLU and
# max-pooling, and does the check really catch a wrong backward?
#
# **질문.** 이 프로젝트의 backward는 모두 손으로 쓴 것입니다. 그것이 맞는지 어떻게 알 수
# 있을까요? 입력을 아주 조금 올리고 내려서 출력이 얼마나 변하는지 보는 유한 차분(finite
# difference)과 비교하면 됩니다. 그런데 왜 이 검사는 float64로 해야 할까요? ReLU와 max-pooling처럼
# 꺾이는 점(kink)이 있는 함수에서는 무엇이 잘못될 수 있을까요? 그리고 일부러 틀리게 만든
# backward를 이 검사가 정말 잡아내는지 직접 확인합니다.

# %%
import numpy

import minialex as mx
from minialex.gradcheck import GradcheckError, gradcheck
from minialex.lesson import Lesson
from minialex.viz import new_figure

lesson = Lesson("02_gradient_check")
rng = numpy.random.default_rng(0)

# %% [markdown]
# ## 1. Central differences
#
# For a loss $L(x) = \langle g, f(x) \rangle$ with a fixed random upstream gradient $g$,
#
# $$\frac{\partial L}{\partial x_i} \approx \frac{L(x + \epsilon e_i) - L(x - \epsilon e_i)}{2\epsilon},$$
#
# whose error shrinks as $\epsilon^2$ (the central difference cancels the first-order term).
# The analytic gradient is what `backward(g)` returns. We compare them by the relative error
# $|a - n| / \max(|a|, |n|)$.
#
# ## 2. Why float64
#
# Smaller $\epsilon$ means less truncation error but more rounding error: $L(x \pm \epsilon)$
# are two nearly equal numbers, and their difference keeps only the digits the format has.
# float32 has about 7 significant digits, float64 about 16. The error of the numeric
# derivative of tanh, for a range of $\epsilon$, in both:

# %%
point = 0.7
exact = 1 - numpy.tanh(point) ** 2
steps = numpy.logspace(-10, -1, 19)
errors = {}
for dtype in (numpy.float32, numpy.float64):
    x = dtype(point)
    errors[dtype.__name__] = [
        abs((numpy.tanh(x + dtype(eps)) - numpy.tanh(x - dtype(eps))) / (2 * dtype(eps)) - exact)
        / exact for eps in steps]
best = {name: (min(e), steps[int(numpy.argmin(e))]) for name, e in errors.items()}
at_check_step = {name: e[int(numpy.argmin(abs(steps - 1e-5)))] for name, e in errors.items()}
for name, (error, eps) in best.items():
    print(f"{name}: smallest relative error {error:.1e}, at eps = {eps:.0e}; at eps = 1e-5 "
          f"(gradcheck's default): {at_check_step[name]:.1e}")

# %%
figure = new_figure(6, 4)
ax = figure.subplots()
for name, e in errors.items():
    ax.loglog(steps, numpy.maximum(e, 1e-17), "o-", label=name)
ax.set(xlabel="step ε", ylabel="relative error of the numeric derivative",
       title="d tanh(x)/dx at x = 0.7 by central differences")
ax.legend(title="arithmetic")
figure.tight_layout()
lesson.figure(figure, "float32_vs_float64.png")

# %% [markdown]
# float32's best needs a large step, where the $\epsilon^2$ term is already big, and even
# then keeps only a few digits; at the small steps a sharp check needs, its rounding error
# swamps everything (the numbers above). float64 has about nine more digits to spend. That is
# why `minialex.gradcheck` copies the layer's parameters and the input to float64 for the
# check, whatever the layer's own dtype.
#
# ## 3. A whole layer, checked
#
# `gradcheck(layer, x)` runs the layer forward, calls `backward` with a random upstream
# gradient, then checks the input gradient and every parameter's gradient element by
# element (or along a few random directions for big tensors).

# %%
conv = mx.Conv2d(3, 4, 3, padding=1, groups=1, seed=0)
worst = gradcheck(conv, rng.standard_normal((2, 3, 6, 6)))
print({name: f"{error:.1e}" for name, error in worst.items()})

# %% [markdown]
# ## 4. Kinks
#
# ReLU has no derivative at 0, max-pooling none where two values in a window tie. A finite
# difference that straddles a kink averages the two sides, and disagrees with either. Put an
# input within $\epsilon$ of 0 and the check fails, for a correct layer:

# %%
relu = mx.ReLU()
safe = rng.uniform(0.1, 1.0, (2, 5)) * rng.choice([-1, 1], (2, 5))
near_kink = safe.copy()
near_kink[0, 0] = 1e-7                        # within eps = 1e-5 of the kink
kink_error = gradcheck(relu, near_kink, raise_on_failure=False)["input"]
safe_error = gradcheck(relu, safe, raise_on_failure=False)["input"]
print(f"ReLU away from 0: worst error {safe_error:.1e}; one input at 1e-7: {kink_error:.2f}")

pool = mx.MaxPool2d(2, 2)
tied = numpy.ones((1, 1, 2, 2))              # four equal values: a tie everywhere
tie_error = gradcheck(pool, tied, raise_on_failure=False)["input"]
print(f"max-pool on a tied window: worst error {tie_error:.2f}")

# %% [markdown]
# So the tests check layers on inputs kept away from kinks (values at least a few $\epsilon$
# from 0, distinct values in every pooling window); the kink itself is a convention, and the
# plain tier documents which side it takes.
#
# ## 5. A broken backward, caught
#
# A fully connected layer whose backward forgets to transpose the weights is a classic
# mistake. With a square weight matrix the shapes still fit, so nothing crashes:

# %%
class ForgotTheTranspose(mx.Linear):
    """dx = dy W instead of dy W: wrong, and with a square W, silently so."""

    def backward(self, dy):
        super().backward(dy)                      # the weight and bias gradients stay right
        return dy @ self.params["weight"].T


broken = ForgotTheTranspose(4, 4, seed=0)
try:
    gradcheck(broken, rng.standard_normal((3, 4)))
    caught = False
except GradcheckError as error:
    caught = True
    print(error)

# %% [markdown]
# ## What we found
#
# **Answer.** A central difference gives every gradient to about $\epsilon^2$, but only in
# float64: in float32 the two nearly equal outputs lose most of their digits, and at the step
# a sharp check needs the error was far too large to tell right from wrong, while float64 got
# the derivative of tanh to about $10^{-12}$ and a whole convolution to better than $10^{-7}$
# (the table). At the kinks of ReLU and max-pooling the numeric derivative averages
# two sides and a correct layer "fails", so checks keep inputs away from kinks. And the check
# does catch a real mistake: a backward that forgot a transpose, which runs without any error,
# is reported with the tensor, the worst element and both values.
#
# **답.** 중앙 차분(central difference)은 gradient를 약 ε² 정도의 오차로 계산해 주지만, 그것은
# float64에서만 그렇습니다. float32에서는 거의 같은 두 출력을 빼는 순간 유효숫자가 대부분
# 사라져서, 정밀한 검사에 필요한 작은 ε에서는 맞는 gradient와 틀린 gradient를 구별할 수 없을
# 만큼 오차가 컸습니다. float64에서는 tanh의 미분이 약 10^-12까지, 합성곱층 전체도 10^-7보다
# 작은 오차로 맞았습니다(아래 표). ReLU와 max-pooling의 꺾이는 점에서는
# 수치 미분이 양쪽 기울기의 평균이 되어 올바른 층도 "실패"하므로, 검사는 입력을 꺾이는 점에서
# 떨어뜨려 둡니다. 그리고 이 검사는 실제 실수를 잡아냅니다. transpose를 빠뜨려서 에러 없이 실행되는
# backward도 어느 tensor의 어느 원소가 얼마나 틀렸는지와 함께 보고됩니다.

# %%
for name in ("float32", "float64"):
    lesson.claim(f"{name} central difference of tanh', relative error at eps 1e-5",
                 "(not in the paper)", f"{at_check_step[name]:.1e} (best {best[name][0]:.1e} "
                 f"at eps {best[name][1]:.0e})", at_check_step[name])
lesson.check("a correct Conv2d passes the float64 check", "(the library's promise)",
             f"worst {max(worst.values()):.1e}", max(worst.values()),
             max(worst.values()) < 1e-7)
lesson.check("a correct ReLU fails within eps of its kink", "(the library's promise)",
             f"{kink_error:.2f} against {safe_error:.1e} away from it", kink_error,
             kink_error > 1e-3 > safe_error)
lesson.check("a backward that forgot a transpose is caught", "(the library's promise)",
             "GradcheckError" if caught else "not caught", caught, caught)
lesson.finish()
