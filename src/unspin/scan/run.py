"""``scan()``: plan the shards of a set of inputs, run them on an engine, resume after a crash,
group copies, and summarise.

Exactness: the plan (inputs, record counts, shards) is written once, atomically, as
``manifest.json``; a rerun of the same command reads it back and runs only the shards without a valid
completion marker. Every shard covers fixed record positions, so the final output has each document
exactly once, and the summary checks that (input, record) is unique over all shards.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from unspin.ingest import DEFAULT_MAX_BYTES
from unspin.scan import writer
from unspin.scan.executors import ShardFailure, make_executor
from unspin.scan.readers import Input, PlanError, expand_inputs, plan_input
from unspin.scan.stages import ScanConfig, ScanSetupError, Shard, ShardResult, open_index, plan_shards, shard_done

MANIFEST_VERSION = 1


class ScanError(Exception):
    """The scan cannot start or finish; the message says why and what to do."""


MIN_SHARD, MAX_SHARD, TARGET_SHARDS = 10, 500, 64


def auto_shard_size(records: int) -> int:
    """Enough shards to keep every worker of a large machine busy and to resume finely, few enough
    that per-shard costs stay small: 10 to 500 records. Depends only on the inputs, so the same
    command plans the same shards on every run."""
    return max(MIN_SHARD, min(MAX_SHARD, -(-records // TARGET_SHARDS)))


def _manifest_config(config: ScanConfig, shard_size: int | None) -> dict:
    return {"profile": config.profile, "index": config.index, "text_field": config.text_field,
            "id_field": config.id_field, "max_bytes": config.max_bytes, "group": config.group,
            "shard_size": shard_size or "auto"}


def load_or_plan(paths: list[str], config: ScanConfig, shard_size: int | None, log) -> tuple[list[Input], list[Shard]]:
    """The run's plan: read back from ``manifest.json`` when resuming, else planned and written."""
    manifest = os.path.join(config.output, "manifest.json")
    files = expand_inputs(paths)
    want = _manifest_config(config, shard_size)
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as fh:
            m = json.load(fh)
        inputs = [Input.from_json(d) for d in m["inputs"]]
        if m.get("config") != want:
            diff = ", ".join(f"{k}: {m.get('config', {}).get(k)!r} -> {v!r}" for k, v in want.items()
                             if m.get("config", {}).get(k) != v)
            raise ScanError(f"{config.output} holds a scan with other settings ({diff}); "
                            f"rerun with the same options, or choose another --output")
        if [(i.name, i.path) for i in inputs] != files:
            raise ScanError(f"{config.output} holds a scan of other inputs; rerun with the same inputs, "
                            f"or choose another --output")
        for i in inputs:
            st = os.stat(i.path)
            if (st.st_size, st.st_mtime) != (i.size, i.mtime):
                raise ScanError(f"{i.name} changed since the scan in {config.output} started; "
                                f"choose another --output to scan it again")
        shards = [Shard(s["index"], [tuple(seg) for seg in s["segments"]]) for s in m["shards"]]
        return inputs, shards
    t0 = time.perf_counter()
    inputs = [plan_input(name, path, shard_size or MIN_SHARD, config.columns) for name, path in files]
    shards = plan_shards(inputs, shard_size or auto_shard_size(sum(i.records for i in inputs)))
    keep_needed_offsets(inputs, shards)
    writer.atomic_write_text(manifest, json.dumps({
        "version": MANIFEST_VERSION, "config": want, "inputs": [i.to_json() for i in inputs],
        "shards": [{"index": s.index, "segments": [list(seg) for seg in s.segments]} for s in shards]}))
    log(f"unspin scan: planned {sum(i.records for i in inputs):,} records in {len(inputs):,} input(s), "
        f"{len(shards):,} shard(s) ({time.perf_counter() - t0:.1f}s)")
    return inputs, shards


def keep_needed_offsets(inputs: list[Input], shards: list[Shard]) -> None:
    """Drop the byte offsets no shard starts from, keeping the manifest small."""
    from unspin.scan.readers import nearest_offset

    needed: dict[int, set[int]] = {}
    for s in shards:
        for i, start, _ in s.segments:
            if inputs[i].offsets:
                needed.setdefault(i, set()).add(nearest_offset(inputs[i], start)[0])
    for i, inp in enumerate(inputs):
        inp.offsets = {p: inp.offsets[p] for p in sorted(needed.get(i, ())) if p in inp.offsets}


