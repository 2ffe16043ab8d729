"""Trainer: epochs, top-1/top-5 errors, checkpoints, resume, history (§5).

``Trainer(model, optimizer, schedule, train_loader, val_loader, out_dir)`` runs epochs of SGD
over the training loader, measures the validation errors after each epoch, lets the schedule
set the next learning rate, and writes into ``out_dir``:

* ``history.csv``: one row per epoch (rewritten whole each epoch, atomically);
* ``checkpoint.npz``: everything needed to continue (weights and buffers, the optimizer's
  velocities, the schedule, the epoch, the config and the preprocessing), written to a
  temporary file and renamed, so a crash never leaves a half-written checkpoint.

Resuming restores all of it. Nothing random needs saving: the loaders' order and augmentation
depend only on (seed, epoch, batch), and the dropout masks on (seed, layer, step), where the
step ``epoch * batches_per_epoch + batch`` is set on the model before each batch. So training 2
epochs straight and 1 + resume + 1 give bit-identical weights.
A loss that becomes NaN or infinite stops training with a message; the checkpoint on disk is
then still the last good one. Ctrl-C writes a checkpoint and returns cleanly: resuming
reruns the interrupted epoch from its start, with the weights it had reached.
"""

import contextlib
import csv
import io
import json
import math
import os
import time

import numpy
from tqdm import tqdm

from . import runs
from .backend import asnumpy, device_of, get_array_module
from .files import atomic_write, read_npz
from .layers import SoftmaxCrossEntropy

HISTORY_FIELDS = ["epoch", "lr", "train_loss", "train_top1", "val_loss", "val_top1", "val_top5",
                  "seconds", "images_per_second"]


READ_EVERY = 20    # on a GPU: batches between reads of the running loss and error


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def topk_errors(logits, labels, ks=(1, 5)):
    """Fraction of rows whose label is not among the k largest logits, for each k."""
    logits, labels = asnumpy(logits), asnumpy(labels)
    order = numpy.argsort(-logits, axis=1, kind="stable")
    hits = order == labels[:, None]
    return [float(1.0 - hits[:, :min(k, logits.shape[1])].any(axis=1).mean()) for k in ks]


def top1_wrong(logits, labels):
    """How many rows' largest logit (the first, on ties) is not their label, counted on the
    logits' device (a 0-d array there: reading it is left to the caller)."""
    xp = get_array_module(logits)
    with device_of(logits):
        return (xp.argmax(logits, axis=1) != xp.asarray(labels)).sum()


def evaluate(model, batches, ten_crop=False):
    """Mean loss, top-1 and top-5 errors of ``model`` (in eval mode) over ``(x, y)`` batches.

    With ``ten_crop`` each ``x`` is (10, N, C, H, W): the softmax of the ten views is averaged
    (§4.1), and the loss is that of the averaged probabilities.
    """
    sums = evaluation_sums(model, batches, ten_crop)
    n = sums["n"]
    if n == 0:
        raise ValueError("evaluate: no images to evaluate")
    return {"loss": sums["loss"] / n, "top1_error": sums["top1"] / n,
            "top5_error": sums["top5"] / n, "n": n}


def evaluation_sums(model, batches, ten_crop=False):
    """What :func:`evaluate` averages: the summed loss, top-1 and top-5 errors, and ``n``
    (so that workers holding parts of a split can add theirs up)."""
    was_training = model.training
    model.eval()
    loss_sum, wrong1, wrong5, n = 0.0, 0.0, 0.0, 0
    try:
        for x, y in batches:
            if len(y) == 0:                     # a worker's empty share of a small batch
                continue
            if ten_crop:
                probs = sum(_softmax(model.forward(view)) for view in x) / len(x)
            else:
                probs = _softmax(model.forward(x))
            labels = asnumpy(y)
            picked = probs[numpy.arange(len(labels)), labels]
            loss_sum += float(-numpy.log(numpy.maximum(picked, 1e-30)).sum())
            e1, e5 = topk_errors(probs, labels)
            wrong1, wrong5, n = wrong1 + e1 * len(labels), wrong5 + e5 * len(labels), n + len(labels)
    finally:
        model.train(was_training)
    return {"loss": loss_sum, "top1": wrong1, "top5": wrong5, "n": n}


