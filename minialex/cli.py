"""The ``minialex`` command (also ``python -m minialex``)."""

import argparse
import sys

from . import __version__


def cmd_gradcheck(args):
    """Gradient-check every layer at small shapes in float64 and print a table."""
    from .backend import Device, to_device
    from .gradcheck import gradcheck, standard_cases

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


MODELS = {
    "alexnet": ("alexnet", (3, 227, 227)),
    "alexnet_cifar": ("alexnet_cifar", (3, 32, 32)),
    "figure1_net": ("figure1_net", (3, 32, 32)),
}


def cmd_summary(args):
    """Print a model's layers: output shapes, parameters and multiply-adds per image."""
    from . import models

    name, input_shape = MODELS[args.model]
    kwargs = {"towers": args.towers} if args.towers != 1 else {}
    if args.towers != 1 and args.model == "figure1_net":
        raise ValueError("figure1_net has one tower")
    if args.model == "alexnet" and args.input_size:
        kwargs["input_size"] = args.input_size
        input_shape = (3, args.input_size, args.input_size)
    model = getattr(models, name)(**kwargs)
    print(f"{args.model}, input {input_shape}" + (f", {args.towers} towers" if args.towers > 1
                                                  else ""))
    model.summary(input_shape)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minialex", description="AlexNet in NumPy, every pass written out by hand.")
    parser.add_argument("--version", action="version", version=f"minialex {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    check = commands.add_parser("gradcheck", help=cmd_gradcheck.__doc__,
                                description=cmd_gradcheck.__doc__)
    check.add_argument("--device", default="cpu", help="cpu (default) or cuda:N")
    check.add_argument("--tol", type=float, default=1e-7,
                       help="largest worst relative error that passes (default 1e-7)")
    check.add_argument("--directions", type=int, default=None,
                       help="check K random directions per tensor instead of every element")
    check.add_argument("--seed", type=int, default=0)
    check.set_defaults(run=cmd_gradcheck)

    summary = commands.add_parser("summary", help=cmd_summary.__doc__,
                                  description=cmd_summary.__doc__)
    summary.add_argument("--model", choices=sorted(MODELS), default="alexnet")
    summary.add_argument("--towers", type=int, choices=(1, 2), default=1)
    summary.add_argument("--input-size", type=int, choices=(224, 227), default=None,
                         help="alexnet only: 227 (default) or the paper's 224")
    summary.set_defaults(run=cmd_summary)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, RuntimeError) as error:
        print(f"minialex {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
