"""``minialex experiment NAME``: one of the paper's claims, measured over variants and seeds.

An experiment is a base run config, a few *variants* (each a set of overrides of the config's
keys: ``norm``, ``pool``, ``dropout``, ``augment``, ``init``, ``sgd`` ...) and a claim: which
variant the paper says is better, and by which metric. Every (variant, seed) is an ordinary
training run (:func:`minialex.recipe.run_training`, the same as ``minialex train``) in a folder
of its own, ``OUT/VARIANT/seed-K``, so a killed experiment started again skips the finished
runs and resumes the unfinished one bit-exactly. A run is finished once its ``run.json`` is
written, last, after every epoch and the test: what the experiment measured on it and the code
that trained it. A half-finished run is never read as a result.

:func:`report` turns the finished runs into ``results.json`` and a figure; :func:`verdict` is the
one rule the experiments and the lessons use: "agrees" or "disagrees" when the difference of the
means exceeds twice the larger standard deviation over seeds, else "not resolved" ("measured"
where the paper makes no claim).
"""

import datetime
import json
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field

import numpy

from . import __version__, data, recipe, runs, viz
from .files import atomic_write
from .train import evaluate, load_checkpoint

VERDICTS = ("agrees", "disagrees", "not resolved", "measured")


def verdict(claimed_better, claimed_worse):
    """The verdict on "``claimed_better`` has the lower value" from two lists of per-seed
    values (errors: lower is better). "agrees"/"disagrees" when the means differ by more than
    twice the larger seed standard deviation, "not resolved" otherwise; "measured" for None
    (no claim)."""
    if claimed_better is None or claimed_worse is None:
        return "measured"
    better, worse = _mean_std(claimed_better), _mean_std(claimed_worse)
    difference = worse[0] - better[0]
    if abs(difference) > 2 * max(better[1], worse[1]):
        return "agrees" if difference > 0 else "disagrees"
    return "not resolved"


def _mean_std(values):
    values = [float(v) for v in values]
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


@dataclass(frozen=True)
class Experiment:
    """One claim of the paper, as variants of a base config."""
    name: str
    question: str
    claim: str                       # the paper's words, with its number
    section: str
    base: dict                       # the run config every variant starts from
    variants: dict                   # variant name -> overrides of the base
    better: str = None               # the variant the paper says wins (None: no claim)
    worse: str = None
    metric: str = "top1_error"       # compared on the test split
    epochs: int = 10
    ten_crop_test: bool = False      # also test on §4.1's ten crops (per run, in run.json)
    target: float = None             # the training error whose first epoch is the speed metric
    lr_grid: tuple = ()              # each variant's rate: the best of these (see run_experiment)
    grid_epochs: int = 3
    pretrain: dict = None            # overrides of a pre-training run (see run_experiment)
    pretrain_subdir: str = None      # its data: this folder of --data-dir
    pretrained: tuple = ()           # the variants that start from the pre-training run
    cut_rise: bool = False           # report the training loss's rise after each rate cut
    quick: dict = field(default_factory=lambda: {"dataset": "shapes", "limit": 40,
                                                 "batch_size": 20, "epochs": 1})