def scan(paths: list[str], output: str, *, index: str | None = None, profile: str = "fast",
         workers: int | None = None, engine: str = "local", address: str | None = None,
         shard_size: int | None = None, text_field: str = "text", id_field: str = "id",
         max_bytes: int = DEFAULT_MAX_BYTES, group: bool = True, progress: str = "auto",
         retries: int = 2, log=None) -> dict:
    """Scan ``paths`` into Parquet shards under ``output``; returns the summary (also written to
    ``output/summary.json``). Rerunning the same call after a crash resumes where it stopped."""
    from unspin.pipeline import PROFILES
    from unspin.scan.progress import Progress

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if profile not in PROFILES:
        raise ScanError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if shard_size is not None and shard_size < 1:
        raise ScanError("--shard-size must be at least 1")
    output = os.path.abspath(output)
    config = ScanConfig(output=output, profile=profile, index=os.path.abspath(index) if index else None,
                        text_field=text_field, id_field=id_field, max_bytes=max_bytes, group=group)
    try:
        if config.index:
            open_index(config.index)  # fail now, with the message, rather than in every worker
        executor = make_executor(engine, workers, address, retries)
        os.makedirs(output, exist_ok=True)
        inputs, shards = load_or_plan(paths, config, shard_size, log)
    except (PlanError, ScanSetupError, ValueError) as e:
        raise ScanError(str(e)) from None

    writer.clean_temporaries(output)
    results: dict[int, ShardResult] = {}
    todo = []
    for s in shards:
        r = shard_done(config, s)
        if r is None:
            todo.append(s)
        else:
            results[s.index] = r
    total = sum(s.records for s in shards)
    if results:
        log(f"unspin scan: resuming, {len(results):,} of {len(shards):,} shards already done")
    bar = Progress(total, done=sum(r.records for r in results.values()), mode=progress)
    failures: list[ShardFailure] = []
    t0 = time.perf_counter()
    ran = []
    try:
        for r in executor.map(todo, inputs, config) if todo else ():
            if isinstance(r, ShardFailure):
                failures.append(r)
                log(f"unspin scan: shard {r.shard} failed: {r.error}")
                continue
            results[r.shard] = r
            ran.append(r)
            bar.update(r.records)
    except ScanSetupError as e:
        raise ScanError(str(e)) from None
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0

    grouping = None
    if group and not failures:
        from unspin.scan.grouping import group_copies

        grouping = group_copies(output, [s.name for s in shards])
    summary = summarize(output, shards, results, ran, failures, elapsed, grouping)
    summary.update(engine=executor.name, workers=getattr(executor, "workers", None), profile=profile)
    writer.atomic_write_text(os.path.join(output, "summary.json"), json.dumps(summary, indent=1))
    return summary


def summarize(output: str, shards: list[Shard], results: dict[int, ShardResult], ran: list[ShardResult],
              failures: list[ShardFailure], elapsed: float, grouping: dict | None) -> dict:
    """Counts from the written shards themselves (not from memory), so a resumed run reports the
    whole corpus; checks every (input, record) appears once."""
    import pyarrow.parquet as pq

    seen: set[tuple[str, int]] = set()
    ids: Counter = Counter()
    verdicts: Counter = Counter()
    errors: Counter = Counter()
    error_examples: list[dict] = []
    duplicates = 0
    for s in shards:
        if s.index not in results:
            continue
        t = pq.read_table(writer.shard_path(output, s.name), columns=["id", "input", "record", "verdict", "error"])
        for doc_id, inp, rec, verdict, err in zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True):
            key = (inp, rec)
            duplicates += key in seen
            seen.add(key)
            ids[doc_id] += 1
            if err is None:
                verdicts[verdict] += 1
            else:
                errors[error_kind(err)] += 1
                if len(error_examples) < 10:
                    error_examples.append({"id": doc_id, "error": err})
    if duplicates:
        raise ScanError(f"internal error: {duplicates} documents written twice in {output}")
    checked = verdicts["spun"] + verdicts["clean"]
    docs_this_run = sum(r.rows for r in ran)
    rss = {}
    for r in ran:
        rss[r.pid] = max(rss.get(r.pid, 0.0), r.peak_rss_mb)
    return {
        "output": output,
        "documents": len(seen), "checked": checked, "spun": verdicts["spun"], "clean": verdicts["clean"],
        "spun_share": round(verdicts["spun"] / checked, 4) if checked else 0.0,
        "errors": sum(errors.values()), "error_kinds": dict(errors.most_common()), "error_examples": error_examples,
        "skipped_records": sum(r.skipped for r in results.values()),
        "duplicate_ids": sum(n - 1 for n in ids.values() if n > 1),
        "shards": len(shards), "shards_done": len(results), "shards_resumed": len(results) - len(ran),
        "shards_failed": [{"shard": f.shard, "error": f.error} for f in failures],
        "seconds": round(elapsed, 2), "documents_this_run": docs_this_run,
        "docs_per_second": round(docs_this_run / elapsed, 2) if elapsed > 0 else 0.0,
        "peak_rss_mb_per_worker": round(max(rss.values()), 1) if rss else None,
        "grouping": grouping,
        "complete": not failures and len(results) == len(shards),
    }


ERROR_KINDS = ("binary data", "not valid UTF-16", "larger than --max-bytes", "not valid JSON", "not an object",
               "no string field", "no text in column", "unreadable input", "check failed", "no such file",
               "permission denied", "cannot read")


def error_kind(err: str) -> str:
    return next((k for k in ERROR_KINDS if k in err), "other")


def format_summary(s: dict) -> str:
    lines = [f"unspin scan: {s['documents']:,} documents -> {s['output']}",
             f"  checked {s['checked']:,}: {s['spun']:,} spun ({100 * s['spun_share']:.1f}%), {s['clean']:,} clean;"
             f" {s['errors']:,} errors"
             + (f", {s['skipped_records']:,} non-text records skipped" if s['skipped_records'] else ""),
             f"  {s['documents_this_run']:,} documents this run in {s['seconds']:.1f}s "
             f"({s['docs_per_second']:.1f} docs/s, {s['engine']}, {s['workers'] or 'all'} workers)"
             + (f"; {s['shards_resumed']:,} shards done before" if s['shards_resumed'] else "")]
    for kind, n in list(s["error_kinds"].items())[:5]:
        lines.append(f"  error: {kind} ({n:,})")
    if s["grouping"]:
        g = s["grouping"]
        lines.append(f"  copies: {g['documents_in_groups']:,} documents in {g['groups']:,} group"
                     f"{'' if g['groups'] == 1 else 's'} "
                     f"(groups.parquet, {g['seconds']:.1f}s)")
    for f in s["shards_failed"]:
        lines.append(f"  shard {f['shard']} FAILED: {f['error']} (rerun the same command to retry)")
    return "\n".join(lines)
