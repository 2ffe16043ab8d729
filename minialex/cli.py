"""The ``minialex`` command (also ``python -m minialex``)."""

import argparse
import json
import math
import os
import sys

import numpy

from . import __version__, data, distributed, recipe, runs, viz
from . import experiment as experiments
from .backend import Device, to_device
from .gradcheck import gradcheck, standard_cases
from .recipe import CHOICES, DATASETS, MODELS
from .train import evaluate, load_checkpoint


def cmd_gradcheck(args):
    """Gradient-check every layer at small shapes in float64 and print a table."""
    device = Device(args.device)
    rows, failed = [], 0
    for label, layer, x, extra in standard_cases(args.seed):
        layer.to(device)
        x = to_device(x, device)
        extra = tuple(to_device(a, device) for a in extra)
        errors = gradcheck(layer, x, *extra, tol=args.tol, directions=args.directions,
                           raise_on_failure=False)
        for tensor, error in errors.items():
            ok = error <= args.tol
            failed += not ok
            rows.append((label, tensor, error, "pass" if ok else "FAIL"))
    width = max(len(r[0]) for r in rows)
    print(f"float64 central differences on {device}, tolerance {args.tol:.0e}"
          + (f", {args.directions} random directions per tensor" if args.directions else ""))
    print()
    print(f"| {'layer':<{width}} | tensor | worst rel. error | result |")
    print(f"| {'-' * width} | ------ | ---------------: | ------ |")
    for label, tensor, error, verdict in rows:
        print(f"| {label:<{width}} | {tensor:<6} | {error:16.2e} | {verdict:<6} |")
    print()
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _devices(text):
    devices = [d.strip() for d in text.split(",") if d.strip()]
    if len(devices) != 2:
        raise argparse.ArgumentTypeError(f"expected two devices such as cuda:0,cuda:1, got {text!r}")
    return devices


def _run_artefacts(run_dir, model, config, preprocess, neighbours, log=print):
    """curves.png, filters.png and (when asked) neighbours.png of a run."""
    written = [viz.plot_curves(os.path.join(run_dir, "history.csv"),
                               os.path.join(run_dir, "curves.png"))]
    state = model.state_dict()
    # Figure 3 draws the two columns' conv1 kernels apart: conv2 reads them in two groups
    groups = 2 if config["columns"] == "two" else 1
    start = recipe.build_model(config, config["num_classes"], towers=1, device="cpu")
    written.append(viz.plot_filters(state["conv1.weight"], os.path.join(run_dir, "filters.png"),
                                    towers=groups, initial=start.state_dict()["conv1.weight"]))
    if neighbours:
        one_tower = recipe.build_model(config, config["num_classes"], towers=1, device="cpu")
        one_tower.load_state_dict(state)
        one_tower.eval()
        train_images, train_labels, classes = recipe.load_split(config, "train")
        test_images, test_labels, _ = recipe.load_split(config, "test")
        pick = data.stratified_subset(train_labels, 2000, seed=config["seed"])
        bank, bank_labels = train_images[pick], train_labels[pick]   # every class, not the first
        shown = data.stratified_subset(test_labels, 8, seed=config["seed"])
        queries, test_labels = test_images[shown], test_labels[shown]
        penultimate = one_tower.layers()[-2][0]
        bank_features = numpy.concatenate([
            viz.features(one_tower, preprocess.test(bank[i:i + 256]), penultimate)
            for i in range(0, len(bank), 256)])
        query_features = viz.features(one_tower, preprocess.test(queries), penultimate)
        nearest = viz.nearest_neighbours(query_features, bank_features, k=6)
        _, crop = recipe.image_sizes(config)
        written.append(viz.plot_neighbours(data.center_crop(queries, crop),
                                           data.center_crop(bank, crop), nearest,
                                           os.path.join(run_dir, "neighbours.png"),
                                           test_labels, bank_labels, classes))
    for path in written:
        log(f"wrote {path}")
    return written


