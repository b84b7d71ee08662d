"""``unspin scan``: check whole corpora into Parquet shards, locally or on Ray."""
from __future__ import annotations

import argparse
import json
import sys

from unspin.ingest import DEFAULT_MAX_BYTES
from unspin.pipeline import DEFAULT_PROFILE, PROFILES


def cmd_scan(args: argparse.Namespace) -> int:
    from unspin.scan import ScanError, format_summary, scan

    try:
        summary = scan(args.inputs, args.output, index=args.index, profile=args.profile, workers=args.workers,
                       engine=args.engine, address=args.address, shard_size=args.shard_size,
                       text_field=args.text_field, id_field=args.id_field, max_bytes=args.max_bytes,
                       group=args.group, progress=args.progress, retries=args.retries)
    except ScanError as e:
        print(f"unspin scan: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(format_summary(summary), file=sys.stderr)
    return 0 if summary["complete"] else 1


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scan", help="scan corpora (JSONL, Parquet, text folders, WARC/WET) into Parquet shards",
        description="Check every document of the inputs; write one Parquet row per document "
                    "(OUTPUT/shards/*.parquet), groups of copies (OUTPUT/groups.parquet) and a summary "
                    "(OUTPUT/summary.json). Rerun the same command to resume after a crash.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files or folders: .jsonl[.gz|.zst], .parquet, .warc[.gz]/.wet[.gz]; "
                        "any other file is plain text")
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="output folder (resumes if it holds this scan)")
    p.add_argument("--index", metavar="DIR", help="attribution index: add the best source match per document")
    p.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE, help="scoring profile (default %(default)s)")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: processes on this machine (default); ray: Ray tasks")
    p.add_argument("--address", metavar="RAY_ADDRESS",
                   help="an existing Ray cluster (auto, or ray://head:10001); default: start Ray locally")
    p.add_argument("--shard-size", type=int, default=None, metavar="N",
                   help="records per shard (default: from the input size, 10 to 500)")
    p.add_argument("--text-field", "--text-column", default="text", help="JSONL field / Parquet column with the text")
    p.add_argument("--id-field", "--id-column", default="id", help="JSONL field / Parquet column with the id")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help="record larger documents as errors (default %(default)s)")
    p.add_argument("--no-group", dest="group", action="store_false", help="skip grouping copies")
    p.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto",
                   help="auto: a bar on a terminal, log lines otherwise")
    p.add_argument("--retries", type=int, default=2, help="re-runs of a failing shard (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=cmd_scan)
