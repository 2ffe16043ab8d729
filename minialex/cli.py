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