CIFAR = {"dataset": "cifar10"}
EXPERIMENTS = {e.name: e for e in [
    Experiment("relu-vs-tanh", "How many times fewer epochs does a ReLU net need than a tanh "
               "net to reach 25% training error?",
               "a four-layer CNN with ReLUs reaches 25% training error on CIFAR-10 six times "
               "faster than an equivalent network with tanh neurons", "§3.1, Figure 1",
               # Figure 1 trains the bare nets: no augmentation, no normalisation, a constant
               # rate. Batches of 64: twice the steps per epoch of 128 on our 4,653 images
               # (the paper's 50,000 give 390 steps of 128 per epoch).
               {**CIFAR, "model": "figure1_net", "augment": "none", "schedule": "constant",
                "batch_size": 64},
               {"relu": {"activation": "relu"}, "tanh": {"activation": "tanh"}},
               better="relu", worse="tanh", metric="epochs_to_target", target=0.25, epochs=40,
               lr_grid=(0.003, 0.01, 0.03, 0.1), grid_epochs=3),
    Experiment("lrn", "Does local response normalisation lower the error (and does it still "
               "matter next to batch normalisation)?",
               "a four-layer CNN: 13% test error without normalisation, 11% with",
               "§3.3", {**CIFAR, "model": "figure1_net"},
               {"none": {"norm": "none"}, "lrn": {"norm": "lrn"},
                "batchnorm": {"norm": "batchnorm"},
                # the same question on the eight-layer net (the verdict is the four-layer one's)
                "alexnet_cifar-none": {"model": "alexnet_cifar", "norm": "none", "epochs": 10},
                "alexnet_cifar-lrn": {"model": "alexnet_cifar", "norm": "lrn", "epochs": 10},
                "alexnet_cifar-batchnorm": {"model": "alexnet_cifar", "norm": "batchnorm",
                                            "epochs": 10}},
               better="lrn", worse="none", epochs=15),
    Experiment("pooling", "Does overlapping pooling (3x3 windows at stride 2) beat "
               "non-overlapping 2x2 pooling with the same output sizes?",
               "overlapping pooling lowers top-1 error by 0.4% (and overfits less)",
               "§3.4", {**CIFAR, "model": "alexnet_cifar"},
               {"overlap": {"pool": "overlap"}, "nonoverlap": {"pool": "nonoverlap"}},
               better="overlap", worse="nonoverlap", epochs=10),
    Experiment("dropout", "How much does dropout reduce overfitting, and at what cost in "
               "epochs?", "without dropout the network overfits substantially",
               "§4.2", {**CIFAR, "model": "alexnet_cifar"},
               {"dropout": {"dropout": "paper"}, "none": {"dropout": "none"}},
               better="dropout", worse="none", epochs=10),
    Experiment("augmentation", "How much do crops, reflections and PCA lighting help?",
               "PCA lighting lowers top-1 error by over 1%", "§4.1",
               {**CIFAR, "model": "alexnet_cifar"},
               {"none": {"augment": "none"}, "crop-flip": {"augment": "crop-flip"},
                "crop-flip-pca": {"augment": "crop-flip-pca"}},
               better="crop-flip-pca", worse="crop-flip", epochs=10, ten_crop_test=True),
    Experiment("towers", "Do two columns (the paper's two GPUs) beat one column with half the "
               "kernels, and one column at full width?",
               "two GPUs lower top-1 error by 1.7% against one GPU with half the kernels in "
               "every convolutional layer but the last", "§3.2, §6.1",
               {**CIFAR, "model": "alexnet_cifar"},
               {"two-towers": {"towers": 2}, "one-half": {"columns": "one-half"},
                "one-full": {"columns": "one"}},
               better="two-towers", worse="one-half", epochs=10),
    Experiment("pretraining", "Does the result need pre-training? From scratch against "
               "pre-training on Tiny ImageNet's ten classes and fine-tuning",
               "(no claim: the paper pre-trains only for its ImageNet 2011 entries, §6)", "§6",
               {**CIFAR, "model": "alexnet_cifar"},
               {"scratch": {}, "pretrained": {}}, epochs=10,
               pretrain={"dataset": "tiny-imagenet", "epochs": 10},
               pretrain_subdir="tiny-imagenet-10", pretrained=("pretrained",)),
    Experiment("init", "Does the paper's initialisation (N(0, 0.01²), biases of 1) train as "
               "well as biases of 0, or He's?",
               "biases of 1 accelerate the early stages of learning", "§5",
               {**CIFAR, "model": "alexnet_cifar"},
               {"paper": {"init": "paper"}, "paper-zero-bias": {"init": "paper-zero-bias"},
                "he": {"init": "he"}}, better="paper", worse="paper-zero-bias", epochs=10),
    Experiment("lr-cut", "Does the paper's velocity form of SGD differ from PyTorch's across a "
               "learning-rate cut?", "(no claim: the paper states its rule)", "§5",
               {**CIFAR, "model": "alexnet_cifar", "schedule": "step"},
               # 24 epochs: 8 at the paper's rate before the first cut. With 9 (3 before it)
               # the baseline stopped at 36% test accuracy, short of the 40% a result needs.
               {"paper": {"sgd": "paper"}, "pytorch": {"sgd": "pytorch"}}, epochs=24,
               cut_rise=True),
]}


