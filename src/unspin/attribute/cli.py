"""``unspin index build|add`` and ``unspin find``: the command line of source attribution."""
from __future__ import annotations

import argparse
import json
import sys
import time

from unspin.ingest import DEFAULT_MAX_BYTES, InputError, read_inputs


def _index_inputs(args: argparse.Namespace, create: bool) -> int:
    from unspin.attribute.index import SourceIndex, SourceIndexError
    from unspin.attribute.inputs import input_key, read_records

    try:
        index = SourceIndex(args.index, create=create)
    except SourceIndexError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return 2
    status = 0
    with index:
        for path in args.input:
            key = input_key(path)
            done, finished = index.resume_point(key) if key else (0, False)
            if finished:
                print(f"unspin: {path}: already indexed ({done} records), skipped", file=sys.stderr)
                continue
            if done:
                print(f"unspin: {path}: resuming after {done} committed records", file=sys.stderr)
            t0 = time.perf_counter()
            counted, unreadable = [0], [0]

            def counting(records):
                for rec in records:
                    counted[0] += 1
                    yield rec

            def report(rec) -> None:  # an unreadable record: said here, counted as read, not indexed
                unreadable[0] += 1
                print(f"unspin: {path}: record {rec.position} ({rec.id}): {rec.error}; skipped", file=sys.stderr)
            try:
                records = read_records(path, skip=done, max_bytes=args.max_bytes, on_error=report)
                added = index.add_many(counting(records), batch_size=args.batch_size, input_key=key, skip=done)
            except (InputError, OSError) as e:
                print(f"unspin: {e}", file=sys.stderr)
                status = 2
                continue
            dt = time.perf_counter() - t0
            dup = counted[0] - unreadable[0] - added
            print(f"unspin: {path}: {added} documents indexed in {dt:.1f} s ({added / max(dt, 1e-9):.0f}/s)"
                  + (f", {dup} skipped (id already indexed)" if dup else "")
                  + (f", {unreadable[0]} unreadable skipped" if unreadable[0] else "") + f"; index holds {len(index)}",
                  file=sys.stderr)
    return status


def cmd_index_build(args: argparse.Namespace) -> int:
    return _index_inputs(args, create=True)


def cmd_index_add(args: argparse.Namespace) -> int:
    return _index_inputs(args, create=False)


def _render_match(m) -> list[str]:
    from unspin.attribute.align import substitutions

    diff = substitutions(m.alignment)
    lines = [f"  {m.id}  similarity {m.score:.2f}  ({len(diff)} difference{'s' if len(diff) != 1 else ''})"]
    for o in diff:
        lines.append(f"    {o['spun'][0]:>6}-{o['spun'][1]:<6} {o['spun_text']!r:<30} <- {o['source_text']!r}")
    return lines


def cmd_find(args: argparse.Namespace) -> int:
    from unspin.attribute.index import SourceIndex, SourceIndexError

    try:
        index = SourceIndex(args.index, create=False)
    except SourceIndexError as e:
        print(f"unspin: {e}", file=sys.stderr)
        return 2
    with index:
        if args.self:
            groups = index.clusters(threshold=args.threshold)
            if args.json:
                print(json.dumps({"clusters": [{"size": len(g), "members": [{"id": i, "score": round(s, 4)} for i, s in g]}
                                               for g in groups]}, ensure_ascii=False))
            else:
                print(f"{len(groups)} cluster{'s' if len(groups) != 1 else ''} of copies")
                for g in groups:
                    print(f"{len(g)}: " + ", ".join(f"{i} ({s:.2f})" for i, s in g))
            return 0
        failed: list[str] = []
        for name, text, _ in read_inputs(args.paths, args.max_bytes, failed):
            matches = index.find(text, k=args.k, threshold=args.threshold)
            if args.json:
                print(json.dumps({"id": name, "matches": [m.to_dict() for m in matches]}, ensure_ascii=False), flush=True)
            else:
                print(f"{name}: " + (f"{len(matches)} source{'s' if len(matches) != 1 else ''} found" if matches
                                     else f"no source above similarity {index.threshold if args.threshold is None else args.threshold:.2f}"))
                for m in matches:
                    print("\n".join(_render_match(m)))
                print(flush=True)
    return 2 if failed else 0


def register(subparsers) -> None:
    ix = subparsers.add_parser("index", help="build or extend a source index for attribution")
    ixs = ix.add_subparsers(dest="index_command", required=True)
    for name, func, text in (("build", cmd_index_build, "create an index (or resume an interrupted build)"),
                             ("add", cmd_index_add, "append documents to an existing index")):
        p = ixs.add_parser(name, help=text, description=text + ". Inputs, read as `unspin scan` reads them: "
                           "JSONL ({\"id\", \"text\"} a line; .jsonl[.gz|.zst], .json; - for stdin), Parquet "
                           "(id, text columns), WARC/WET, a folder of .txt files, or a text/HTML file. A record "
                           "that cannot be read is reported and skipped; an input interrupted mid-way resumes "
                           "after its last committed batch.")
        p.add_argument("--input", action="append", required=True, metavar="CORPUS", help="corpus (repeatable)")
        p.add_argument("--index", required=True, metavar="DIR", help="index folder")
        p.add_argument("--batch-size", type=int, default=2000, help="documents per transaction (default %(default)s)")
        p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                       help="skip larger documents as unreadable (default %(default)s)")
        p.set_defaults(func=func)
    f = subparsers.add_parser("find", help="find the sources of spun documents in an index")
    f.add_argument("paths", nargs="*", metavar="PATH", help="documents to attribute; - (or nothing) reads stdin")
    f.add_argument("--index", required=True, metavar="DIR", help="index folder")
    f.add_argument("-k", type=int, default=5, help="sources to return per document (default %(default)s)")
    f.add_argument("--threshold", type=float, default=None,
                   help="minimum similarity (default: the index's calibrated threshold)")
    f.add_argument("--self", action="store_true", help="group the copies of one source found inside the index")
    f.add_argument("--json", action="store_true", help="one JSON object per document (or one for --self)")
    f.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse larger inputs (default %(default)s)")
    f.set_defaults(func=cmd_find)