def cmd_train(args):
    """Train a model (defaults: alexnet_cifar on the built-in shapes data, a few minutes on a CPU)."""
    given = {k: getattr(args, k) for k in recipe.DEFAULTS if getattr(args, k, None) is not None}
    for key in recipe.FROM_THE_DATA:
        given.pop(key, None)
    config = None if args.resume else recipe.complete(given)
    comm = None
    if args.distributed:
        comm = distributed.mpi_world()
        if config is not None:
            distributed.check_batch(config["batch_size"], comm.size)
        if comm.rank != 0:                  # worker 0 claims the folder; the others follow
            out = comm.broadcast(None)
            if isinstance(out, Exception):
                raise out
            return _train(args, given, config, out, comm)
    try:
        out, lock = runs.claim(args.out, _default_out(config or given), args.resume,
                               args.overwrite)
    except (ValueError, RuntimeError, OSError) as error:
        if comm is not None:
            comm.broadcast(RuntimeError(f"worker 0 could not start: {_one_line(error)}"))
        raise
    if comm is not None:
        comm.broadcast(out)
    try:
        return _train(args, given, config, out, comm)
    finally:
        runs.release_and_tidy(out, lock)


def _train(args, given, config, out, comm=None):
    run = recipe.run_training(config, out, resume=args.resume, given=given,
                              overwrite=args.overwrite, progress=not args.no_progress,
                              distributed=comm)
    if run.test is None:
        return 130                                  # interrupted; the checkpoint is saved
    if comm is not None and comm.rank != 0:
        return 0                                    # worker 0 reports and draws
    test = run.test
    print(f"test: top-1 error {100 * test['top1_error']:.2f}%, top-5 error "
          f"{100 * test['top5_error']:.2f}% on {test['n']} images "
          f"(accuracy {100 * (1 - test['top1_error']):.2f}%)")
    _run_artefacts(out, run.model, run.config, run.preprocess, args.neighbours)
    return 0


def _default_out(config):
    """``runs/MODEL-DATASET``; each new run without --out takes the next free ``-N``."""
    return os.path.join("runs", f"{config.get('model', recipe.DEFAULTS['model'])}-"
                                f"{config.get('dataset', recipe.DEFAULTS['dataset'])}")


