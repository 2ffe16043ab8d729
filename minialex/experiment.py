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
    quick: dict = field(default_factory=lambda: {"dataset": "shapes", "limit": 40,
                                                 "batch_size": 20, "epochs": 1})


CIFAR = {"dataset": "cifar10"}
EXPERIMENTS = {e.name: e for e in [
    Experiment("lrn", "Does local response normalisation lower the error (and does it still "
               "matter next to batch normalisation)?",
               "a four-layer CNN: 13% test error without normalisation, 11% with",
               "§3.3", {**CIFAR, "model": "figure1_net"},
               {"none": {"norm": "none"}, "lrn": {"norm": "lrn"},
                "batchnorm": {"norm": "batchnorm"}}, better="lrn", worse="none", epochs=30),
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
    Experiment("init", "Does the paper's initialisation (N(0, 0.01²), biases of 1) train as "
               "well as biases of 0, or He's?",
               "biases of 1 accelerate the early stages of learning", "§5",
               {**CIFAR, "model": "alexnet_cifar"},
               {"paper": {"init": "paper"}, "paper-zero-bias": {"init": "paper-zero-bias"},
                "he": {"init": "he"}}, better="paper", worse="paper-zero-bias", epochs=10),
    Experiment("lr-cut", "Does the paper's velocity form of SGD differ from PyTorch's across a "
               "learning-rate cut?", "(no claim: the paper states its rule)", "§5",
               {**CIFAR, "model": "alexnet_cifar", "schedule": "step"},
               {"paper": {"sgd": "paper"}, "pytorch": {"sgd": "pytorch"}}, epochs=9),
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
    the run folders. ``quick``: Shapes and a few images, seconds a run (for tests only)."""
    experiment = EXPERIMENTS[name]
    out = out or os.path.join("runs", "experiments", name)
    folders = []
    for variant, overrides in experiment.variants.items():
        for seed in range(seeds):
            folder = run_folder(out, variant, seed)
            folders.append(folder)
            if is_finished(folder):
                log(f"{name}: {variant}, seed {seed}: finished, skipped")
                continue
            settings = {**experiment.base, "epochs": epochs or experiment.epochs,
                        "data_dir": data_dir, "device": device, **overrides, "seed": seed}
            if quick:
                settings.update(experiment.quick)
            resume = runs.holds_a_run(folder)
            config = None if resume else recipe.complete(settings)
            lock = runs.RunLock(folder)
            lock.acquire()
            try:
                log(f"{name}: {variant}, seed {seed}" + (" (resuming)" if resume else ""))
                run = recipe.run_training(config, folder, resume=resume, progress=False,
                                          given={"epochs": settings["epochs"]},
                                          log=lambda *_: None)
            finally:
                lock.release()
            if run.test is None:
                raise KeyboardInterrupt
            _write_run_record(experiment, run, folder)
    return folders


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
    for variant in experiment.variants:
        seeds, curves = [], []
        for folder in sorted(_seed_folders(out, variant)):
            if is_finished(folder):
                seeds.append(_seed_summary(experiment, folder))
                curves.append(viz.read_history(os.path.join(folder, "history.csv"))["val_top1"])
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
        "provenance": _provenance(out, command, quick)}
    os.makedirs(results_dir, exist_ok=True)
    atomic_write(os.path.join(results_dir, "results.json"),
                 lambda f: f.write(json.dumps(results, indent=1).encode()))
    _figure(results, histories, os.path.join(results_dir, "results.png"))
    return results


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


def _figure(results, histories, out_png):
    """Mean validation error curves with the seed spread shaded, and the final test errors."""
    figure = viz.new_figure(10, 4.2)
    curves_ax, bars_ax = figure.subplots(1, 2)
    names = list(results["variants"])
    for name in names:
        curves = histories[name]
        length = min(len(c) for c in curves)
        stack = 100 * numpy.array([c[:length] for c in curves])
        epochs = numpy.arange(1, length + 1)
        mean, spread = stack.mean(axis=0), stack.std(axis=0)
        curves_ax.plot(epochs, mean, label=name)
        curves_ax.fill_between(epochs, mean - spread, mean + spread, alpha=0.2)
    curves_ax.set(xlabel="epoch", ylabel="validation top-1 error (%)",
                  title="mean over seeds, ± one standard deviation")
    curves_ax.legend(fontsize=8)
    means = [100 * results["variants"][n]["mean"] for n in names]
    stds = [100 * results["variants"][n]["std"] for n in names]
    bars_ax.bar(names, means, yerr=stds, capsize=4, color="tab:blue", alpha=0.7)
    bars_ax.set(ylabel=f"test {results['claim']['metric'].replace('_', ' ')} (%)",
                title=f"verdict on the paper's claim: {results['verdict']}")
    figure.suptitle(f"{results['name']}: {results['question']}", fontsize=9)
    figure.tight_layout()
    viz.save_png(figure, out_png)