def _softmax(logits):
    z = asnumpy(logits).astype(numpy.float64)
    z -= z.max(axis=1, keepdims=True)
    e = numpy.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Trainer:
    """Runs the epochs; see the module docstring for what it writes and how it resumes."""

    def __init__(self, model, optimizer, schedule, train_loader, val_loader, out_dir,
                 config=None, preprocess=None, ten_crop=False, progress=True, log=print,
                 overwrite=False, distributed=None):
        # distributed: a minialex.distributed.Communicator. Every worker trains on its slice
        # of each batch (its loaders are sharded), the gradients are reduced before each
        # update, and worker 0 alone writes files and logs.
        self.comm = distributed
        self.writes = distributed is None or distributed.rank == 0
        if not self.writes:
            progress, log = False, say_nothing
        if distributed is not None:
            for _, layer in model.layers():
                if hasattr(layer, "rank"):        # dropout: a mask per worker
                    layer.rank = distributed.rank
        self.model, self.optimizer, self.schedule = model, optimizer, schedule
        self.train_loader, self.val_loader = train_loader, val_loader
        self.out_dir, self.config = os.fspath(out_dir), dict(config or {})
        self.preprocess, self.ten_crop, self.progress, self.log = preprocess, ten_crop, progress, log
        self.loss = SoftmaxCrossEntropy()
        self.epoch, self.history = 0, []          # epochs completed, their rows
        # A new run never replaces one that a folder holds, unless asked to (see fit); one
        # that does replaces it only once it has something of its own to write.
        self._folder_is_ours = bool(overwrite)
        self._replacing = bool(overwrite) and runs.holds_a_run(out_dir)
        runs.check_is_folder(self.out_dir)
        os.makedirs(self.out_dir, exist_ok=True)

    @property
    def checkpoint_path(self):
        return os.path.join(self.out_dir, "checkpoint.npz")

    # -- one epoch --------------------------------------------------------------------------------
    def train_epoch(self):
        self.model.train()
        self.train_loader.set_epoch(self.epoch)
        bar = _progress(len(self.train_loader), f"epoch {self.epoch + 1}", self.progress)
        loss_sum, wrong, seen, shown, start = 0.0, 0, 0, 0, time.perf_counter()
        read_every = None
        try:
            for batch, (x, y) in enumerate(self.train_loader):
                self.model.set_step(self.epoch * len(self.train_loader) + batch)
                if self.comm is not None:
                    stats = self._distributed_batch(x, y, batch)
                    loss_sum, wrong, seen = (a + b for a, b in zip((loss_sum, wrong, seen),
                                                                    stats))
                    bar.update(1, loss=loss_sum / seen, err=wrong / seen,
                               img_s=seen / (time.perf_counter() - start))
                    continue
                logits = self.model.forward(x)
                loss = self.loss.forward(logits, y)
                if read_every is None:
                    # Reading a number back from a GPU waits for all its queued work: there,
                    # the running loss and error stay on the device and are read every
                    # READ_EVERY batches. On the CPU reading is free: every batch.
                    read_every = 1 if get_array_module(logits) is numpy else READ_EVERY
                if read_every == 1 and not math.isfinite(float(loss)):
                    self._diverged(float(loss), batch)     # before this batch's update
                self.model.backward(self.loss.backward(), input_gradient=False)
                self.optimizer.step()
                n = len(y)
                loss_sum, seen = loss_sum + loss * n, seen + n
                wrong = wrong + top1_wrong(logits, y)
                if (batch + 1) % read_every == 0 or batch + 1 == len(self.train_loader):
                    mean_loss = float(loss_sum) / seen
                    if not math.isfinite(mean_loss):
                        self._diverged(mean_loss, batch)
                    rate = seen / (time.perf_counter() - start)
                    bar.update(batch + 1 - shown, loss=mean_loss, err=int(wrong) / seen,
                               img_s=rate)
                    shown = batch + 1
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        return {"train_loss": float(loss_sum) / seen, "train_top1": int(wrong) / seen,
                "seconds": seconds, "images_per_second": seen / seconds}

    def _distributed_batch(self, x, y, batch):
        """One step of data parallelism: this worker's forward and backward on its share, the
        workers' gradients reduced, the update. Returns the batch's global (loss sum, top-1
        errors, images)."""
        n = len(y)
        if n:
            logits = self.model.forward(x)
            loss = self.loss.forward(logits, y)
            self.model.backward(self.loss.backward(), input_gradient=False)
            loss_sum, wrong = loss * n, top1_wrong(logits, y)
        else:                   # a last batch smaller than the workers: this one has nothing
            for pieces in self.model.parameter_slots().values():
                for layer, name in pieces:
                    layer.grads[name] = layer.params[name] * 0
            loss_sum = wrong = 0.0
        count, loss_total, wrong_total = self.comm.reduce_gradients(
            self.model, n, loss_sum, wrong)
        if not math.isfinite(loss_total):       # every worker sees the same sum: all stop
            self._diverged(loss_total / count, batch)
        self.optimizer.step()
        return loss_total, wrong_total, count

    def _evaluate(self):
        """The validation errors: on one process :func:`evaluate`; distributed, each worker's
        share of the validation images, summed over the workers."""
        if self.comm is None:
            return evaluate(self.model, self.val_loader, self.ten_crop)
        sums = evaluation_sums(self.model, self.val_loader, self.ten_crop)
        loss, wrong1, wrong5, n = self.comm.sum([sums[k] for k in ("loss", "top1", "top5", "n")])
        return {"loss": loss / n, "top1_error": wrong1 / n, "top5_error": wrong5 / n, "n": n}

    def _diverged(self, loss, batch):
        raise TrainingDiverged(
            f"the loss became {loss} in epoch {self.epoch + 1}, by batch {batch + 1}; "
            f"training stopped. {self._what_is_kept()} Try a lower --lr.")

    def fit(self, epochs):
        """Train until ``epochs`` epochs are complete (counting those of a resumed run).
        Returns the history rows.

        A new run (not :meth:`resume`'d) refuses to start in a folder that already holds one
        (``minialex.runs.RunFolderError``): its checkpoint would be overwritten. Pass
        ``overwrite=True`` to the Trainer to replace it.
        """
        if not self._folder_is_ours:
            if runs.holds_a_run(self.out_dir):
                raise runs.RunFolderError(
                    f"{self.out_dir} already holds a run; call resume() to continue it, or "
                    "make the Trainer with overwrite=True to replace it, or choose another "
                    "folder")
            self._folder_is_ours = True
        try:
            while self.epoch < epochs:
                lr = self.optimizer.lr
                row = {"epoch": self.epoch + 1, "lr": lr, **self.train_epoch()}
                if self.val_loader is not None:
                    val = self._evaluate()
                    row.update(val_loss=val["loss"], val_top1=val["top1_error"],
                               val_top5=val["top5_error"])
                self.epoch += 1
                self.optimizer.lr = self.schedule.update(self.epoch, row.get("val_top1"))
                self.history.append(row)
                if self.comm is not None:       # BatchNorm's statistics: the workers' mean
                    self.comm.average_buffers(self.model)
                if self.writes:
                    self.save_checkpoint()
                    self.write_history()
                self.log(self.summary_line(row))
        except KeyboardInterrupt:
            if self._replacing:
                self.log(f"interrupted before the first epoch finished: {self.out_dir} still "
                         "holds the run it had")
                return self.history
            if self.writes:                     # distributed: worker 0 alone writes
                self.save_checkpoint()
            epochs_done = f"{self.epoch} complete epoch" + ("" if self.epoch == 1 else "s")
            self.log(f"interrupted: checkpoint saved to {self.checkpoint_path} after "
                     f"{epochs_done}; --resume reruns epoch {self.epoch + 1}")
        return self.history

    def _what_is_kept(self):
        """What the checkpoint on disk holds now, said as it is."""
        if os.path.exists(self.checkpoint_path):
            epoch = load_checkpoint(self.checkpoint_path)["meta"]["epoch"]
            return (f"The last good checkpoint, after epoch {epoch}, is kept in "
                    f"{self.checkpoint_path}.")
        return "No checkpoint was written: no epoch had finished."

    @staticmethod
    def summary_line(row):
        """One epoch, for a reader: losses, and error rates said as errors (lower is better)."""
        text = (f"epoch {row['epoch']:3d}  lr {row['lr']:.2g}  loss {row['train_loss']:.4f}  "
                f"train error {100 * row['train_top1']:5.1f}%")
        if "val_top1" in row:
            text += (f"  val loss {row['val_loss']:.4f}  val error top-1 "
                     f"{100 * row['val_top1']:5.1f}%  top-5 {100 * row['val_top5']:5.1f}%")
        return text + f"  {row['seconds']:.0f}s ({row['images_per_second']:.0f} img/s)"

    # -- files ------------------------------------------------------------------------------------
    def write_history(self):
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=HISTORY_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in self.history:
            writer.writerow(row)
        atomic_write(os.path.join(self.out_dir, "history.csv"),
                     lambda f: f.write(text.getvalue().encode()))

    def save_checkpoint(self):
        if self._replacing:                 # the old run's pictures go with its checkpoint
            for name in runs.ARTEFACTS:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.out_dir, name))
            self._replacing = False
        arrays = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        optim_state = self.optimizer.state_dict()
        arrays.update({f"optim.{k}": v for k, v in optim_state.items()
                       if k.startswith("velocity.")})
        meta = {
            "epoch": self.epoch,
            "optimizer": {k: v for k, v in optim_state.items() if not k.startswith("velocity.")},
            "schedule": {"class": type(self.schedule).__name__,
                         "state": self.schedule.state_dict()},
            "history": self.history,
            "config": self.config,
        }
        arrays["meta"] = numpy.frombuffer(json.dumps(meta).encode(), dtype=numpy.uint8)
        if self.preprocess is not None:
            arrays.update({f"preprocess.{k}": numpy.asarray(v)
                           for k, v in self.preprocess.to_dict().items()})
        atomic_write(self.checkpoint_path, lambda f: numpy.savez(f, **arrays))

    def resume(self, path=None):
        """Continue from a checkpoint written by :meth:`save_checkpoint`.

        The model must be built as the run's was, the same layers and seed (the config in the
        checkpoint rebuilds it): the weights, buffers and velocities come from the checkpoint,
        the dropout masks from the seed and the step.
        """
        checkpoint = load_checkpoint(path or self.checkpoint_path)
        self._folder_is_ours, self._replacing = True, False
        self.model.load_state_dict(checkpoint["model"])
        meta = checkpoint["meta"]
        self.optimizer.load_state_dict({**meta["optimizer"], **checkpoint["optim"]})
        self.schedule.load_state_dict(meta["schedule"]["state"])
        self.epoch, self.history = int(meta["epoch"]), list(meta["history"])
        return self


