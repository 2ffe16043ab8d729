"""The paper's SGD (§5) and learning-rate schedules.

§5: "We trained our models using stochastic gradient descent with a batch size of 128
examples, momentum of 0.9, and weight decay of 0.0005. [...] The update rule for weight w was

    v_{i+1} := 0.9 * v_i - 0.0005 * eps * w_i - eps * <dL/dw | w_i>_{D_i}
    w_{i+1} := w_i + v_{i+1}"

Note where the learning rate eps sits: *inside* the velocity. PyTorch's SGD keeps
``v = m * v + (g + wd * w)`` and steps ``w -= lr * v``, so the rate multiplies the whole
history. The two agree while eps is constant; when eps is divided by 10 (as §5 does three
times), the paper's velocity still carries steps taken at the old rate, PyTorch's does not.

What that does, measured (``alexnet_cifar`` on the CIFAR-10 subset, batch 128, rate cut from
0.01 to 0.001 after epoch 25; the README has the run): the momentum built up at the old rate
keeps moving the weights for a few dozen updates while the gradient steps that would pull them
back are ten times smaller, so the training loss *rises* right after the cut. Over the first ten
updates it averaged 1.75, against 1.25 with no cut and 1.17 with the velocity divided by 10 as
well (PyTorch's form), all three on the same batches and dropout masks; by the end of that
epoch it was falling again. We keep the paper's rule, as §5 states it.
"""

import numpy

from .backend import asnumpy, device_of, get_array_module, to_device
from .kernels import sgd as kernels
from .validate import choice

FORMS = {"paper": kernels.paper_update, "pytorch": kernels.pytorch_update}


