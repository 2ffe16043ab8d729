"""What every lesson in ``lessons/`` shares: its size, its data, its figures, its closing table.

A lesson starts with ``lesson = Lesson("03_convolution")`` and ends with ``lesson.finish()``:

* **size**: ``quick`` (seconds: the built-in Shapes or a few hundred images; the tests run it)
  or ``full`` (the default; minutes: the real CIFAR-10 subset or Tiny ImageNet), from the
  command line (``--quick`` / ``--full``) or, in a notebook, ``MINIALEX_LESSON=quick|full``;
* **data**: ``--data-dir`` or ``MINIALEX_DATA`` (default ``../shared/data``); a full lesson
  whose data is absent says so and falls back to Shapes;
* **figures** go to ``runs/lessons/NAME/`` (and show inline in Jupyter);
* **claims**: each :meth:`Lesson.claim` is one row of the closing table, "claim | the paper
  says | measured here | verdict", with the verdict of :func:`minialex.experiment.verdict`;
  :meth:`Lesson.finish` prints the table and saves it as ``claims.json``.

Every number in a table is computed by the lesson from the library; nothing is typed in.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import recipe
from .experiment import verdict
from .files import atomic_write
from .viz import save_png

MODES = ("quick", "full")


class Lesson:
    def __init__(self, name, argv=None):
        parser = argparse.ArgumentParser(prog=f"lessons/{name}.py")
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                          help="seconds: built-in data or a few hundred images")
        size.add_argument("--full", dest="mode", action="store_const", const="full",
                          help="minutes: the real data (the default)")
        parser.add_argument("--data-dir", help="the folder holding cifar-10-batches-py and "
                                               "tiny-imagenet-10 (default $MINIALEX_DATA or "
                                               "../shared/data)")
        # A notebook kernel passes its own arguments: only ours are read.
        args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
        mode = args.mode or os.environ.get("MINIALEX_LESSON", "full")
        if mode not in MODES:
            raise SystemExit(f"MINIALEX_LESSON must be quick or full, not {mode!r}")
        self.name, self.mode = name, mode
        self.quick = mode == "quick"
        self.data_dir = args.data_dir or os.environ.get("MINIALEX_DATA") or \
            os.path.join("..", "shared", "data")
        self.out = Path("runs") / "lessons" / name
        self.out.mkdir(parents=True, exist_ok=True)
        self.rows = []
        self.started = time.perf_counter()
        print(f"{name}: {mode} mode; figures and claims.json in {self.out}")

    # -- data ---------------------------------------------------------------------------------
    def dataset(self, which="cifar10"):
        """``(dataset, data_dir)`` for a training run: Shapes in quick mode; in full mode
        ``which`` ("cifar10" or "tiny-imagenet") when its files are there, else Shapes, with
        a message saying what was looked for."""
        if self.quick:
            return "shapes", None
        folder = {"cifar10": self.data_dir,
                  "tiny-imagenet": os.path.join(self.data_dir, "tiny-imagenet-10")}[which]
        marker = {"cifar10": os.path.join(folder, "cifar-10-batches-py"),
                  "tiny-imagenet": os.path.join(folder, "wnids.txt")}[which]
        if os.path.exists(marker):
            return which, folder
        print(f"note: {marker} is absent, so this lesson trains on the built-in Shapes "
              f"instead of {which} (give --data-dir or set MINIALEX_DATA)")
        return "shapes", None

    def train(self, label, epochs, quick_epochs=2, **settings):
        """One run of the library's training recipe (the same as ``minialex train``) in
        ``runs/lessons/NAME/LABEL``, started afresh: ``settings`` are config keys (model,
        norm, lr ...). Quick mode trains ``quick_epochs`` on a few hundred Shapes images."""
        dataset, data_dir = self.dataset(settings.pop("dataset", "cifar10"))
        config = {"dataset": dataset, "data_dir": data_dir, "epochs": epochs, **settings}
        if self.quick:
            config.update(epochs=quick_epochs, limit=200, batch_size=32)
        print(f"training {label}: {config.get('model', 'alexnet_cifar')} on {dataset}, "
              f"{config['epochs']} epochs")
        return recipe.run_training(recipe.complete(config), str(self.out / label),
                                   overwrite=True, progress=False, log=lambda *_: None)

    # -- figures --------------------------------------------------------------------------------
    def figure(self, figure, filename):
        """Save ``figure`` as ``runs/lessons/NAME/filename`` (and show it in a notebook)."""
        path = self.out / filename
        save_png(figure, path)
        if "ipykernel" in sys.modules:
            from IPython.display import Image, display
            display(Image(filename=str(path)))
        print(f"figure: {path}")
        return path

    # -- the closing table ----------------------------------------------------------------------
    def claim(self, claim, paper, measured, value=None, better=None, worse=None):
        """One row: ``measured`` is the text shown, ``value`` the number behind it (kept in
        ``claims.json``). ``better``/``worse``: per-seed values (lower is better) of what the
        paper says wins and loses, for the verdict rule; without them the verdict is
        "measured", or the ``verdict`` of an exact check (see :meth:`check`)."""
        row = {"claim": claim, "paper": paper, "measured": measured, "value": value,
               "verdict": verdict(better, worse)}
        self.rows.append(row)
        return row

    def check(self, claim, paper, measured, value, holds):
        """A row whose verdict is arithmetic, not statistics: "agrees" when ``holds``."""
        row = {"claim": claim, "paper": paper, "measured": measured, "value": value,
               "verdict": "agrees" if holds else "disagrees"}
        self.rows.append(row)
        return row

    def finish(self):
        """Print the closing table and write ``claims.json``; returns the rows."""
        seconds = time.perf_counter() - self.started
        widths = [max(len(str(r[k])) for r in self.rows + [dict(zip(_KEYS, _HEADINGS))])
                  for k in _KEYS]
        for r in [dict(zip(_KEYS, _HEADINGS))] + self.rows:
            print(" | ".join(str(r[k]).ljust(w) for k, w in zip(_KEYS, widths)))
        record = {"lesson": self.name, "mode": self.mode, "seconds": round(seconds, 1),
                  "claims": self.rows}
        atomic_write(self.out / "claims.json",
                     lambda f: f.write(json.dumps(record, indent=1, ensure_ascii=False)
                                       .encode()))
        print(f"{self.name}: {seconds:.1f} s in {self.mode} mode; {self.out / 'claims.json'}")
        return self.rows


_KEYS = ("claim", "paper", "measured", "verdict")
_HEADINGS = ("claim", "the paper says", "measured here", "verdict")


def step_seconds(model, batch_size, side=32, classes=10, repeats=5):
    """The best of ``repeats`` timings of one training step of ``model`` (forward, softmax
    loss, backward; no update) on a random float32 batch of ``side`` x ``side`` images."""
    import numpy

    from .layers import SoftmaxCrossEntropy
    images = numpy.random.default_rng(0).standard_normal((batch_size, 3, side, side))
    images, labels = images.astype(numpy.float32), numpy.arange(batch_size) % classes
    loss, best = SoftmaxCrossEntropy(), float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        loss.forward(model.forward(images), labels)
        model.backward(loss.backward(), input_gradient=False)
        best = min(best, time.perf_counter() - start)
    return best


def reference_result(name):
    """The committed ``experiments/results/NAME/results.json`` of the repository this
    minialex is installed from (the README's editable install), or None."""
    path = Path(__file__).resolve().parent.parent / "experiments" / "results" / name / \
        "results.json"
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def committed(reference):
    """How a lesson labels a number from a committed experiment: "committed, 3 seeds"."""
    seeds = sorted({len(v["seeds"]) for v in reference["variants"].values()})
    return f"committed, {'/'.join(map(str, seeds))} seeds"
