"""Atomic shard output: Parquet rows, a completion marker last, and validation on resume."""
from __future__ import annotations

import json
import os
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
                  ("suggestion", pa.string()), ("confidence", pa.float64())])
SCHEMA = pa.schema([
    ("id", pa.string()),            # the document id (from the input, or input:position)
    ("input", pa.string()),         # the input file as named on the command line
    ("record", pa.int64()),         # position of the record in that input
    ("url", pa.string()),           # WARC target URI
    ("spin_score", pa.float64()),
    ("verdict", pa.string()),       # spun | clean | null when the document failed
    ("spans", pa.list_(SPAN)),
    ("restored", pa.string()),
    ("warnings", pa.list_(pa.string())),
    ("error", pa.string()),         # why the document could not be checked
    ("source_id", pa.string()),     # best source in --index
    ("source_score", pa.float64()),
])


def shard_path(output: str, name: str) -> str:
    return os.path.join(output, "shards", f"{name}.parquet")


def marker_path(output: str, name: str) -> str:
    # Markers live beside, not among, the shards: pq.read_table(OUTPUT/"shards") reads only Parquet.
    return os.path.join(output, "done", f"{name}.json")


def atomic_write(path: str, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``: readers see all of it or none of it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=os.path.basename(path))
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    atomic_write(path, write)


def write_shard(output: str, name: str, rows: list[dict]) -> None:
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    atomic_write(shard_path(output, name), lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def mark_done(output: str, name: str, info: dict) -> None:
    atomic_write_text(marker_path(output, name), json.dumps(info, sort_keys=True))


def read_marker(output: str, name: str) -> dict | None:
    try:
        with open(marker_path(output, name), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def shard_valid(output: str, name: str, rows: int) -> bool:
    """The Parquet file opens, has our schema and the row count its marker promises."""
    try:
        meta = pq.read_metadata(shard_path(output, name))
        return meta.num_rows == rows and meta.schema.to_arrow_schema().names == SCHEMA.names
    except (OSError, pa.ArrowException):
        return False


def clean_temporaries(output: str) -> int:
    """Remove temporary files a killed run left behind; returns how many."""
    n = 0
    for sub in ("shards", "signatures", "done"):
        folder = os.path.join(output, sub)
        if os.path.isdir(folder):
            for f in os.listdir(folder):
                if f.startswith(".tmp-"):
                    os.unlink(os.path.join(folder, f))
                    n += 1
    return n
