"""``unspin spin``: simulate an article spinner (for testing detectors).

Register with ``register(subparsers)`` from the main CLI's argparse subparsers.
"""
from __future__ import annotations

import argparse
import json
import sys

from unspin.eval.simulator import STYLES


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "spin", help="for testing detectors: simulate an article spinner",
        description="For testing detectors: simulate an article spinner. Prints the spun text; "
                    "--gold writes the exact alignment (edits with offsets) as JSON.")
    p.add_argument("path", metavar="PATH", help="text file to spin, or - for standard input")
    p.add_argument("--style", choices=STYLES, default="mixed",
                   help=f"{', '.join(STYLES)} (default: mixed)")
    p.add_argument("--rate", type=float, default=0.3,
                   help="fraction of eligible words to substitute, 0-1 (default: 0.3)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-spin-quotes", dest="spin_quotes", action="store_false",
                   help="leave text inside quotation marks untouched")
    p.add_argument("--gold", metavar="FILE", help="write the gold alignment as JSON to FILE")
    p.set_defaults(func=run_spin)
    return p


def run_spin(args) -> int:
    from unspin.eval.simulator import Spinner

    if not 0.0 <= args.rate <= 1.0:
        print("unspin spin: --rate must be within [0, 1]", file=sys.stderr)
        return 2
    try:
        if args.path == "-":
            text = sys.stdin.read()
        else:
            with open(args.path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        print(f"unspin spin: cannot read {args.path}: {exc.strerror}", file=sys.stderr)
        return 2
    result = Spinner(args.style, args.rate, args.seed, spin_quotes=args.spin_quotes).spin(text)
    sys.stdout.write(result.spun)
    if result.spun and not result.spun.endswith("\n"):
        sys.stdout.write("\n")
    if args.gold:
        gold = {"style": args.style, "rate": args.rate, "seed": args.seed,
                "spin_quotes": args.spin_quotes, **result.to_dict()}
        try:
            with open(args.gold, "w", encoding="utf-8") as fh:
                json.dump(gold, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
        except OSError as exc:
            print(f"unspin spin: cannot write {args.gold}: {exc.strerror}", file=sys.stderr)
            return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m unspin.eval.spin_cli spin ...``) until the main CLI registers it."""
    ap = argparse.ArgumentParser(prog="unspin")
    sub = ap.add_subparsers(dest="command", required=True)
    register(sub)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
