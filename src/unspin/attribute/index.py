"""An embedded, persistent source index: MinHash LSH over spin-invariant fingerprints, in SQLite.

Layout of ``DIR/index.sqlite`` (WAL journal)::

    meta(key, value)                 fingerprint version, permutations, bands x rows, threshold
    docs(n, id UNIQUE, text, sig)    one row per document; sig = NUM_PERM little-endian uint32
    buckets(key, doc) WITHOUT ROWID  one row per (LSH band bucket, document)
    progress(input, done, finished)  how many records of each input file are committed

Why SQLite: one file, no server, and transactions make every batch of documents atomic, so a build
killed mid-way leaves a consistent index holding the batches committed so far; ``progress`` is
updated in the same transaction as the batch, so re-running the build skips exactly those records.
Its measured cost (bench/attribution.py, README "Attribution") is within the targets (build rate,
query latency); a memory-mapped array store would need its own crash recovery and merge step for
appends.

Query: the LSH band buckets of the query's signature give candidates; the ``MAX_CANDIDATES`` that
share the most buckets are re-ranked by estimated Jaccard similarity of the full signatures; those at
or above the threshold are aligned against the query (:func:`unspin.attribute.align.align`).
"""
from __future__ import annotations

import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import numpy as np

from unspin.attribute.align import align
from unspin.attribute.fingerprint import FINGERPRINT_VERSION, NUM_PERM, MinHasher, invariant_form, shingles, similarity

