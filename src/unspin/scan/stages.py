"""The scan stages as plain functions over shards: read -> check -> attribute -> sign -> write.

``process_shard`` is the one unit of work. The local executor (multiprocessing) and the Ray executor
both call exactly this function; an engine only schedules, retries and places it. A shard's results
become visible atomically: Parquet and signature files are written to temporary names and renamed,
then a completion marker (``done/<shard>.json``) is written last, also by rename. A shard without a
valid marker is redone from scratch on the next run, so a crash or ``kill -9`` at any point leaves
no half-counted shard.
"""
from __future__ import annotations

import gc
import os
import time
from dataclasses import asdict, dataclass, field

from unspin.scan.readers import Input, Record, read_range

SHARDS_DIR = "shards"
SIGS_DIR = "signatures"


class ScanSetupError(Exception):
    """A worker cannot start (unknown or unbuilt profile, missing index): retrying will not help."""


@dataclass(frozen=True)
class ScanConfig:
    output: str                      # absolute output folder (shared storage for a cluster)
    profile: str = "fast"
    index: str | None = None         # attribution index folder (unspin.attribute.SourceIndex)
    text_field: str = "text"
    id_field: str = "id"
    max_bytes: int = 10_000_000
    group: bool = True               # write MinHash band signatures for grouping copies

    @property
    def columns(self) -> tuple[str, str]:
        return (self.text_field, self.id_field)


@dataclass
class Shard:
    index: int
    segments: list[tuple[int, int, int]]  # (input number, start, stop)

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}"

    @property
    def records(self) -> int:
        return sum(stop - start for _, start, stop in self.segments)


@dataclass
class ShardResult:
    shard: int
    rows: int
    records: int                      # positions covered (progress unit)
    skipped: int                      # WARC records that are not documents
    errors: int
    spun: int
    seconds: float
    cpu_seconds: float = 0.0
    pid: int = 0
    peak_rss_mb: float = 0.0
    resumed: bool = False
    extra: dict = field(default_factory=dict)


# -- planning --------------------------------------------------------------------------------------

def plan_shards(inputs: list[Input], shard_size: int) -> list[Shard]:
    """Pack record ranges of the inputs, in order, into shards of at most ``shard_size`` positions;
    small files (a folder of pages) share a shard, a large file is cut into several."""
    shards: list[Shard] = []
    current: list[tuple[int, int, int]] = []
    filled = 0
    for i, inp in enumerate(inputs):
        pos = 0
        while pos < inp.records:
            take = min(shard_size - filled, inp.records - pos)
            current.append((i, pos, pos + take))
            pos += take
            filled += take
            if filled == shard_size:
                shards.append(Shard(len(shards), current))
                current, filled = [], 0
    if current:
        shards.append(Shard(len(shards), current))
    return shards


# -- per-worker resources, loaded once per process --------------------------------------------------

_RESOURCES: dict[tuple, object] = {}


def worker_resources(config: ScanConfig):
    """(pipeline, index or None) for this process; the first call loads them (seconds), later calls
    are free. Failures are setup errors: the whole scan stops with the message."""
    key = (config.profile, config.index)
    if key not in _RESOURCES:
        from unspin.pipeline import default_pipeline

        try:
            pipeline = default_pipeline(config.profile)
        except (ValueError, NotImplementedError) as e:
            raise ScanSetupError(f"profile {config.profile!r}: {e}") from None
        _RESOURCES[key] = (pipeline, open_index(config.index) if config.index else None)
    return _RESOURCES[key]


