"""Grouping copies of the same source across a scanned corpus: MinHash band signatures per shard,
exchanged as band-sorted runs in files (as datatrove's MinHash dedup does), joined locally with numpy.

Why signatures of the *restored* text: a spinner swaps words for synonyms, which breaks most word
shingles a copy shares with its source; restoration puts many of the original words back, so copies
of one source sign alike again. Candidates from equal band hashes are verified by the Jaccard estimate
of the full signatures before two documents are joined, so one chance band collision cannot chain
unrelated groups together.

Each worker writes, per shard, ``signatures/<shard>.npz``: the full signatures and, for every band,
the band hashes already sorted (a run). The join merges the runs band by band (no generic shuffle),
links neighbours with equal hashes, verifies them, and labels connected components.
"""
from __future__ import annotations

import os
import re

import numpy as np

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE = 3
THRESHOLD = 0.3  # estimated Jaccard of restored 3-word shingles to join two documents
SEED = 1
WORD = re.compile(r"\w+")

_TEMPLATE = None


def _minhash():
    global _TEMPLATE
    from datasketch import MinHash

    if _TEMPLATE is None:
        _TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED)
    return MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme)


def shingles(text: str) -> list[bytes]:
    words = WORD.findall(text.lower())
    if len(words) <= SHINGLE:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)]


def signature(text: str) -> np.ndarray | None:
    """MinHash (datasketch) of the word 3-shingles; None for a text without words."""
    sh = shingles(text)
    if not sh:
        return None
    m = _minhash()
    m.update_batch(sh)
    return np.asarray(m.hashvalues, dtype=np.uint32)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def band_hashes(sigs: np.ndarray) -> np.ndarray:
    """(n, BANDS) uint64: one hash per band of ROWS signature values."""
    n = sigs.shape[0]
    parts = sigs.reshape(n, BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros((n, BANDS), dtype=np.uint64)
        for r in range(ROWS):
            h = _mix(h ^ parts[:, :, r] ^ np.uint64(r + 1))
    return h


def sign_rows(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(row numbers, signatures) of the checked documents of a shard."""
    idx, sigs = [], []
    for i, row in enumerate(rows):
        if row.get("error") is None and row.get("restored"):
            s = signature(row["restored"])
            if s is not None:
                idx.append(i)
                sigs.append(s)
    if not sigs:
        return np.zeros(0, np.int64), np.zeros((0, NUM_PERM), np.uint32)
    return np.asarray(idx, np.int64), np.vstack(sigs)


def signature_path(output: str, shard_name: str) -> str:
    return os.path.join(output, "signatures", f"{shard_name}.npz")


def write_signatures(output: str, shard_name: str, rows: list[dict]) -> None:
    """The shard's signatures and its band-sorted runs, written atomically."""
    from unspin.scan.writer import atomic_write

    idx, sigs = sign_rows(rows)
    bands = band_hashes(sigs).T  # (BANDS, n)
    order = np.argsort(bands, axis=1, kind="stable")
    runs = np.take_along_axis(bands, order, axis=1)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, rows=idx, sigs=sigs, runs=runs, order=order.astype(np.int64))

    atomic_write(signature_path(output, shard_name), write)


def signatures_valid(output: str, shard_name: str) -> bool:
    try:
        with np.load(signature_path(output, shard_name)) as z:
            return z["runs"].shape[0] == BANDS and z["sigs"].shape[0] == z["rows"].shape[0]
    except (OSError, ValueError, KeyError):
        return False


def candidate_pairs(runs_per_shard: list[np.ndarray], order_per_shard: list[np.ndarray],
                    offsets: np.ndarray) -> np.ndarray:
    """(m, 2) global document numbers whose hashes agree in some band: each band's sorted runs are
    merged and neighbours in a run of equal hashes are paired."""
    pairs = []
    for b in range(BANDS):
        hashes = np.concatenate([r[b] for r in runs_per_shard])
        docs = np.concatenate([o[b] + off for o, off in zip(order_per_shard, offsets)])
        merge = np.argsort(hashes, kind="stable")  # timsort merges the pre-sorted runs
        hashes, docs = hashes[merge], docs[merge]
        same = np.nonzero(hashes[1:] == hashes[:-1])[0]
        if same.size:
            pairs.append(np.stack([docs[same], docs[same + 1]], axis=1))
    if not pairs:
        return np.zeros((0, 2), np.int64)
    p = np.sort(np.concatenate(pairs), axis=1)
    return np.unique(p, axis=0)


def verify(pairs: np.ndarray, sigs: np.ndarray, threshold: float = THRESHOLD, chunk: int = 65536) -> np.ndarray:
    keep = []
    for i in range(0, len(pairs), chunk):
        p = pairs[i:i + chunk]
        est = (sigs[p[:, 0]] == sigs[p[:, 1]]).mean(axis=1)
        keep.append(p[est >= threshold])
    return np.concatenate(keep) if keep else pairs


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """Label of each of ``n`` nodes: the smallest node number in its connected component."""
    labels = np.arange(n, dtype=np.int64)
    if len(edges) == 0:
        return labels
    a, b = edges[:, 0], edges[:, 1]
    while True:
        m = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, m)
        np.minimum.at(labels, b, m)
        labels = labels[labels]  # pointer jumping
        if np.array_equal(labels, before):
            return labels