def cmd_eval(args):
    """Top-1 and top-5 error of a checkpoint on a data split."""
    checkpoint = load_checkpoint(args.checkpoint)
    config = _saved_config(checkpoint)
    trained_on = config["dataset"]
    for key in ("dataset", "data_dir", "download", "skip_corrupt"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    preprocess = data.Preprocess.from_dict(checkpoint["preprocess"])
    model = recipe.build_model(config, config["num_classes"], towers=1, device=args.device)
    model.load_state_dict(checkpoint["model"])
    # Data of another set is read by its own class list; check_fits then compares the two.
    reading = config if config["dataset"] == trained_on else dict(config, class_names=None)
    if args.split == "val":
        images, labels, classes = recipe.load_split(reading, "train")
        recipe.check_fits(config, trained_on, preprocess, images, classes)
        _, val_idx = data.train_val_split(len(labels), config["val_fraction"], config["seed"])
        if not len(val_idx):
            raise ValueError("the run kept no validation images (val_fraction 0)")
        images, labels = images[val_idx], labels[val_idx]
    else:
        images, labels, classes = recipe.load_split(reading, "test")
        recipe.check_fits(config, trained_on, preprocess, images, classes)
    transform = recipe.ten_crop_transform(preprocess) if args.ten_crop else preprocess.test
    result = evaluate(model, data.Loader(images, labels, 100, shuffle=False,
                                         transform=transform, device=args.device),
                      ten_crop=args.ten_crop)
    print(f"{config['model']} on {config['dataset']} {args.split}"
          + (" (ten crops)" if args.ten_crop else "") + f": top-1 error "
          f"{100 * result['top1_error']:.2f}%, top-5 error {100 * result['top5_error']:.2f}% "
          f"({result['n']} images)")
    if args.json:
        print(json.dumps({"top1_error": result["top1_error"], "top5_error": result["top5_error"],
                          "n": result["n"]}))
    return 0


def cmd_plot(args):
    """Draw curves.png, filters.png (and neighbours.png) of a run folder."""
    checkpoint = load_checkpoint(os.path.join(args.run_dir, "checkpoint.npz"))
    config = _saved_config(checkpoint)
    for key in ("data_dir", "download"):            # the data moved since the run
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    model = recipe.build_model(config, config["num_classes"], towers=1, device="cpu")
    model.load_state_dict(checkpoint["model"])
    _run_artefacts(args.run_dir, model, config, data.Preprocess.from_dict(checkpoint["preprocess"]),
                   args.neighbours)
    return 0


def _saved_config(checkpoint):
    """The config a checkpoint was trained with (``recipe.saved_config``)."""
    return recipe.saved_config(checkpoint["meta"]["config"])


def cmd_experiment(args):
    """Measure one of the paper's claims over variants and seeds (--list names them)."""
    if args.table:
        print(experiments.claims_table())
        return 0
    if args.list or args.name is None:
        for name, e in experiments.EXPERIMENTS.items():
            print(f"{name:<14} {e.section:<6} {e.question}")
        return 0 if args.list else 2
    if args.name not in experiments.EXPERIMENTS:
        raise ValueError(f"no experiment named {args.name!r}; minialex experiment --list "
                         "names them")
    out = args.out or os.path.join("runs", "experiments", args.name)
    if not args.report:
        experiments.run_experiment(args.name, seeds=args.seeds, epochs=args.epochs,
                                   data_dir=args.data_dir, device=args.device, out=out,
                                   quick=args.quick)
    if args.quick and args.results is None:
        raise ValueError("--quick results are for tests only: give --results FOLDER (they are "
                         "never written into experiments/results)")
    results = experiments.report(args.name, out, args.results, quick=args.quick,
                                 command="minialex " + " ".join(args.argv))
    metric = results["claim"]["metric"]
    for variant, summary in results["variants"].items():
        print(f"{variant:<24} {experiments.METRIC_NAMES[metric]}: "
              f"{experiments.format_metric(metric, summary['mean'])} ± "
              f"{experiments.format_metric(metric, summary['std'], unit=False)} over "
              f"{len(summary['seeds'])} seed(s)")
    print(f"the paper: {results['claim']['text']} ({results['claim']['section']}); "
          f"verdict: {results['verdict']}")
    return 0


def cmd_summary(args):
    """Print a model's layers: output shapes, parameters and multiply-adds per image."""
    entry = MODELS[args.model]
    size = entry.input_size
    kwargs = {"towers": args.towers} if args.towers != 1 else {}
    if args.towers not in entry.towers:
        raise ValueError(f"{args.model} has one tower (--towers 1)")
    if args.input_size:
        if args.model != "alexnet":
            raise ValueError("--input-size applies to alexnet only")
        kwargs["input_size"] = size = args.input_size
    if args.norm:
        kwargs["norm"] = args.norm
    if args.columns:
        if "columns" not in entry.options:
            raise ValueError(f"{args.model} has one column: --columns applies to alexnet and "
                             "alexnet_cifar")
        kwargs["columns"] = args.columns
    model = entry.build(**kwargs)
    input_shape = (3, size, size)
    print(f"{args.model}, input {input_shape}" + (f", {args.towers} towers" if args.towers > 1
                                                  else ""))
    model.summary(input_shape)
    return 0


def _integer(minimum):
    """An argparse type: an integer >= ``minimum`` (argparse names the flag on error)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value
    parse.__name__ = "integer"
    return parse


def _number(low, high=None, open_high=False):
    """An argparse type: a finite number > ``low`` (or in [low, high) when ``open_high``)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or (value < low if open_high else value <= low) or \
                (high is not None and value >= high):
            wanted = f"in [{low}, {high})" if open_high else f"a finite number above {low}"
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text}")
        return value
    parse.__name__ = "number"
    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minialex", description="AlexNet in NumPy, every pass written out by hand.")
    parser.add_argument("--version", action="version", version=f"minialex {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser("gradcheck", help=cmd_gradcheck.__doc__,
                                description=cmd_gradcheck.__doc__)
    check.add_argument("--device", default="cpu", help="cpu (default) or cuda:N")
    check.add_argument("--tol", type=_number(0.0, open_high=True), default=1e-7,
                       help="largest worst relative error that passes (default 1e-7)")
    check.add_argument("--directions", type=_integer(1), default=None,
                       help="check K random directions per tensor instead of every element")
    check.add_argument("--seed", type=_integer(0), default=0,
                       help="seeds the inputs, the upstream gradients and the directions")
    check.set_defaults(run=cmd_gradcheck)

    summary = commands.add_parser("summary", help=cmd_summary.__doc__,
                                  description=cmd_summary.__doc__)
    summary.add_argument("--model", choices=sorted(MODELS), default="alexnet",
                         help="which network (default alexnet)")
    summary.add_argument("--towers", type=int, choices=(1, 2), default=1,
                         help="2: split over two devices as in Figure 2, crossings shown")
    summary.add_argument("--input-size", type=int, choices=(224, 227), default=None,
                         help="alexnet only: 227 (default) or the paper's 224")
    summary.add_argument("--norm", choices=CHOICES["norm"],
                         help="lrn (the model's default but figure1_net's), batchnorm or none")
    summary.add_argument("--columns", choices=CHOICES["columns"],
                         help=recipe.CHOICE_HELP["columns"])
    summary.set_defaults(run=cmd_summary)

    train = commands.add_parser("train", help=cmd_train.__doc__, description=cmd_train.__doc__)
    train.add_argument("--model", choices=sorted(MODELS), help="default alexnet_cifar")
    train.add_argument("--dataset", choices=DATASETS, help="default shapes (built in)")
    train.add_argument("--data-dir", dest="data_dir", help="folder holding the dataset")
    train.add_argument("--download", action="store_true", default=None,
                       help="cifar10: fetch the official archive when --data-dir lacks it")
    train.add_argument("--skip-corrupt", dest="skip_corrupt", action="store_true", default=None,
                       help="leave out images that cannot be decoded (a warning names each) "
                            "instead of stopping")
    train.add_argument("--epochs", type=_integer(1),
                       help="train until this many epochs are done (default: the dataset's)")
    train.add_argument("--batch-size", dest="batch_size", type=_integer(1),
                       help="images per SGD step (default 128; 32 on shapes)")
    train.add_argument("--lr", type=_number(0.0),
                       help="initial learning rate (default 0.01; 0.02 on shapes)")
    for key, text in recipe.CHOICE_HELP.items():        # the run's choices, one flag each
        train.add_argument(recipe.flag(key), choices=CHOICES[key], help=text,
                           type=int if key == "towers" else str)
    train.add_argument("--init-from", dest="init_from", metavar="RUN",
                       help="fine-tune: start from this run's weights (a run folder or its "
                            "checkpoint.npz), all but the classifier's; same model and choices")
    train.add_argument("--seed", type=_integer(0),
                       help="fixes the weights, the data order, augmentation and dropout "
                            "(default 0)")
    train.add_argument("--device", help="cpu (default) or cuda:N")
    train.add_argument("--devices", type=_devices,
                       help="with --towers 2: the two towers' devices, e.g. cuda:0,cuda:1")
    train.add_argument("--val-fraction", dest="val_fraction",
                       type=_number(0.0, 1.0, open_high=True),
                       help="held-out part of the training set (default 0.1)")
    train.add_argument("--ten-crop", dest="ten_crop", action="store_true", default=None,
                       help="validate on ten crops")
    train.add_argument("--limit", type=_integer(1),
                       help="use only N images of each split, every class in proportion (a "
                            "quick run)")
    train.add_argument("--out", help="run folder (default: the next free runs/MODEL-DATASET, "
                                     "-2, -3, ...)")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out (default: the latest default folder)")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the run --out holds (its checkpoint, history and plots)")
    train.add_argument("--neighbours", action="store_true", help="also draw neighbours.png")
    train.add_argument("--distributed", action="store_true",
                       help="data-parallel over the processes of mpiexec -n N (needs the mpi "
                            "extra); --batch-size stays the global batch")
    train.add_argument("--no-progress", dest="no_progress", action="store_true",
                       help="no progress bar")
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("eval", help=cmd_eval.__doc__, description=cmd_eval.__doc__)
    evaluate.add_argument("--checkpoint", required=True, help="a checkpoint.npz of a run")
    evaluate.add_argument("--dataset", choices=DATASETS,
                          help="default: the one the run was trained on")
    evaluate.add_argument("--data-dir", dest="data_dir",
                          help="where the data is now (default: where the run read it)")
    evaluate.add_argument("--skip-corrupt", dest="skip_corrupt", action="store_true",
                          default=None, help="leave out images that cannot be decoded")
    evaluate.add_argument("--download", action="store_true", default=None,
                          help="cifar10: fetch the official archive when --data-dir lacks it")
    evaluate.add_argument("--split", choices=("test", "val"), default="test",
                          help="test (default) or the run's held-out validation images")
    evaluate.add_argument("--ten-crop", action="store_true",
                          help="average the softmax over ten crops (§4.1)")
    evaluate.add_argument("--device", default="cpu", help="cpu (default) or cuda:N")
    evaluate.add_argument("--json", action="store_true",
                          help="last line: {\"top1_error\": f, \"top5_error\": f, \"n\": N}")
    evaluate.set_defaults(run=cmd_eval)

    experiment = commands.add_parser("experiment", help=cmd_experiment.__doc__,
                                     description=cmd_experiment.__doc__)
    experiment.add_argument("name", nargs="?", metavar="NAME", help="which experiment")
    experiment.add_argument("--list", action="store_true", help="name every experiment")
    experiment.add_argument("--table", action="store_true",
                            help="print the README's table of the committed results")
    experiment.add_argument("--seeds", type=_integer(1), default=3,
                            help="seeds per variant (default 3)")
    experiment.add_argument("--epochs", type=_integer(1),
                            help="epochs per run (default: the experiment's)")
    experiment.add_argument("--data-dir", dest="data_dir", help="folder holding the dataset")
    experiment.add_argument("--device", default="cpu", help="cpu (default) or cuda:N")
    experiment.add_argument("--out", help="run folders (default runs/experiments/NAME)")
    experiment.add_argument("--results", help="where results.json and results.png go "
                                              "(default experiments/results/NAME)")
    experiment.add_argument("--report", action="store_true",
                            help="only write the results from the finished runs")
    experiment.add_argument("--quick", action="store_true",
                            help="Shapes and a few images, seconds a run: for tests only")
    experiment.set_defaults(run=cmd_experiment)

    plot = commands.add_parser("plot", help=cmd_plot.__doc__, description=cmd_plot.__doc__)
    plot.add_argument("run_dir", metavar="RUN", help="a run folder written by minialex train")
    plot.add_argument("--neighbours", action="store_true",
                      help="also draw neighbours.png (Figure 4); reads the run's data")
    plot.add_argument("--data-dir", dest="data_dir",
                      help="where the run's data is now (default: where the run read it)")
    plot.add_argument("--download", action="store_true", default=None,
                      help="cifar10: fetch the official archive when --data-dir lacks it")
    plot.set_defaults(run=cmd_plot)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.run(args)
    except (ValueError, RuntimeError, OSError) as error:
        # The one error path for what a user can fix (bad input, missing or corrupt files, a
        # full disk): one line on stderr, no traceback, exit 2.
        print(f"minialex {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"minialex {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(error):
    text = str(error) if not isinstance(error, OSError) or not error.strerror else \
        error.strerror
    if isinstance(error, OSError) and error.filename and str(error.filename) not in text:
        text += f": {error.filename}"
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