def settle_worker() -> None:
    """Tell the garbage collector that what this worker process holds now (models, tables, the
    detector's memos) lives as long as the process. Called by the engines in their own worker
    processes after loading and after each shard, never in the caller's process.

    Why: CPython's collector otherwise walks every tracked object the worker holds on each full
    collection, and promotes a document's short-lived objects towards those collections; on 40
    unseen 500-word articles after 200 others this cost about a sixth of the fast profile's time.
    Frozen objects are still freed by reference counting when dropped (a cleared memo is freed)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def open_index(path: str):
    try:
        from unspin.attribute import SourceIndex
    except ImportError:
        raise ScanSetupError("--index needs the attribution index (unspin.attribute, issue 5), "
                             "which this build of unspin does not include") from None
    if not os.path.isdir(path):
        raise ScanSetupError(f"--index {path}: no such folder (build one with `unspin index build`)")
    try:
        return SourceIndex(path, create=False)
    except Exception as e:
        raise ScanSetupError(f"--index {path}: cannot open ({type(e).__name__}: {e})") from None


# -- stages ----------------------------------------------------------------------------------------

def read_shard(shard: Shard, inputs: list[Input], config: ScanConfig):
    for i, start, stop in shard.segments:
        yield from read_range(inputs[i], start, stop, config.columns, config.max_bytes)


def check_record(rec: Record, pipeline) -> dict:
    """One output row; a document that fails is kept with its error, never raised."""
    row = {"id": rec.id, "input": rec.input, "record": rec.position, "url": rec.url, "spin_score": None,
           "verdict": None, "spans": [], "restored": None, "warnings": list(rec.warnings), "error": rec.error,
           "source_id": None, "source_score": None}
    if rec.error is None:
        try:
            report = pipeline.run(rec.text, doc_id=rec.id, warnings=rec.warnings)
        except Exception as e:  # a bug on one odd document must not stop a crawl-sized run
            row["error"] = f"check failed ({type(e).__name__}: {e})"
        else:
            d = report.to_dict()
            row.update(spin_score=d["spin_score"], verdict=d["verdict"], spans=d["spans"],
                       restored=d["restored"], warnings=report.warnings)
    return row


def attribute_row(row: dict, text: str | None, index) -> None:
    """The best source in the attribution index (its fingerprint is spin-invariant: the text as
    written is the query)."""
    if index is None or row["error"] is not None:
        return
    try:
        matches = index.find(text, k=1, with_alignment=False)
    except Exception as e:
        row["warnings"].append(f"attribution failed ({type(e).__name__}: {e})")
        return
    if matches:
        row["source_id"], row["source_score"] = str(matches[0].id), float(matches[0].score)


def process_shard(shard: Shard, inputs: list[Input], config: ScanConfig) -> ShardResult:
    """Read, check, attribute, sign and write one shard; the unit every engine schedules."""
    from unspin.scan import grouping, writer

    t0, c0 = time.perf_counter(), time.process_time()
    pipeline, index = worker_resources(config)
    rows, texts = [], []
    for rec in read_shard(shard, inputs, config):
        row = check_record(rec, pipeline)
        attribute_row(row, rec.text, index)
        rows.append(row)
        texts.append(rec.text if row["error"] is None else None)
    skipped = shard.records - len(rows)
    if config.group:
        grouping.write_signatures(config.output, shard.name, texts)
    result = ShardResult(shard=shard.index, rows=len(rows), records=shard.records, skipped=skipped,
                         errors=sum(r["error"] is not None for r in rows),
                         spun=sum(r["verdict"] == "spun" for r in rows),
                         seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0,
                         pid=os.getpid(), peak_rss_mb=peak_rss_mb())
    writer.write_shard(config.output, shard.name, rows)
    writer.mark_done(config.output, shard.name, asdict(result))
    return result


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def shard_done(config: ScanConfig, shard: Shard) -> ShardResult | None:
    """The recorded result of a completed shard, or None if it must be (re)done."""
    from unspin.scan import grouping, writer

    info = writer.read_marker(config.output, shard.name)
    if info is None or not writer.shard_valid(config.output, shard.name, info["rows"]):
        return None
    if config.group and not grouping.signatures_valid(config.output, shard.name):
        return None
    info = {k: v for k, v in info.items() if k in ShardResult.__dataclass_fields__}
    return ShardResult(**{**info, "resumed": True})

