"""Grouping copies of the same source across a scanned corpus: the attribution index's MinHash
fingerprints per shard, exchanged as band-sorted runs in files (as datatrove's MinHash dedup does),
joined locally with numpy.

The fingerprint is the one :mod:`unspin.attribute` uses (its spin-invariant form: names, numbers,
punctuation and the function-word skeleton a spinner leaves alone, shingled and MinHashed), with its
bands, rows, bucket cap and calibrated threshold, so ``groups.parquet`` links the same documents
``unspin find --self`` would. Candidates from equal band keys are verified by the estimated Jaccard
similarity of the full signatures before two documents are joined.

Each worker writes, per shard, ``signatures/<shard>.npz``: the full signatures and, for every band,
the band keys already sorted (a run). The join merges the runs band by band (no generic shuffle),
pairs every member of a run of equal keys with its first member, verifies the pairs and labels
connected components.
"""
from __future__ import annotations

import os

import numpy as np

from unspin.attribute.fingerprint import NUM_PERM, MinHasher, invariant_form, shingles
from unspin.attribute.index import BANDS, BUCKET_CAP, DEFAULT_THRESHOLD, band_keys

THRESHOLD = DEFAULT_THRESHOLD

_HASHER: MinHasher | None = None


def signature(text: str) -> np.ndarray | None:
    """The attribution fingerprint of ``text``; None when it has nothing spin-invariant to sign."""
    global _HASHER
    sh = shingles(invariant_form(text))
    if len(sh) == 0:
        return None
    if _HASHER is None:
        _HASHER = MinHasher()
    return _HASHER.signature(sh)


def band_hashes(sigs: np.ndarray) -> np.ndarray:
    """(n, BANDS) int64 LSH bucket keys, exactly as the attribution index computes them."""
    if len(sigs) == 0:
        return np.zeros((0, BANDS), np.int64)
    return np.array([band_keys(s) for s in sigs], dtype=np.int64)


def sign_texts(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(row numbers, signatures) of the documents of a shard that have a text to sign."""
    idx, sigs = [], []
    for i, text in enumerate(texts):
        s = signature(text) if text else None
        if s is not None:
            idx.append(i)
            sigs.append(s)
    if not sigs:
        return np.zeros(0, np.int64), np.zeros((0, NUM_PERM), np.uint32)
    return np.asarray(idx, np.int64), np.vstack(sigs)


def signature_path(output: str, shard_name: str) -> str:
    return os.path.join(output, "signatures", f"{shard_name}.npz")


def write_signatures(output: str, shard_name: str, texts: list[str | None]) -> None:
    """The shard's signatures and its band-sorted runs, written atomically; ``texts[i]`` is the
    text of the shard's row ``i`` (None for a document that failed)."""
    from unspin.scan.writer import atomic_write

    idx, sigs = sign_texts(texts)
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
    """(m, 2) global document numbers whose keys agree in some band: each band's sorted runs are
    merged, and every member of a run of equal keys is paired with the run's first member (runs
    longer than BUCKET_CAP are generic skeletons, not copies, and are skipped)."""
    pairs = []
    for b in range(BANDS):
        hashes = np.concatenate([r[b] for r in runs_per_shard])
        docs = np.concatenate([o[b] + off for o, off in zip(order_per_shard, offsets, strict=True)])
        merge = np.argsort(hashes, kind="stable")  # timsort merges the pre-sorted runs
        hashes, docs = hashes[merge], docs[merge]
        if len(hashes) < 2:
            continue
        starts = np.concatenate([[0], np.nonzero(hashes[1:] != hashes[:-1])[0] + 1])
        lengths = np.diff(np.concatenate([starts, [len(hashes)]]))
        first = np.repeat(starts, lengths)  # each position's run start
        size = np.repeat(lengths, lengths)
        member = (np.arange(len(hashes)) != first) & (size <= BUCKET_CAP)
        if member.any():
            pairs.append(np.stack([docs[first[member]], docs[member]], axis=1))
    if not pairs:
        return np.zeros((0, 2), np.int64)
    p = np.sort(np.concatenate(pairs), axis=1)
    return np.unique(p, axis=0)


def verify(pairs: np.ndarray, sigs: np.ndarray, threshold: float = THRESHOLD, chunk: int = 65536) -> np.ndarray:
    keep = []
    for i in range(0, len(pairs), chunk):
        p = pairs[i:i + chunk]
        est = (sigs[p[:, 0]] == sigs[p[:, 1]]).mean(axis=1)
        keep.append(p[est >= threshold])  # as unspin.attribute.fingerprint.similarity
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