BANDS, ROWS = 42, 3  # 126 of the 128 permutations; a pair at Jaccard 0.5 shares a bucket with p = 0.996
# Estimated Jaccard similarity above which a document counts as the source; calibrated on dev data so
# that >= 99% of clean documents with no source in a 100k-document index match nothing (see README).
DEFAULT_THRESHOLD = 0.26
MAX_CANDIDATES = 256
# Texts with fewer distinct shingles in their invariant form (a line of a few words) are too short to
# attribute: they are stored but never matched, and a query that short matches nothing.
MIN_SHINGLES = 4
BUCKET_CAP = 100  # --self: buckets holding more documents are generic skeletons, not copies
DB_NAME = "index.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL, sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS buckets(key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY(key, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS progress(input TEXT PRIMARY KEY, done INTEGER NOT NULL, finished INTEGER NOT NULL DEFAULT 0);
"""


class SourceIndexError(Exception):
    """An index that cannot be used (other fingerprint version, not an index)."""


@dataclass
class Match:
    """A candidate source: ``score`` is the estimated Jaccard similarity of the fingerprints;
    ``alignment`` is the list of operations of :func:`unspin.attribute.align.align`."""

    id: str
    score: float
    text: str = field(repr=False)
    alignment: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "score": round(self.score, 4), "alignment": self.alignment}
        if with_text:
            d["text"] = self.text
        return d


def band_keys(sig: np.ndarray) -> list[int]:
    """The LSH bucket keys of a MinHash signature: one signed 64-bit key per band (``BANDS`` bands of
    ``ROWS`` rows; the band number is mixed in, so bands never share keys). Public so that other
    indexes of the same fingerprint (``unspin scan``'s grouping) bucket documents exactly as this one."""
    m = sig[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for r in range(ROWS):
            h = (h ^ m[:, r]) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
    return h.view(np.int64).tolist()


def _records(items: Iterable[Any]) -> Iterator[tuple[str, str | None]]:
    for item in items:
        if isinstance(item, dict):
            yield str(item["id"]), item["text"]
        elif isinstance(item, tuple):
            yield str(item[0]), item[1]
        else:
            yield str(item.id), item.text


class SourceIndex:
    """A persistent index of candidate sources in the directory ``path`` (created if missing).

    >>> index = SourceIndex("archive.idx")
    >>> index.add("wire-1", source_text)
    >>> index.find(spun_text, k=5)[0].id
    'wire-1'
    """

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = os.fspath(path)
        db = os.path.join(self.path, DB_NAME)
        if not os.path.exists(db):
            if not create:
                raise SourceIndexError(f"{self.path}: no index here (create one with `unspin index build`)")
            os.makedirs(self.path, exist_ok=True)
        self.db = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache
        self.db.executescript(_SCHEMA)
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        want = {"fingerprint": FINGERPRINT_VERSION, "num_perm": str(NUM_PERM), "bands": str(BANDS), "rows": str(ROWS)}
        if not meta:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT INTO meta VALUES (?, ?)",
                                    [*want.items(), ("threshold", str(DEFAULT_THRESHOLD))])
            meta = dict(self.db.execute("SELECT key, value FROM meta"))
        stale = {k: meta.get(k) for k in want if meta.get(k) != want[k]}
        if stale:
            raise SourceIndexError(f"{self.path}: built with {stale}, this unspin uses {want}; rebuild the index")
        self.threshold = float(meta["threshold"])
        self.hasher = MinHasher()

    # -- writing ---------------------------------------------------------------------------------
    def fingerprint(self, text: str) -> tuple[np.ndarray, int]:
        """MinHash signature of ``text``'s invariant form, and its number of distinct shingles."""
        sh = shingles(invariant_form(text))
        return self.hasher.signature(sh), len(sh)

    def add(self, id: str, text: str) -> bool:
        """Add one document (committed at once); False if ``id`` is already indexed."""
        return self.add_many([(id, text)]) == 1

    def add_many(self, items: Iterable[Any], batch_size: int = 2000, input_key: str | None = None,
                 skip: int = 0) -> int:
        """Add documents (``(id, text)`` pairs, ``{"id", "text"}`` dicts or objects with ``.id`` and
        ``.text``), committing every ``batch_size``; ids already indexed are skipped, and so is an
        item whose text is None (a record its reader could not read). Returns the number added. With
        ``input_key``, the count of records consumed from that input (skipped ones included) is
        committed with each batch (see :meth:`resume_point`); ``skip`` is where this run starts in it."""
        added = 0
        done = skip
        batch: list[tuple[str, str | None]] = []
        for rec in _records(items):
            batch.append(rec)
            if len(batch) >= batch_size:
                added += self._commit(batch, input_key, done + len(batch), False)
                done += len(batch)
                batch = []
        added += self._commit(batch, input_key, done + len(batch), True)
        return added

    def _commit(self, batch: list[tuple[str, str | None]], input_key: str | None, done: int, finished: bool) -> int:
        docs = [(doc_id, text) for doc_id, text in batch if text is not None]
        prints = [self.fingerprint(text) for _, text in docs]
        added = 0
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for (doc_id, text), (sig, n_shingles) in zip(docs, prints):
                cur = self.db.execute("INSERT OR IGNORE INTO docs(id, text, sig) VALUES (?, ?, ?)",
                                      (doc_id, text, sig.astype("<u4").tobytes()))
                if cur.rowcount != 1:
                    continue
                n = cur.lastrowid
                added += 1
                if n_shingles < MIN_SHINGLES:
                    continue
                self.db.executemany("INSERT OR IGNORE INTO buckets VALUES (?, ?)", ((k, n) for k in band_keys(sig)))
            if input_key is not None:
                self.db.execute("INSERT INTO progress VALUES (?, ?, ?) ON CONFLICT(input) DO UPDATE SET "
                                "done = excluded.done, finished = excluded.finished", (input_key, done, int(finished)))
        return added

    def resume_point(self, input_key: str) -> tuple[int, bool]:
        """(records of ``input_key`` already committed, whether it was read to the end)."""
        row = self.db.execute("SELECT done, finished FROM progress WHERE input = ?", (input_key,)).fetchone()
        return (row[0], bool(row[1])) if row else (0, False)

    # -- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def get(self, id: str) -> str | None:
        row = self.db.execute("SELECT text FROM docs WHERE id = ?", (id,)).fetchone()
        return row[0] if row else None

    def _signatures(self, ns: list[int]) -> tuple[list[int], np.ndarray]:
        rows = []
        for i in range(0, len(ns), 500):
            part = ns[i:i + 500]
            rows += self.db.execute(f"SELECT n, sig FROM docs WHERE n IN ({','.join('?' * len(part))})", part).fetchall()
        if not rows:
            return [], np.zeros((0, NUM_PERM), dtype=np.uint32)
        return [r[0] for r in rows], np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").reshape(len(rows), NUM_PERM)

    def _candidates(self, sig: np.ndarray, exclude: int | None = None) -> tuple[list[int], np.ndarray]:
        keys = band_keys(sig)
        hits = Counter(n for (n,) in self.db.execute(
            f"SELECT doc FROM buckets WHERE key IN ({','.join('?' * len(keys))})", keys))
        hits.pop(exclude, None)
        ns = [n for n, _ in hits.most_common(MAX_CANDIDATES)]
        ns, sigs = self._signatures(ns)
        return ns, similarity(sig, sigs)

    def find(self, text: str, k: int = 5, threshold: float | None = None, with_alignment: bool = True) -> list[Match]:
        """The ``k`` most similar indexed documents scoring at least ``threshold`` (default: the
        index's calibrated threshold; 0 returns every candidate), best first, each aligned to ``text``;
        none for a text too short to attribute (``MIN_SHINGLES``)."""
        threshold = self.threshold if threshold is None else threshold
        sig, n_shingles = self.fingerprint(text)
        if n_shingles < MIN_SHINGLES:
            return []
        ns, scores = self._candidates(sig)
        order = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] >= threshold]
        out = []
        for i in order:
            doc_id, src = self.db.execute("SELECT id, text FROM docs WHERE n = ?", (ns[i],)).fetchone()
            out.append(Match(doc_id, float(scores[i]), src, align(text, src) if with_alignment else []))
        return out

    def clusters(self, threshold: float | None = None) -> list[list[tuple[str, float]]]:
        """Groups of indexed documents that are copies (spun or not) of one another: documents
        linked by a shared LSH bucket and an estimated similarity at or above ``threshold``, strongest
        links first, a group joining another only if their first documents are similar at or above
        ``threshold`` too (no chaining through generic texts). Each group is ``[(id, similarity to
        the group's first document), ...]`` in index order; groups are sorted largest first."""
        threshold = self.threshold if threshold is None else threshold
        parent: dict[int, int] = {}

        def root(x: int) -> int:
            while parent.get(x, x) != x:
                parent[x] = parent.get(parent[x], parent[x])
                x = parent[x]
            return x

        pairs: set[tuple[int, int]] = set()
        cur_key, members = None, []
        for key, doc in self.db.execute("SELECT key, doc FROM buckets ORDER BY key"):
            if key != cur_key:
                if 1 < len(members) <= BUCKET_CAP:
                    pairs.update((members[0], m) for m in members[1:])
                cur_key, members = key, []
            members.append(doc)
        if 1 < len(members) <= BUCKET_CAP:
            pairs.update((members[0], m) for m in members[1:])
        # Pairs only with the first member of each bucket: every member is tested against it, and
        # union-find joins the rest; checking all pairs would be quadratic in the bucket size.
        sig_of: dict[int, np.ndarray] = {}
        ids = sorted({x for p in pairs for x in p})
        for i in range(0, len(ids), 5000):
            ns, sigs = self._signatures(ids[i:i + 5000])
            sig_of.update(zip(ns, sigs))

        def sim(a: int, b: int) -> float:
            return float((sig_of[a] == sig_of[b]).mean())

        # Strongest links first; two groups merge only if their first documents are themselves similar,
        # so generic texts cannot chain unrelated documents into one group.
        scored = sorted(((sim(a, b), a, b) for a, b in pairs), reverse=True)
        linked: set[int] = set()
        for score, a, b in scored:
            if score < threshold:
                break
            ra, rb = root(a), root(b)
            if ra != rb and sim(ra, rb) >= threshold:
                linked.update((a, b))
                parent[max(ra, rb)] = min(ra, rb)
        groups: dict[int, list[int]] = {}
        for x in linked:
            groups.setdefault(root(x), []).append(x)
        out = []
        for members in groups.values():
            if len(members) < 2:
                continue
            members.sort()
            names = dict(self.db.execute(f"SELECT n, id FROM docs WHERE n IN ({','.join('?' * len(members))})", members))
            out.append([(names[m], sim(members[0], m)) for m in members])
        out.sort(key=lambda g: (-len(g), g[0][0]))
        return out

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "SourceIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
