"""Source attribution at corpus scale: unspin's index vs a datasketch MinHash LSH baseline, one run.

Corpus: the clean corpora (BBC, Brown, Wikipedia; all splits) cut into paragraph-sized documents
(25-90 words, at sentence boundaries), near-duplicates removed (word 5-gram Jaccard >= 0.3), plus simulated near-variants of
*other* documents as hard distractors until ``--docs`` documents are indexed. A near-variant drops
(of three or more), swaps or replaces a sentence and changes about one word in ten at random.

Queries: indexed documents of the dev split (threshold calibration) and of the test split
(reported), spun by the simulator (style ``mixed``) at 10%, 30% and 50% of content words (with
``--function-rewrites S``, a share S of the function words a synonym spinner rewrites are rewritten
first, style ``paraphrase``: in -> within, but -> however). Clean
queries with no source in the index: paragraphs held out of the index (none of their variants
indexed either). A query counts as recovered when the top match scores at or above the threshold
and is the source (or a document with exactly the source's text).

Baseline: datasketch ``MinHashLSH`` (128 permutations, threshold 0.2) over word 5-gram shingles of the
raw lower-cased text; candidates re-ranked by estimated Jaccard similarity.

Clusters (``find --self``): the spun test copies at 30% and 50% are added to the index; each source
with its two copies should make one group, holding nothing unrelated ("family": the source, its
copies, its near-variants).

Writes bench/results/attribution.json. Run with ``nice``: ``nice python bench/attribution.py``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATES = (0.1, 0.3, 0.5)


def chunks(text: str, lo: int = 25, hi: int = 90) -> list[str]:
    """Paragraphs, long ones cut at sentence boundaries into pieces of at most ``hi`` words, short
    ones merged with the next; pieces under ``lo`` words dropped."""
    pieces = []
    for para in re.split(r"\n\s*\n|\n", text):
        para = para.strip()
        if not para:
            continue
        cur, n = [], 0
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", para):
            w = len(s.split())
            if n and n + w > hi:
                pieces.append(" ".join(cur))
                cur, n = [], 0
            cur.append(s)
            n += w
        if cur:
            pieces.append(" ".join(cur))
    out: list[str] = []
    for p in pieces:
        if out and len(out[-1].split()) < lo:
            out[-1] = out[-1] + "\n\n" + p
        else:
            out.append(p)
    return [p for p in out if len(p.split()) >= lo]


def load_chunks() -> dict[str, list[tuple[str, str]]]:
    from unspin.eval.corpora import load_documents

    by_split: dict[str, list[tuple[str, str]]] = {"train": [], "dev": [], "test": []}
    seen: set[str] = set()
    for corpus in ("bbc", "brown", "wiki"):
        for split in by_split:
            for d in load_documents(corpus, split):
                for i, c in enumerate(chunks(d.text)):
                    key = " ".join(c.lower().split())
                    if key not in seen:
                        seen.add(key)
                        by_split[split].append((f"{corpus}/{d.id}#{i}", c))
    return by_split


def drop_near_duplicates(by_split: dict[str, list[tuple[str, str]]]) -> int:
    """Keep one paragraph of each group of near-duplicates (word 5-gram Jaccard >= 0.3, datasketch
    LSH, verified exactly): the BBC set carries re-published stories under other ids, and a held-out
    "clean" paragraph with a near-copy in the index does have a source. Returns how many were dropped."""
    lsh = Baseline(threshold=0.3)
    grams: dict[str, set[str]] = {}
    dropped = 0
    for split in ("train", "dev", "test"):
        kept = []
        for doc_id, text in by_split[split]:
            g = set(_word_grams(text))
            m = lsh.minhash(text)
            if any(len(g & grams[c]) / len(g | grams[c]) >= 0.3 for c in lsh.lsh.query(m)):
                dropped += 1
                continue
            grams[doc_id] = g
            lsh.lsh.insert(doc_id, m)
            kept.append((doc_id, text))
        by_split[split] = kept
    return dropped


def _word_grams(text: str) -> list[str]:
    w = re.findall(r"\w+", text.lower())
    return [" ".join(w[i:i + 5]) for i in range(max(1, len(w) - 4))]


def _sentences(text: str) -> list[str]:
    """Sentences of at least 6 words (shorter pieces, such as "Mr.", join the next)."""
    out: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+", text):
        if out and len(out[-1].split()) < 6:
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def near_variant(text: str, other: str, vocab: list[str], rng: random.Random) -> str:
    sents = _sentences(text)
    others = _sentences(other)
    kind = rng.choice(("drop", "swap", "replace")[:len(sents)] if len(sents) < 3 else ("drop", "swap", "replace"))
    if len(sents) == 1:
        kind = "words only"  # a one-sentence document: no sentence-level change
    elif kind == "drop":
        del sents[rng.randrange(len(sents))]
    elif kind == "swap":
        i = rng.randrange(len(sents) - 1)
        sents[i], sents[i + 1] = sents[i + 1], sents[i]
    elif kind == "replace":
        sents[rng.randrange(len(sents))] = rng.choice(others)
    words = " ".join(sents).split(" ")
    for i in range(len(words)):
        if rng.random() < 0.1:
            words[i] = rng.choice(vocab)
    return " ".join(words)


class Baseline:
    """datasketch MinHash LSH over word 5-gram shingles of the raw text."""

    def __init__(self, threshold: float = 0.2, num_perm: int = 128):
        from datasketch import MinHash, MinHashLSH

        self.MinHash = MinHash
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.sigs: dict[str, object] = {}
        self.threshold, self.num_perm = threshold, num_perm

    def minhash(self, text: str):
        m = self.MinHash(num_perm=self.num_perm)
        m.update_batch([g.encode() for g in set(_word_grams(text))])
        return m

    def add(self, doc_id: str, text: str) -> None:
        m = self.minhash(text)
        self.sigs[doc_id] = m
        self.lsh.insert(doc_id, m)

    def top1(self, text: str) -> tuple[str | None, float]:
        m = self.minhash(text)
        best, score = None, 0.0
        for c in self.lsh.query(m):
            s = m.jaccard(self.sigs[c])
            if s > score:
                best, score = c, s
        return best, score


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across fork+exec)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def child(argv: list[str]) -> int:
    """``--child index ...``: the CLI, then its peak memory; ``--child query IDX QUERIES``: top-1 of
    each query at threshold 0, with latencies, as JSON."""
    if argv[0] == "index":
        from unspin.cli import main as cli

        rc = cli(argv)
        print(peak_rss_mib())
        return rc
    from unspin.attribute import SourceIndex

    with open(argv[2], encoding="utf-8") as fh:
        queries = json.load(fh)
    top, ms = [], []
    with SourceIndex(argv[1], create=False) as index:
        index.find(queries[0], k=1)  # warm up (page cache, imports)
        for q in queries:
            t = time.perf_counter()
            m = index.find(q, k=1, threshold=0.0)
            ms.append((time.perf_counter() - t) * 1000)
            top.append((m[0].id, m[0].score) if m else (None, 0.0))
    print(json.dumps({"top1": top, "ms": ms, "peak_rss_mib": peak_rss_mib()}))
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000, help="documents to index (default %(default)s)")
    ap.add_argument("--queries", type=int, default=1000, help="test queries per rate (dev: half)")
    ap.add_argument("--clean", type=int, default=1000, help="clean no-source queries per split")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench-attribution"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "attribution.json"))
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--function-rewrites", type=float, default=0.0, metavar="SHARE",
                    help="before the mixed spinning, rewrite this share of the function words word-level "
                         "synonym spinners rewrite (simulator style paraphrase: in -> within); default 0")
    args = ap.parse_args()
    from unspin.eval.simulator import Spinner

    rng = random.Random(0)
    t0 = time.perf_counter()
    by_split = load_chunks()
    near_dups = drop_near_duplicates(by_split)
    real = {k: len(v) for k, v in by_split.items()}
    for v in by_split.values():
        rng.shuffle(v)
    held = {s: by_split[s][:args.clean] for s in ("dev", "test")}  # clean, no source indexed
    n_dev, n_test = args.queries // 2, args.queries
    sources = {"dev": by_split["dev"][args.clean:args.clean + n_dev],
               "test": by_split["test"][args.clean:args.clean + n_test]}
    assert all(len(v) >= n for v, n in ((sources["dev"], n_dev), (sources["test"], n_test)))
    indexed = (sources["dev"] + sources["test"] + by_split["train"] + by_split["dev"][args.clean + n_dev:]
               + by_split["test"][args.clean + n_test:])[:args.docs]
    # Distractors: near-variants of training documents (never of a query's source).
    bases = by_split["train"]
    vocab = [w for _, t in bases[:2000] for w in t.split()]
    n_var = max(0, args.docs - len(indexed))
    for i in range(n_var):
        doc_id, text = bases[i % len(bases)]
        indexed.append((f"variant/{i}/{doc_id}", near_variant(text, rng.choice(bases)[1], vocab, rng)))
    text_of = dict(indexed)
    print(f"corpus: {len(indexed)} documents ({len(indexed) - n_var} real paragraphs, {n_var} near-variants) "
          f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    # Spun queries.
    t0 = time.perf_counter()
    spun: dict[str, dict[float, list[tuple[str, str]]]] = {"dev": {}, "test": {}}
    for split in spun:
        for rate in RATES:
            seed = int(rate * 100) + (0 if split == "dev" else 1)
            sp = Spinner("mixed", rate, seed=seed)
            pa = Spinner("paraphrase", args.function_rewrites, seed=seed)
            spun[split][rate] = [(doc_id, sp.spin(pa.spin(text).spun).spun) for doc_id, text in sources[split]]
    print(f"spun {sum(len(v) for s in spun.values() for v in s.values())} queries in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    # unspin: build with the CLI in a child process (its own peak memory), on the corpus as JSONL.
    os.makedirs(args.work, exist_ok=True)
    corpus_path = os.path.join(args.work, "corpus.jsonl")
    with open(corpus_path, "w", encoding="utf-8") as fh:
        for doc_id, text in indexed:
            fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    idx = os.path.join(args.work, "index")
    shutil.rmtree(idx, ignore_errors=True)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--child", "index", "build", "--input", corpus_path, "--index", idx],
                       capture_output=True, text=True)
    build_s = time.perf_counter() - t0
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        return 1
    build_rss = float(r.stdout.split()[-1])
    size = sum(os.path.getsize(os.path.join(idx, f)) for f in os.listdir(idx))
    print(f"unspin build: {build_s:.0f} s, {len(indexed) / build_s:.0f} docs/s, {size / 2**20:.0f} MiB, "
          f"peak RSS {build_rss:.0f} MiB", file=sys.stderr, flush=True)

    # Queries in a child process too (its peak memory is the query side's): top-1 at threshold 0.
    queries = [q for split in ("dev", "test") for r in RATES for _, q in spun[split][r]]
    queries += [t for split in ("dev", "test") for _, t in held[split]]
    qpath = os.path.join(args.work, "queries.json")
    with open(qpath, "w", encoding="utf-8") as fh:
        json.dump(queries, fh)
    r = subprocess.run([sys.executable, __file__, "--child", "query", idx, qpath], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        return 1
    answers = json.loads(r.stdout)
    query_ms, query_rss = np.array(answers["ms"]), answers["peak_rss_mib"]
    found = iter(answers["top1"])

    def hit(found_id: str | None, source: str) -> bool:
        return found_id is not None and (found_id == source or text_of.get(found_id) == text_of[source])

    res: dict[str, dict] = {}
    for split in ("dev", "test"):
        res[split] = {"spun": {r: [(hit(f, s), sc) for s, _ in spun[split][r] for f, sc in [next(found)]] for r in RATES}}
    for split in ("dev", "test"):
        res[split]["clean"] = [next(found)[1] for _ in held[split]]
    # Threshold: the smallest (two-decimal) value at which >= 99.5% of clean dev documents match
    # nothing (the target is 99%; the margin absorbs sampling noise between dev and test).
    clean_dev = np.array(res["dev"]["clean"])
    threshold = next(t / 100 for t in range(1, 101) if (clean_dev < t / 100).mean() >= 0.995)

    def summary(split: str, thr: float) -> dict:
        out = {f"recall@1_{int(r * 100)}": float(np.mean([h and sc >= thr for h, sc in res[split]["spun"][r]]))
               for r in RATES}
        out.update({f"top1_is_source_{int(r * 100)}": float(np.mean([h for h, _ in res[split]["spun"][r]]))
                    for r in RATES})  # at any score: the ceiling the threshold cuts into
        out["clean_no_match"] = float((np.array(res[split]["clean"]) < thr).mean())
        return out

    result = {
        "indexed_documents": len(indexed), "real_paragraphs": len(indexed) - n_var, "near_variants": n_var,
        "chunks_per_split": real, "near_duplicate_paragraphs_dropped": near_dups, "queries_per_rate": {"dev": n_dev, "test": n_test},
        "clean_queries": {"dev": len(held["dev"]), "test": len(held["test"])},
        "threshold": threshold, "function_rewrites": args.function_rewrites,
        "unspin": {"dev": summary("dev", threshold), "test": summary("test", threshold),
                   "build_docs_per_s": len(indexed) / build_s, "build_s": build_s,
                   "index_mib": size / 2**20, "build_peak_rss_mib": build_rss,
                   "query_ms": {"mean": float(query_ms.mean()), "p50": float(np.percentile(query_ms, 50)),
                                "p95": float(np.percentile(query_ms, 95)), "max": float(query_ms.max())},
                   "query_process_peak_rss_mib": query_rss,
                   "true_source_score_p5": {int(r * 100): float(np.percentile([sc for h, sc in res["test"]["spun"][r] if h] or [0], 5))
                                            for r in RATES},
                   "clean_score_p99": float(np.percentile(res["test"]["clean"], 99))},
    }
    print(json.dumps(result["unspin"], indent=1), file=sys.stderr, flush=True)

    if not args.no_baseline:
        t0 = time.perf_counter()
        base = Baseline()
        for doc_id, text in indexed:
            base.add(doc_id, text)
        b_build = time.perf_counter() - t0
        blat: list[float] = []
        out: dict[str, float] = {}
        for r in RATES:
            hits = []
            for s, q in spun["test"][r]:
                t = time.perf_counter()
                f, _ = base.top1(q)
                blat.append(time.perf_counter() - t)
                hits.append(hit(f, s))
            out[f"recall@1_{int(r * 100)}"] = float(np.mean(hits))
        out["clean_no_match"] = float(np.mean([base.top1(t)[0] is None for _, t in held["test"]]))
        out.update(build_docs_per_s=len(indexed) / b_build, query_ms_mean=float(np.mean(blat) * 1000),
                   lsh_threshold=base.threshold)
        result["baseline_datasketch_word5"] = out
        print(json.dumps(out, indent=1), file=sys.stderr, flush=True)

    # --self: the spun test copies (30% and 50%) added to the index; each source and its two copies
    # should form one group, and a group holding a copy should hold nothing unrelated to its source.
    from unspin.attribute import SourceIndex

    def base(doc_id: str) -> str:
        if doc_id.startswith(("spun30/", "spun50/", "variant/")):
            return doc_id.split("/", 1)[1] if doc_id.startswith("spun") else doc_id.split("/", 2)[2]
        return doc_id

    with SourceIndex(idx, create=False) as index:
        index.add_many((f"spun{int(r * 100)}/{s}", q) for r in (0.3, 0.5) for s, q in spun["test"][r])
        t0 = time.perf_counter()
        groups = index.clusters(threshold=threshold)
        self_s = time.perf_counter() - t0
    group_of = {i: g for g, members in enumerate(groups) for i, _ in members}
    complete = [group_of.get(s) is not None and group_of.get(s) == group_of.get(f"spun30/{s}") == group_of.get(f"spun50/{s}")
                for s, _ in sources["test"]]
    with_copy = [g for g in groups if any(i.startswith("spun") for i, _ in g)]
    result["self_clusters"] = {
        "documents": len(indexed) + 2 * n_test, "groups": len(groups), "seconds": self_s,
        "source_and_both_copies_in_one_group": float(np.mean(complete)),
        "groups_with_a_copy_holding_only_its_source_family": float(np.mean([len({base(i) for i, _ in g}) == 1 for g in with_copy])),
    }
    print(json.dumps(result["self_clusters"], indent=1), file=sys.stderr, flush=True)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