def group_copies(output: str, shard_names: list[str], threshold: float = THRESHOLD) -> dict:
    """Join the shards' band runs; write ``groups.parquet`` (one row per document that has at least
    one copy: id, input, record, group, group_size); return counts and timings."""
    import time

    import pyarrow as pa
    import pyarrow.parquet as pq

    from unspin.scan.writer import atomic_write, shard_path

    t0 = time.perf_counter()
    runs, orders, sigs, rows, offsets, names = [], [], [], [], [], []
    total = 0
    for k, name in enumerate(shard_names):
        with np.load(signature_path(output, name)) as z:
            runs.append(z["runs"])
            orders.append(z["order"])
            sigs.append(z["sigs"])
            rows.append(z["rows"])
        offsets.append(total)
        names.append(np.full(len(rows[-1]), k, np.int64))
        total += len(rows[-1])
    t_load = time.perf_counter() - t0
    all_sigs = np.vstack(sigs) if sigs else np.zeros((0, NUM_PERM), np.uint32)
    pairs = candidate_pairs(runs, orders, np.asarray(offsets, np.int64)) if total else np.zeros((0, 2), np.int64)
    edges = verify(pairs, all_sigs, threshold)
    labels = components(total, edges)
    t_join = time.perf_counter() - t0 - t_load

    sizes = np.bincount(labels, minlength=total)
    grouped = np.nonzero(sizes[labels] > 1)[0]
    shard_of = np.concatenate(names) if names else np.zeros(0, np.int64)
    row_of = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    out = {"id": [], "input": [], "record": [], "group": [], "group_size": []}
    # Renumber groups 0.. in order of their first document, for stable output.
    _, group_no = np.unique(labels[grouped], return_inverse=True)
    by_shard: dict[int, list[int]] = {}
    for g in grouped:
        by_shard.setdefault(int(shard_of[g]), []).append(int(g))
    for k, members in sorted(by_shard.items()):
        t = pq.read_table(shard_path(output, shard_names[k]), columns=["id", "input", "record"])
        ids, inputs, recs = (t.column(c).to_pylist() for c in ("id", "input", "record"))
        for g in members:
            r = int(row_of[g])
            out["id"].append(ids[r])
            out["input"].append(inputs[r])
            out["record"].append(recs[r])
    out["group"] = group_no.astype(np.int64).tolist()
    out["group_size"] = sizes[labels[grouped]].astype(np.int64).tolist()
    table = pa.table(out, schema=pa.schema([("id", pa.string()), ("input", pa.string()), ("record", pa.int64()),
                                            ("group", pa.int64()), ("group_size", pa.int64())]))
    table = table.sort_by([("group", "ascending"), ("input", "ascending"), ("record", "ascending")])
    atomic_write(os.path.join(output, "groups.parquet"), lambda tmp: pq.write_table(table, tmp))
    return {"documents_signed": int(total), "candidate_pairs": int(len(pairs)), "verified_pairs": int(len(edges)),
            "groups": int(len(np.unique(labels[grouped]))), "documents_in_groups": int(len(grouped)),
            "load_seconds": round(t_load, 3), "join_seconds": round(t_join, 3),
            "seconds": round(time.perf_counter() - t0, 3)}