def load_checkpoint(path):
    """``{"model": state dict, "optim": velocities, "preprocess": dict, "meta": dict}``.

    A missing file or one that is not a minialex checkpoint raises an error naming the path.
    """
    files = read_npz(path, "minialex checkpoint")
    try:
        meta = json.loads(files.pop("meta").tobytes().decode())
        if not isinstance(meta, dict) or not {"epoch", "config"} <= set(meta):
            raise ValueError("it lacks the epoch or the config")
    except (KeyError, ValueError) as error:
        raise ValueError(f"{os.fspath(path)} is not a minialex checkpoint (its 'meta' record is "
                         f"missing or unreadable: {error})") from None
    out = {"model": {}, "optim": {}, "preprocess": {}, "meta": meta}
    for key, value in files.items():
        group, _, name = key.partition(".")
        if group in out and name:
            out[group][name] = value
    return out


def say_nothing(*args, **kwargs):
    """The log of a worker other than the first: says nothing (the first says it all)."""


class _progress:
    """A tqdm bar when asked for; otherwise nothing."""

    def __init__(self, total, desc, enabled):
        self.bar = tqdm(total=total, desc=desc, unit="batch", leave=False) if enabled else None

    def update(self, n, **stats):
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in stats.items()}, refresh=False)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


__all__ = ["Trainer", "TrainingDiverged", "evaluate", "topk_errors", "load_checkpoint"]