def run_folder(out, variant, seed):
    return os.path.join(out, variant, f"seed-{seed}")


RUN_FILE = "run.json"


def is_finished(folder):
    """A run is a result only once its last epoch, its test and ``run.json`` are written."""
    return os.path.exists(os.path.join(folder, RUN_FILE))


def run_experiment(name, seeds=3, epochs=None, data_dir=None, device="cpu", out=None,
                   quick=False, log=print):
    """Train every (variant, seed) of experiment ``name`` that is not finished yet; returns
    the run folders. ``quick``: Shapes and a few images, seconds a run (for tests only).

    Where the experiment has a learning-rate grid, each variant first trains one short run
    per rate (seed 0, ``OUT/VARIANT/lr-RATE``) and its seeds use the rate with the lowest
    training error (§3.1: the rates "were chosen independently for each network to make
    training as fast as possible"). Where it pre-trains, each seed of a pre-trained variant
    starts from its own pre-training run (``OUT/pretrain/seed-K``).
    """
    experiment = EXPERIMENTS[name]
    out = out or os.path.join("runs", "experiments", name)
    common = {**experiment.base, "epochs": epochs or experiment.epochs, "data_dir": data_dir,
              "device": device}
    quick_settings = experiment.quick if quick else {}
    folders = []
    for variant, overrides in experiment.variants.items():
        settings = {**common, **overrides, **({"epochs": epochs} if epochs else {}),
                    **quick_settings}
        if experiment.lr_grid:
            for lr in experiment.lr_grid:
                _train(experiment, grid_folder(out, variant, lr), f"{variant}, lr {lr:g}",
                       {**settings, "lr": lr, "epochs": experiment.grid_epochs,
                        **quick_settings, "seed": 0}, log)
            settings["lr"] = best_lr(out, variant, experiment.lr_grid)
        for seed in range(seeds):
            seed_settings = {**settings, "seed": seed}
            if variant in experiment.pretrained:
                source = run_folder(out, "pretrain", seed)
                _train(experiment, source, f"pre-training, seed {seed}",
                       {**seed_settings, **experiment.pretrain,
                        "data_dir": _pretrain_data(experiment, data_dir), **quick_settings},
                       log)
                seed_settings["init_from"] = source
            folder = run_folder(out, variant, seed)
            folders.append(folder)
            _train(experiment, folder, f"{variant}, seed {seed}", seed_settings, log)
    return folders


def _pretrain_data(experiment, data_dir):
    """The pre-training data sits in its own folder of ``--data-dir``."""
    folder = experiment.pretrain_subdir
    return os.path.join(data_dir, folder) if data_dir and folder else data_dir


def grid_folder(out, variant, lr):
    return os.path.join(out, variant, f"lr-{lr:g}")


def best_lr(out, variant, grid):
    """The grid's rate whose run ends with the lowest training error (a diverged run, NaN,
    counts as the worst)."""
    final = {lr: _final_train_error(grid_folder(out, variant, lr)) for lr in grid}
    return min(grid, key=lambda lr: final[lr])


def _final_train_error(folder):
    value = float(viz.read_history(os.path.join(folder, "history.csv"))["train_top1"][-1])
    return value if numpy.isfinite(value) else float("inf")


def _train(experiment, folder, label, settings, log):
    """One run of the experiment, as ``minialex train`` makes it: skipped when finished,
    resumed when started, begun otherwise."""
    name = experiment.name
    if is_finished(folder):
        log(f"{name}: {label}: finished, skipped")
        return
    resume = runs.holds_a_run(folder)
    config = None if resume else recipe.complete(settings)
    lock = runs.RunLock(folder)
    lock.acquire()
    try:
        log(f"{name}: {label}" + (" (resuming)" if resume else ""))
        run = recipe.run_training(config, folder, resume=resume, progress=False,
                                  given={"epochs": settings["epochs"]}, log=lambda *_: None)
    finally:
        lock.release()
    if run.test is None:
        raise KeyboardInterrupt
    _write_run_record(experiment, run, folder)


