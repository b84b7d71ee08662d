"""Corpus inputs for ``unspin index build|add``, read by :mod:`unspin.scan.readers`, so ``index build``
and ``unspin scan`` accept the same file formats:

- JSONL, one ``{"id": ..., "text": ...}`` object a line: ``.jsonl`` / ``.ndjson``, gzip or zstd
  compressed (``.jsonl.gz``, ``.jsonl.zst``), and ``.json`` (JSONL here, as it always was for the
  index; ``unspin scan`` reads a ``.json`` file as text); ``-`` reads JSONL from stdin;
- Parquet (``.parquet``, ``.pq``): columns ``text`` and ``id``;
- WARC/WET (``.warc[.gz]``, ``.wet[.gz]``): every text or HTML document, id = its WARC-Record-ID;
- a folder: every ``*.txt`` file below it, in sorted path order, id = path relative to the folder
  (``unspin scan`` reads every file of a folder, each by its suffix; here a folder stays one input
  whose progress is recorded under its name);
- any other file: one text or HTML document, id = the path.

A record without an id gets ``NAME:POSITION``. A record that cannot be read (not JSON, no text,
binary, larger than ``--max-bytes``, the rest of a truncated archive) is reported to ``on_error`` and
yields ``(id, None)``: :meth:`SourceIndex.add_many <unspin.attribute.index.SourceIndex.add_many>`
counts it as consumed but indexes nothing, so one bad record neither stops the build nor shifts the
resume point.

Resume: records come in a stable order, and the progress an index keeps per input counts records (a
non-blank JSONL line, a Parquet row, a WARC document, a file of a folder; unreadable ones included),
as it did before the scan readers were shared. A build interrupted after ``n`` committed records
resumes by passing over ``n`` records without decoding them (see
:meth:`~unspin.attribute.index.SourceIndex.resume_point`).
"""
from __future__ import annotations

import os
from typing import Callable, Iterator

from unspin.ingest import DEFAULT_MAX_BYTES, InputError
from unspin.scan.readers import PlanError, Record, iter_records

COLUMNS = ("text", "id")  # (text field, id field), as unspin.scan.readers takes them


def input_key(path: str) -> str | None:
    """The name under which an input's progress is recorded (None: stdin cannot resume)."""
    return None if path == "-" else os.path.abspath(path)


def read_records(path: str, skip: int = 0, max_bytes: int = DEFAULT_MAX_BYTES,
                 on_error: Callable[[Record], None] | None = None) -> Iterator[tuple[str, str | None]]:
    """``(id, text)`` records of one input, after the first ``skip``; ``(id, None)`` for a record that
    could not be read, after passing it to ``on_error``. Raises InputError for an input that cannot be
    read at all (missing, a Parquet file without a ``text`` column)."""
    if path != "-" and os.path.isdir(path):
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".txt"))
        sources = [(os.path.relpath(f, path), f, "text") for f in files[skip:]]
        skip = 0
    else:
        if path != "-" and not os.path.exists(path):
            raise InputError(f"{path}: no such file or folder")
        sources = [("stdin" if path == "-" else path, path, "jsonl" if path.endswith(".json") else None)]
    try:
        for name, file, kind in sources:
            for rec in iter_records(name, file, COLUMNS, max_bytes, skip=skip, kind=kind):
                if rec.error is not None and on_error is not None:
                    on_error(rec)
                yield rec.id, rec.text if rec.error is None else None
    except PlanError as e:
        raise InputError(str(e)) from None
