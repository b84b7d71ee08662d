"""Corpus inputs for ``unspin index build|add``: JSONL, Parquet, a folder of text files.

- ``*.jsonl`` / ``*.ndjson`` / ``*.json`` (or ``-`` for stdin): one ``{"id": ..., "text": ...}`` object a line;
- ``*.parquet``: columns ``id`` and ``text`` (needs pyarrow: ``pip install 'unspin[parquet]'``);
- a folder: every ``*.txt`` file below it, in sorted path order, id = path relative to the folder;
- any other file: one document, id = the path.

Records come in a stable order, so a build interrupted after ``n`` committed records resumes by
skipping ``n`` (see :meth:`unspin.attribute.index.SourceIndex.resume_point`).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Iterator

from unspin.ingest import InputError, read_path

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


def input_key(path: str) -> str | None:
    """The name under which an input's progress is recorded (None: stdin cannot resume)."""
    return None if path == "-" else os.path.abspath(path)


def read_records(path: str, skip: int = 0) -> Iterator[tuple[str, str]]:
    """``(id, text)`` records of one input, after the first ``skip``."""
    if path == "-" or path.endswith(JSONL_SUFFIXES):
        yield from _jsonl(path, skip)
    elif path.endswith(".parquet"):
        yield from _parquet(path, skip)
    elif os.path.isdir(path):
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".txt"))
        for f in files[skip:]:
            yield os.path.relpath(f, path), read_path(f)[0]
    elif os.path.isfile(path):
        if skip == 0:
            yield path, read_path(path)[0]
    else:
        raise InputError(f"{path}: no such file or folder")


def _jsonl(path: str, skip: int) -> Iterator[tuple[str, str]]:
    fh = sys.stdin if path == "-" else open(path, encoding="utf-8")
    try:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            if skip:
                skip -= 1
                continue
            try:
                rec = json.loads(line)
                yield str(rec["id"]), str(rec["text"])
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(f"{path}:{lineno}: not a {{\"id\", \"text\"}} JSON object ({e})") from None
    finally:
        if fh is not sys.stdin:
            fh.close()


def _parquet(path: str, skip: int) -> Iterator[tuple[str, str]]:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install 'unspin[parquet]')") from None
    pf = pq.ParquetFile(path)
    missing = {"id", "text"} - set(pf.schema_arrow.names)
    if missing:
        raise InputError(f"{path}: Parquet file lacks column(s) {', '.join(sorted(missing))}")
    for batch in pf.iter_batches(columns=["id", "text"], batch_size=4096):
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        ids, texts = batch.column(0).to_pylist(), batch.column(1).to_pylist()
        for doc_id, text in zip(ids[skip:], texts[skip:]):
            yield str(doc_id), text or ""
        skip = 0