def _write_run_record(experiment, run, folder):
    """``run.json``: the test results (single crop, and ten crops where the experiment asks)
    and the code and machine that trained the run. Written last: it marks the run finished."""
    record = {"test": {**run.test, "epochs": run.trainer.epoch}, "provenance": _code_provenance()}
    if experiment.ten_crop_test:
        images, labels, _ = recipe.load_split(run.config, "test")
        views = data.Loader(images, labels, run.config["batch_size"], shuffle=False,
                            transform=recipe.ten_crop_transform(run.preprocess),
                            device=recipe.input_device(run.config))
        record["ten_crop_test"] = evaluate(run.model, views, ten_crop=True)
    atomic_write(os.path.join(folder, RUN_FILE),
                 lambda f: f.write(json.dumps(record, indent=1).encode()))


def epochs_to(values, threshold):
    """The first epoch (1-based) whose value is at most ``threshold``; None if none is."""
    reached = numpy.flatnonzero(numpy.asarray(values) <= threshold)
    return int(reached[0]) + 1 if len(reached) else None


def cut_indices(rates):
    """The indices of the epochs that start at a lower rate than the one before."""
    return [i for i in range(1, len(rates)) if rates[i] < rates[i - 1]]


def loss_changes_at_cuts(rates, losses):
    """Per rate cut, the change of the (epoch-mean) training loss from the last epoch at one
    rate to the first at the lower one; positive: it rose."""
    return [float(losses[i] - losses[i - 1]) for i in cut_indices(rates)]


def loss_rise_after_cut(rates, losses):
    """The largest of :func:`loss_changes_at_cuts`; 0 when the rate was never cut."""
    return max(loss_changes_at_cuts(rates, losses), default=0.0)


def loss_change_at_first_cut(rates, losses):
    """The first of :func:`loss_changes_at_cuts`, where the velocity built up at the
    starting rate is largest; 0 when the rate was never cut."""
    return next(iter(loss_changes_at_cuts(rates, losses)), 0.0)


def _seed_summary(experiment, folder):
    """What one finished run adds to the results."""
    record = _read_json(os.path.join(folder, RUN_FILE))
    test = record["test"]
    h = viz.read_history(os.path.join(folder, "history.csv"))
    train_error = float(h["train_top1"][-1])
    best_val = float(numpy.nanmin(h["val_top1"]))
    summary = {
        "seed": int(folder.rsplit("-", 1)[1]),
        "top1_error": test["top1_error"], "top5_error": test["top5_error"],
        "best_val_top1_error": best_val, "final_train_top1_error": train_error,
        # the paper's overfitting: how far the test error sits above the training error
        "train_test_gap": test["top1_error"] - train_error,
        # converged: the first epoch within one point of the run's best validation error
        "epochs_to_converge": epochs_to(h["val_top1"], best_val + 0.01),
        "seconds_per_epoch": float(numpy.nanmean(h["seconds"])), "epochs": int(test["epochs"]),
        "commit": record["provenance"]["commit"]}
    if experiment.ten_crop_test:
        summary["ten_crop_top1_error"] = record["ten_crop_test"]["top1_error"]
        summary["ten_crop_top5_error"] = record["ten_crop_test"]["top5_error"]
    if experiment.cut_rise:
        summary["train_loss_rise_after_cut"] = loss_rise_after_cut(h["lr"], h["train_loss"])
        summary["train_loss_change_first_cut"] = loss_change_at_first_cut(h["lr"],
                                                                          h["train_loss"])
    if experiment.target is not None:
        reached = epochs_to(h["train_top1"], experiment.target)
        # not reached: counted as one epoch more than the run had, a lower bound
        summary["epochs_to_target"] = reached or len(h["train_top1"]) + 1
        summary["target_reached"] = reached is not None
    return summary


