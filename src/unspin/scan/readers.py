"""Input formats for ``unspin scan`` and ``unspin index build|add``: JSONL (plain, gzip, zstd), Parquet,
plain-text files and folders, WARC/WET (via warcio).

Why records are addressed by (input, position): a scan must be resumable and exact, so every shard is
planned up front as ranges of record positions in named inputs. Positions count every record of the
file (blank JSONL lines and non-text WARC records included), so a range means the same records on
every run and every machine. Where seeking is cheap (uncompressed JSONL, WARC) the plan also keeps
the byte offset of each range start, so a worker never re-reads a file from the beginning.

``unspin index build`` reads each input once, in order, with :func:`iter_records` (no plan); it
resumes by counting records (see :func:`read_range`'s ``skip``), not positions.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Iterator

from unspin.ingest import InputError, decode, read_path

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".jsonl.zst", ".ndjson.zst",
                  ".jsonl.zstd", ".ndjson.zstd")
PARQUET_SUFFIXES = (".parquet", ".pq")
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".warc.wet", ".warc.wet.gz")
# WARC record types that carry a document; request, metadata, warcinfo and revisit records do not.
WARC_DOC_TYPES = ("response", "conversion", "resource")
TEXT_CONTENT = ("text/", "html", "xml")


class PlanError(Exception):
    """An input that cannot be scanned at all (missing, unreadable, wrong columns)."""


@dataclass
class Input:
    name: str            # as given by the user (reported in the ``input`` column)
    path: str            # absolute, for workers that run elsewhere
    kind: str            # jsonl | parquet | warc | text
    records: int         # positions in the file
    size: int
    mtime: float
    offsets: dict[int, int] = field(default_factory=dict)  # record position -> byte offset (seekable kinds)

    def to_json(self) -> dict:
        return {"name": self.name, "path": self.path, "kind": self.kind, "records": self.records,
                "size": self.size, "mtime": self.mtime, "offsets": {str(k): v for k, v in self.offsets.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "Input":
        return cls(d["name"], d["path"], d["kind"], d["records"], d["size"], d["mtime"],
                   {int(k): v for k, v in d.get("offsets", {}).items()})


@dataclass
class Record:
    """One document read from an input: text to check, or the error that stopped it."""

    input: str
    position: int
    id: str
    text: str | None = None
    url: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def kind_of(path: str) -> str:
    low = path.lower()
    if low.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if low.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if low.endswith(WARC_SUFFIXES):
        return "warc"
    return "text"


def expand_inputs(paths: list[str]) -> list[tuple[str, str]]:
    """[(name, absolute path)] of every file to scan; folders are walked in sorted order, hidden
    files skipped. Files in a folder keep their format by suffix; everything else is plain text."""
    out: list[tuple[str, str]] = []
    for given in paths:
        if os.path.isdir(given):
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        p = os.path.join(root, f)
                        out.append((p, os.path.abspath(p)))
        elif os.path.isfile(given):
            out.append((given, os.path.abspath(given)))
        else:
            raise PlanError(f"{given}: no such file or folder")
    if not out:
        raise PlanError("no input files found")
    return out


def open_binary(path: str) -> io.BufferedIOBase:
    """A byte stream, decompressing .gz and .zst/.zstd transparently."""
    low = path.lower()
    if low.endswith(".gz"):
        return gzip.open(path, "rb")
    if low.endswith((".zst", ".zstd")):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True))
    return open(path, "rb")


def seekable(path: str) -> bool:
    return not path.lower().endswith((".gz", ".zst", ".zstd"))


def plan_input(name: str, path: str, every: int, columns: tuple[str, str]) -> Input:
    """Count the records of one input; keep the byte offset of every ``every``-th position."""
    st = os.stat(path)
    kind = kind_of(path)
    inp = Input(name, path, kind, 0, st.st_size, st.st_mtime)
    try:
        if kind == "jsonl":
            keep = seekable(path)
            with open_binary(path) as fh:
                pos, n = 0, 0
                for line in fh:
                    if keep and n % every == 0:
                        inp.offsets[n] = pos
                    pos += len(line)
                    n += 1
            inp.records = n
        elif kind == "parquet":
            inp.records = _parquet_file(name, path, columns[0]).metadata.num_rows
        elif kind == "warc":
            from warcio.archiveiterator import ArchiveIterator

            with open(path, "rb") as fh:
                it = ArchiveIterator(fh)
                n = 0
                for _ in it:
                    if n % every == 0:
                        inp.offsets[n] = it.get_record_offset()
                    n += 1
            inp.records = n
        else:
            inp.records = 1
    except PlanError:
        raise
    except Exception as e:  # a truncated archive or unreadable file: say which, stop before any work
        raise PlanError(f"{name}: cannot read as {kind} ({type(e).__name__}: {e})") from None
    return inp


def _parquet_file(name: str, path: str, text_col: str):
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if text_col not in pf.schema_arrow.names:
        raise PlanError(f"{name}: no column {text_col!r} (columns: {', '.join(pf.schema_arrow.names)}); "
                        f"choose one with --text-field")
    return pf


def iter_records(name: str, path: str, columns: tuple[str, str], max_bytes: int, skip: int = 0,
                 kind: str | None = None) -> Iterator[Record]:
    """Every record of one input in order, after the first ``skip``, read once from the start with no
    plan: for a single sequential reader (``unspin index build``). ``path`` ``-`` reads JSONL from
    stdin; ``kind`` overrides the kind the suffix gives. Raises PlanError (on the first ``next``) for
    an input that cannot be read at all: a missing file, a Parquet file without the text column."""
    if path == "-":
        inp = Input(name, path, "jsonl", 0, 0, 0.0)
    else:
        if not os.path.isfile(path):
            raise PlanError(f"{name}: no such file")
        kind = kind or kind_of(path)
        if kind == "parquet":
            try:
                _parquet_file(name, path, columns[0])
            except PlanError:
                raise
            except Exception as e:  # not Parquet at all
                raise PlanError(f"{name}: cannot read as parquet ({type(e).__name__}: {e})") from None
        st = os.stat(path)
        inp = Input(name, path, kind, 0, st.st_size, st.st_mtime)
    yield from read_range(inp, 0, sys.maxsize, columns, max_bytes, skip)


def read_range(inp: Input, start: int, stop: int, columns: tuple[str, str], max_bytes: int,
               skip: int = 0) -> Iterator[Record]:
    """Records at positions [start, stop) of ``inp``; unreadable data becomes an error record.

    ``skip`` passes over the first ``skip`` records of the range without decoding them. It counts
    records, not positions: every non-blank JSONL line, Parquet row, WARC document and text file is
    one (an error record too); a blank line or a WARC record that holds no document is not."""
    reader = {"jsonl": _read_jsonl, "parquet": _read_parquet, "warc": _read_warc, "text": _read_text}[inp.kind]
    pos = start
    try:
        for rec in reader(inp, start, stop, columns, max_bytes, skip):
            pos = rec.position + 1
            yield rec
    except Exception as e:  # truncated gzip, corrupt page...: record it and go on with the next shard
        yield Record(inp.name, pos, f"{inp.name}:{pos}",
                     error=f"unreadable input from record {pos} on ({type(e).__name__}: {e})")


def nearest_offset(inp: Input, start: int) -> tuple[int, int]:
    """(position, byte offset) of the closest planned offset at or before ``start``."""
    best = max((p for p in inp.offsets if p <= start), default=None)
    return (0, 0) if best is None else (best, inp.offsets[best])


def _too_big(size: int, max_bytes: int) -> str:
    return f"document of {size:,} bytes is larger than --max-bytes {max_bytes:,}"


def _read_jsonl(inp: Input, start: int, stop: int, columns: tuple[str, str], max_bytes: int,
                skip: int) -> Iterator[Record]:
    text_key, id_key = columns
    pos, offset = nearest_offset(inp, start) if seekable(inp.path) else (0, 0)
    stdin = inp.path == "-"
    fh = sys.stdin.buffer if stdin else open_binary(inp.path)
    try:
        if offset:
            fh.seek(offset)
        for line in fh:
            if pos >= stop:
                break
            if pos >= start and line.strip():
                if skip:
                    skip -= 1
                else:
                    yield _jsonl_record(inp.name, pos, line, text_key, id_key, max_bytes)
            pos += 1
    finally:
        if not stdin:
            fh.close()


def _jsonl_record(name: str, pos: int, line: bytes, text_key: str, id_key: str, max_bytes: int) -> Record:
    rec = Record(name, pos, f"{name}:{pos}")
    if len(line) > max_bytes:
        rec.error = _too_big(len(line), max_bytes)
        return rec
    try:
        raw, rec.warnings = decode(line, f"{name}:{pos}")
        obj = json.loads(raw)
    except InputError as e:
        rec.error = str(e)
        return rec
    except json.JSONDecodeError as e:
        rec.error = f"not valid JSON ({e.msg} at column {e.colno})"
        return rec
    if not isinstance(obj, dict):
        rec.error = "JSON line is not an object"
        return rec
    if obj.get(id_key) is not None:
        rec.id = str(obj[id_key])
    text = obj.get(text_key)
    if not isinstance(text, str):
        rec.error = f"no string field {text_key!r}"
    else:
        rec.text = text
    return rec


PARQUET_BATCH = 4096  # rows decoded at a time: a row group can hold a million documents


def _read_parquet(inp: Input, start: int, stop: int, columns: tuple[str, str], max_bytes: int,
                  skip: int) -> Iterator[Record]:
    import pyarrow.parquet as pq

    text_key, id_key = columns
    start = min(start + skip, stop)  # every row is a record
    pf = pq.ParquetFile(inp.path)
    cols = [c for c in (id_key, text_key) if c in pf.schema_arrow.names]
    # Skip whole row groups before the range, then slice the batches inside them.
    pos = 0
    for g in range(pf.num_row_groups):
        rows = pf.metadata.row_group(g).num_rows
        if pos + rows <= start:
            pos += rows
            continue
        if pos >= stop:
            break
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH, row_groups=[g], columns=cols):
            if pos >= stop:
                break
            yield from _parquet_rows(inp, batch, pos, start, stop, text_key, id_key, max_bytes)
            pos += batch.num_rows


def _parquet_rows(inp: Input, batch, pos: int, start: int, stop: int, text_key: str, id_key: str,
                  max_bytes: int) -> Iterator[Record]:
    """The records of one Parquet batch (rows from position ``pos``) inside [start, stop)."""
    lo, hi = max(start - pos, 0), min(stop - pos, batch.num_rows)
    if lo >= hi:
        return
    names = batch.schema.names
    texts = batch.column(names.index(text_key)).slice(lo, hi - lo).to_pylist()
    ids = batch.column(names.index(id_key)).slice(lo, hi - lo).to_pylist() if id_key in names else [None] * (hi - lo)
    for i, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        p = pos + lo + i
        rec = Record(inp.name, p, f"{inp.name}:{p}" if doc_id is None else str(doc_id))
        if isinstance(text, bytes):
            _set_text_from_bytes(rec, text, max_bytes)
        elif not isinstance(text, str):
            rec.error = f"no text in column {text_key!r}"
        elif len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            rec.error = _too_big(len(text.encode("utf-8", "surrogatepass")), max_bytes)
        else:
            rec.text = text
        yield rec


def _set_text_from_bytes(rec: Record, data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        rec.error = _too_big(len(data), max_bytes)
        return
    try:
        rec.text, rec.warnings = decode(data, rec.id)
    except InputError as e:
        rec.error = str(e)


def _read_warc(inp: Input, start: int, stop: int, columns: tuple[str, str], max_bytes: int,
               skip: int) -> Iterator[Record]:
    from warcio.archiveiterator import ArchiveIterator

    pos, offset = nearest_offset(inp, start)
    with open(inp.path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if pos >= stop:
                break
            if pos >= start and _is_document(record):
                if skip:
                    skip -= 1
                else:
                    rid = record.rec_headers.get_header("WARC-Record-ID") or f"{inp.name}:{pos}"
                    rec = Record(inp.name, pos, rid, url=record.rec_headers.get_header("WARC-Target-URI"))
                    _set_text_from_bytes(rec, record.content_stream().read(max_bytes + 1), max_bytes)
                    yield rec
            pos += 1


def _is_document(record) -> bool:
    if record.rec_type not in WARC_DOC_TYPES:
        return False
    if record.rec_type == "response":
        if not record.http_headers:
            return False
        ctype = (record.http_headers.get_header("Content-Type") or "").lower()
    else:
        ctype = (record.rec_headers.get_header("Content-Type") or "text/plain").lower()
    return any(t in ctype for t in TEXT_CONTENT)


def _read_text(inp: Input, start: int, stop: int, columns: tuple[str, str], max_bytes: int,
               skip: int) -> Iterator[Record]:
    if start > 0 or skip:
        return
    rec = Record(inp.name, 0, inp.name)
    try:
        rec.text, rec.warnings = read_path(inp.path, max_bytes)
    except InputError as e:
        rec.error = str(e)
    yield rec