class SGD:
    """``SGD(model, lr=0.01, momentum=0.9, weight_decay=5e-4, form="paper")``: §5's update rule.

    ``step()`` applies one update to every parameter from the gradients of the last
    ``model.backward``, in place (parameters and velocities keep their arrays); the velocities
    start at zero. ``form`` chooses where the learning rate sits:

    * ``"paper"`` (§5): ``v = momentum*v - weight_decay*lr*w - lr*grad``, ``w = w + v``;
    * ``"pytorch"`` (``torch.optim.SGD``): ``v = momentum*v + grad + weight_decay*w``,
      ``w = w - lr*v``.

    They take the same steps while ``lr`` is constant and differ after it changes (the module
    docstring says how). Buffers (BatchNorm's running statistics) are not parameters and are
    never touched. ``state_dict()`` holds the velocities keyed like the model's state dict, so
    a checkpoint resumes exactly, on either tower layout.
    """

    def __init__(self, model, lr=0.01, momentum=0.9, weight_decay=5e-4, form="paper"):
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if not value >= 0:
                raise ValueError(f"SGD: {name} must be >= 0, got {value!r}")
        self.model, self.lr = model, float(lr)
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.form = choice(form, "form", "SGD", FORMS)
        self.velocity = {}      # (key, piece index) -> array beside the parameter

    def _pieces(self):
        for key, pieces in self.model.parameter_slots().items():
            for index, (layer, name) in enumerate(pieces):
                yield key, index, layer, name

    def step(self):
        for key, index, layer, name in self._pieces():
            w, grad = layer.params[name], layer.grads.get(name)
            if grad is None:
                raise RuntimeError(f"SGD: no gradient for {key}: call model.backward first")
            with device_of(w):      # the velocity and the update's temporaries beside w
                v = self.velocity.get((key, index))
                if v is None:
                    v = self.velocity[(key, index)] = get_array_module(w).zeros_like(w)
                FORMS[self.form](w, v, grad, w.dtype.type(self.lr),
                                 w.dtype.type(self.momentum), w.dtype.type(self.weight_decay))

    def state_dict(self):
        """``{"lr": ..., "momentum": ..., "weight_decay": ..., "form": ...,
        "velocity.<key>": array}``."""
        state = {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
                 "form": self.form}
        for key, pieces in self.model.parameter_slots().items():
            parts = [self.velocity.get((key, i)) for i in range(len(pieces))]
            if all(p is not None for p in parts):
                state[f"velocity.{key}"] = numpy.concatenate([asnumpy(p) for p in parts])
        return state

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` saved (velocities split over the towers)."""
        self.lr = float(state["lr"])
        self.momentum, self.weight_decay = float(state["momentum"]), float(state["weight_decay"])
        self.form = choice(state.get("form", "paper"), "form", "SGD.load_state_dict", FORMS)
        velocity = {}
        for key, pieces in self.model.parameter_slots().items():
            saved = state.get(f"velocity.{key}")
            if saved is None:
                continue
            saved = numpy.asarray(saved)
            total = sum(layer.params[name].shape[0] for layer, name in pieces)
            if saved.shape[0] != total or saved.shape[1:] != pieces[0][0].params[
                    pieces[0][1]].shape[1:]:
                raise ValueError(f"SGD.load_state_dict: velocity.{key} has shape "
                                 f"{saved.shape}, the model's parameter does not match")
            start = 0
            for index, (layer, name) in enumerate(pieces):
                w = layer.params[name]
                part = saved[start:start + w.shape[0]].astype(w.dtype)
                velocity[(key, index)] = to_device(part, layer.device)
                start += w.shape[0]
        self.velocity = velocity


class ConstantLR:
    """The same rate every epoch."""

    def __init__(self, lr):
        self.lr = float(lr)

    def update(self, epoch, val_error=None):
        return self.lr

    def state_dict(self):
        return {"lr": self.lr}

    def load_state_dict(self, state):
        self.lr = float(state["lr"])


class StepLR(ConstantLR):
    """``lr * gamma ** (epoch // step_size)``: the rate at the start of each epoch."""

    def __init__(self, lr, step_size, gamma=0.1):
        super().__init__(lr)
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size!r}")
        self.base_lr, self.step_size, self.gamma = float(lr), int(step_size), float(gamma)

    def update(self, epoch, val_error=None):
        self.lr = self.base_lr * self.gamma ** (epoch // self.step_size)
        return self.lr

    def state_dict(self):
        return {"lr": self.lr, "base_lr": self.base_lr}

    def load_state_dict(self, state):
        self.lr, self.base_lr = float(state["lr"]), float(state["base_lr"])


class PlateauLR(ConstantLR):
    """§5: "divide the learning rate by 10 when the validation error rate stopped improving".

    After each epoch call ``update(epoch, val_error)``: when the error has not improved on the
    best so far (by more than ``threshold``) for ``patience`` epochs in a row, the rate is
    multiplied by ``factor``, at most ``max_reductions`` times (the paper: three).
    """

    def __init__(self, lr, factor=0.1, patience=3, max_reductions=3, threshold=0.0):
        super().__init__(lr)
        if not 0 < factor < 1:
            raise ValueError(f"PlateauLR: factor must be in (0, 1), got {factor!r}")
        self.factor, self.patience = float(factor), int(patience)
        self.max_reductions, self.threshold = int(max_reductions), float(threshold)
        self.best, self.bad_epochs, self.reductions = float("inf"), 0, 0

    def update(self, epoch, val_error=None):
        if val_error is None:
            return self.lr
        if val_error < self.best - self.threshold:
            self.best, self.bad_epochs = float(val_error), 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs >= self.patience and self.reductions < self.max_reductions:
                self.lr *= self.factor
                self.reductions += 1
                self.bad_epochs = 0
        return self.lr

    def state_dict(self):
        return {"lr": self.lr, "best": self.best, "bad_epochs": self.bad_epochs,
                "reductions": self.reductions}

    def load_state_dict(self, state):
        self.lr, self.best = float(state["lr"]), float(state["best"])
        self.bad_epochs, self.reductions = int(state["bad_epochs"]), int(state["reductions"])