def report(name, out=None, results_dir=None, command=None, quick=False):
    """``results.json`` and ``results.png`` in ``results_dir`` (default
    ``experiments/results/NAME``) from the finished runs in ``out``; returns the results."""
    experiment = EXPERIMENTS[name]
    out = out or os.path.join("runs", "experiments", name)
    results_dir = results_dir or os.path.join("experiments", "results", name)
    per_variant, histories = {}, {}
    # a claim about speed is read off the training curves, one about rate cuts off the
    # training loss, the others off validation
    column = "train_top1" if experiment.target is not None else \
        "train_loss" if experiment.cut_rise else "val_top1"
    cut_epochs = set()                   # where the rate fell (drawn when cut_rise)
    for variant in experiment.variants:
        seeds, curves = [], []
        for folder in sorted(_seed_folders(out, variant)):
            if is_finished(folder):
                seeds.append(_seed_summary(experiment, folder))
                h = viz.read_history(os.path.join(folder, "history.csv"))
                curves.append(h[column])
                cut_epochs |= {i + 1 for i in cut_indices(h["lr"])}
        if not seeds:
            raise ValueError(f"experiment {name}: no finished run of {variant} in {out}; run "
                             f"`minialex experiment {name}` first")
        mean, std = _mean_std([s[experiment.metric] for s in seeds])
        measures = [k for k, v in seeds[0].items() if k not in ("seed", "commit")
                    and isinstance(v, (int, float)) and not isinstance(v, bool)]
        per_variant[variant] = {
            "seeds": seeds, "mean": mean, "std": std,
            # every other measure too, as [mean, standard deviation] over the seeds
            "measures": {k: list(_mean_std([s[k] for s in seeds])) for k in measures}}
        if experiment.lr_grid:
            per_variant[variant]["lr_grid"] = {
                f"{lr:g}": _final_train_error(grid_folder(out, variant, lr))
                for lr in experiment.lr_grid}
            per_variant[variant]["chosen_lr"] = best_lr(out, variant, experiment.lr_grid)
        histories[variant] = curves
    claimed = verdict(
        None if experiment.better is None else
        [s[experiment.metric] for s in per_variant[experiment.better]["seeds"]],
        None if experiment.worse is None else
        [s[experiment.metric] for s in per_variant[experiment.worse]["seeds"]])
    results = {
        "name": name, "question": experiment.question,
        "claim": {"text": experiment.claim, "section": experiment.section,
                  "better": experiment.better, "worse": experiment.worse,
                  "metric": experiment.metric},
        "variants": per_variant, "verdict": claimed,
        **({"pretraining": _pretraining_summary(experiment, out)} if experiment.pretrain
           else {}),
        "provenance": _provenance(out, command, quick)}
    os.makedirs(results_dir, exist_ok=True)
    atomic_write(os.path.join(results_dir, "results.json"),
                 lambda f: f.write(json.dumps(results, indent=1).encode()))
    _figure(results, histories, column, os.path.join(results_dir, "results.png"),
            sorted(cut_epochs) if experiment.cut_rise else ())
    return results


def _pretraining_summary(experiment, out):
    """The pre-training runs' own test errors, on their own data."""
    return {"settings": experiment.pretrain,
            "seeds": [{"seed": int(folder.rsplit("-", 1)[1]),
                       **{k: _read_json(os.path.join(folder, RUN_FILE))["test"][k]
                          for k in ("top1_error", "top5_error", "epochs")}}
                      for folder in sorted(_seed_folders(out, "pretrain"))
                      if is_finished(folder)]}


def _seed_folders(out, variant):
    base = os.path.join(out, variant)
    if not os.path.isdir(base):
        return []
    return [os.path.join(base, d) for d in os.listdir(base) if d.startswith("seed-")]


def _provenance(out, command, quick):
    """The code that wrote the report, the commits that trained its runs, the command."""
    any_run = next((os.path.join(root, "checkpoint.npz") for root, _, files in os.walk(out)
                    if "checkpoint.npz" in files), None)
    device = load_checkpoint(any_run)["meta"]["config"].get("device") if any_run else None
    trained_by = sorted({str(s) for root, _, files in os.walk(out) if RUN_FILE in files
                         for s in [_read_json(os.path.join(root, RUN_FILE))["provenance"]
                                   ["commit"]]})
    return {**_code_provenance(), "trained_by_commits": trained_by, "device": device,
            "command": command, "quick": quick}


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _code_provenance():
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=os.path.dirname(__file__), check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return {"minialex": __version__, "commit": commit, "numpy": numpy.__version__,
            "blas": blas.get("name"), "machine": platform.machine(),
            "date": datetime.date.today().isoformat()}


def _figure(results, histories, column, out_png, cut_epochs=()):
    """Mean curves of the history ``column`` with the seed spread shaded (a dotted line
    before each epoch in ``cut_epochs``, the first at a lower rate), and the compared metric
    per variant with error bars (both spreads are the sample standard deviation)."""
    percent = column != "train_loss"
    figure = viz.new_figure(10, 4.2)
    curves_ax, bars_ax = figure.subplots(1, 2)
    names = list(results["variants"])
    for name in names:
        curves = histories[name]
        length = min(len(c) for c in curves)
        stack = (100 if percent else 1) * numpy.array([c[:length] for c in curves])
        epochs = numpy.arange(1, length + 1)
        mean = stack.mean(axis=0)
        spread = stack.std(axis=0, ddof=1) if len(stack) > 1 else numpy.zeros(length)
        curves_ax.plot(epochs, mean, label=name, marker="." if length < 4 else None)
        curves_ax.fill_between(epochs, mean - spread, mean + spread, alpha=0.2)
    target = EXPERIMENTS[results["name"]].target
    if column == "train_top1" and target is not None:
        curves_ax.axhline(100 * target, color="grey", linestyle=":",
                          label=f"target: {100 * target:g}% training error")
    for i, epoch in enumerate(cut_epochs):
        curves_ax.axvline(epoch - 0.5, color="grey", linestyle=":",
                          label=None if i else "learning rate divided by 10")
    curves_ax.set(xlabel="epoch", ylabel=_CURVES[column] + (" (%)" if percent else ""),
                  title="mean over seeds, ± one standard deviation")
    curves_ax.legend(fontsize=8)
    metric = results["claim"]["metric"]
    scale = 1 if metric == "epochs_to_target" else 100
    means = [scale * results["variants"][n]["mean"] for n in names]
    stds = [scale * results["variants"][n]["std"] for n in names]
    bars_ax.bar(names, means, yerr=stds, capsize=4, color="tab:blue", alpha=0.7)
    bars_ax.set(ylabel=METRIC_NAMES[metric] + ("" if scale == 1 else " (%)"),
                title=f"verdict on the paper's claim: {results['verdict']}")
    bars_ax.tick_params(axis="x", labelsize=7, labelrotation=20)
    figure.suptitle(f"{results['name']}: {results['question']}", fontsize=9)
    figure.tight_layout()
    viz.save_png(figure, out_png)


_CURVES = {"val_top1": "validation top-1 error", "train_top1": "training top-1 error",
           "train_loss": "training loss (mean over the epoch)"}


def claims_table(results_root=os.path.join("experiments", "results")):
    """The README's table "The paper's claims, measured", as Markdown rows, from the committed
    ``results.json`` files (one row each, in :data:`EXPERIMENTS` order): the claim, the
    paper's section, each variant's mean and spread, the verdict and the command."""
    rows = ["| experiment | the paper says | measured here (mean ± std over seeds) | verdict "
            "| command |", "| --- | --- | --- | --- | --- |"]
    for name in EXPERIMENTS:
        path = os.path.join(results_root, name, "results.json")
        if not os.path.exists(path):
            continue
        results = _read_json(path)
        claim, metric = results["claim"], results["claim"]["metric"]
        measured = "; ".join(
            f"{variant} **{format_metric(metric, summary['mean'])} ± "
            f"{format_metric(metric, summary['std'], unit=False)}**"
            for variant, summary in results["variants"].items())
        seeds = {len(s["seeds"]) for s in results["variants"].values()}
        rows.append(f"| `{name}` | {claim['text']} ({claim['section']}) | "
                    f"{METRIC_NAMES[metric]}, {'/'.join(map(str, sorted(seeds)))} seeds: {measured} | "
                    f"{results['verdict']} | `{_reproducing(results['provenance']['command'])}` |")
    return "\n".join(rows)


def _reproducing(command):
    """The recorded command without the options that only say where files went."""
    words, kept = command.split(), []
    while words:
        word = words.pop(0)
        if word in ("--out", "--results"):
            words.pop(0)
        elif word != "--report":
            kept.append(word)
    return " ".join(kept)


METRIC_NAMES = {"top1_error": "test top-1 error",
            "epochs_to_target": "epochs to the target training error"}


def format_metric(metric, value, unit=True):
    """An error as a percentage, an epoch count as it is."""
    if metric == "epochs_to_target":
        return f"{value:.1f}"
    return f"{100 * value:.1f}" + ("%" if unit else "")
