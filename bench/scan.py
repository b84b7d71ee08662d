"""Benchmark of ``unspin scan``: throughput of the local engine against a single-process loop over
``unspin.check`` in the same run, Ray's overhead against local, peak memory per worker, and the cost
of grouping copies at 100,000 documents.

    nice .venv/bin/python bench/scan.py                       # the issue's sizes: 20,000 docs, 2 workers
    nice .venv/bin/python bench/scan.py --docs 600            # a quick run
    nice .venv/bin/python bench/scan.py --docs 0              # grouping only

Documents come from ``unspin.eval.corpora`` (``--corpus``, all splits, cycled if --docs is larger),
``--spun-share`` of them spun by the simulator. Results: bench/results/scan.json and scan.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")


def corpus_docs(corpus: str, n: int) -> list[tuple[str, str]]:
    from unspin.eval.corpora import load_documents

    base = load_documents(corpus, "all")
    return [(f"{i}:{base[i % len(base)].id}", base[i % len(base)].text) for i in range(n)]


def spin_some(docs, share: float, seed: int = 0):
    from unspin.eval.simulator import Spinner

    rng = random.Random(seed)
    spinner = Spinner(style="mixed", rate=0.15, seed=seed)
    return [(doc_id, spinner.spin(text).spun if rng.random() < share else text) for doc_id, text in docs]


def write_jsonl(path, docs):
    with open(path, "w", encoding="utf-8") as fh:
        for doc_id, text in docs:
            fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")


def single_loop(docs) -> dict:
    """One process, ``unspin.check`` per document, as a user would write it."""
    import unspin
    from unspin.pipeline import default_pipeline

    t0 = time.perf_counter()
    default_pipeline("fast")
    load = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    for doc_id, text in docs:
        unspin.check(text, doc_id=doc_id)
    loop = time.perf_counter() - t1
    cpu = time.process_time() - c1
    return {"documents": len(docs), "load_seconds": round(load, 2), "check_seconds": round(loop, 2),
            "cpu_ms_per_doc": round(1000 * cpu / len(docs), 2), "load_average": os.getloadavg(),
            "docs_per_second": round(len(docs) / loop, 3),
            "docs_per_second_with_load": round(len(docs) / (loop + load), 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run_scan(path, out, engine, workers, shard_size) -> tuple[dict, float]:
    from unspin.scan import scan

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    s = scan([path], out, engine=engine, workers=workers, shard_size=shard_size, progress="log", group=True)
    return s, time.perf_counter() - t0


def worker_figures(out) -> dict:
    """From the shards' markers: documents/s once the workers are up (documents over the busiest
    worker's time in shards) and the CPU time a document costs inside a worker."""
    busy: dict[int, float] = {}
    docs, cpu = 0, 0.0
    for f in os.listdir(os.path.join(out, "done")):
        with open(os.path.join(out, "done", f)) as fh:
            d = json.load(fh)
        busy[d["pid"]] = busy.get(d["pid"], 0.0) + d["seconds"]
        docs += d["rows"]
        cpu += d["cpu_seconds"]
    return {"docs_per_second_workers_up": round(docs / max(busy.values()), 3),
            "cpu_ms_per_doc_in_workers": round(1000 * cpu / docs, 2), "load_average": os.getloadavg()}


def read_rows(out):
    import pyarrow.parquet as pq

    t = pq.read_table(os.path.join(out, "shards"))
    return sorted(t.to_pylist(), key=lambda r: r["record"])


# -- grouping at scale -------------------------------------------------------------------------------

def cheap_copy(text: str, rng: random.Random, rate: float = 0.3) -> str:
    """A copy with ``rate`` of its longer words replaced by other corpus words: what a spinner does to
    content words, at a tiny fraction of the simulator's cost (for bulk at 100k documents)."""
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 4 and w.isalpha() and w.islower() and rng.random() < rate:
            words[i] = rng.choice(VOCAB)
    return " ".join(words)


VOCAB = ("significant", "building", "remarkable", "province", "structure", "movement", "material",
         "principal", "establish", "produce", "ancient", "journey", "discover", "increase", "notable")


def grouping_bench(n_docs: int, shard_size: int, n_spun: int, tmp: str) -> dict:
    """Sign n_docs documents (sources from all three corpora plus copies), write them as scan shards,
    and time the band-run join; checks that copies land in their source's group."""
    import pyarrow.parquet as pq

    from unspin.eval.corpora import load_documents
    from unspin.eval.simulator import Spinner
    from unspin.scan import grouping, writer

    rng = random.Random(1)
    sources = [d for c in ("wiki", "bbc", "brown") for d in load_documents(c, "all")]
    docs: list[tuple[str, str, str]] = [(d.id, d.id, d.text) for d in sources]  # (id, true source, text)
    spinner = Spinner(style="mixed", rate=0.15, seed=1)
    t0 = time.perf_counter()
    picks = rng.sample(range(len(sources)), n_spun)
    for k, i in enumerate(picks):
        docs.append((f"spun{k}:{sources[i].id}", sources[i].id, spinner.spin(sources[i].text).spun))
    spin_seconds = time.perf_counter() - t0
    k = 0
    while len(docs) < n_docs:
        s = sources[rng.randrange(len(sources))]
        docs.append((f"copy{k}:{s.id}", s.id, cheap_copy(s.text, rng)))
        k += 1
    docs = docs[:n_docs]
    rng.shuffle(docs)
    out = os.path.join(tmp, "group")
    shutil.rmtree(out, ignore_errors=True)
    names, sign_seconds = [], 0.0
    for j in range(0, len(docs), shard_size):
        part = docs[j:j + shard_size]
        name = f"part-{j // shard_size:05d}"
        t = time.perf_counter()
        grouping.write_signatures(out, name, [text for _, _, text in part])  # as process_shard does
        sign_seconds += time.perf_counter() - t
        writer.write_shard(out, name, [{"id": d, "input": "bench", "record": j + r, "warnings": [], "spans": []}
                                       for r, (d, _, _) in enumerate(part)])
        names.append(name)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info = grouping.group_copies(out, names)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    groups = pq.read_table(os.path.join(out, "groups.parquet")).to_pylist()
    truth = {d: src for d, src, _ in docs}
    group_of = {g["id"]: g["group"] for g in groups}
    # Quality: a copy is found if it shares a group with its source; a group is pure if it holds
    # copies of one source only (corpora do hold a few real near-duplicates, so not always 1.0).
    def found(prefix):
        ids = [d for d in truth if d.startswith(prefix)]
        ok = sum(1 for d in ids if d in group_of and group_of.get(truth[d]) == group_of[d])
        return round(ok / len(ids), 4) if ids else None
    members: dict[int, set] = {}
    for g in groups:
        members.setdefault(g["group"], set()).add(truth[g["id"]])
    pure = sum(1 for m in members.values() if len(m) == 1)
    return {"documents": len(docs), "sources": len(sources), "simulator_copies": n_spun,
            "cheap_copies": len(docs) - len(sources) - n_spun, "shards": len(names),
            "sign_ms_per_doc": round(1000 * sign_seconds / len(docs), 3),
            "sign_seconds_total_one_core": round(sign_seconds, 1),
            "join": info, "join_peak_rss_growth_mb": round(rss_after - rss_before, 1),
            "recall_simulator_copies": found("spun"), "recall_cheap_copies": found("copy"),
            "group_purity": round(pure / len(members), 4) if members else None,
            "simulator_seconds": round(spin_seconds, 1),
            "signature_bytes_on_disk": sum(os.path.getsize(os.path.join(out, "signatures", f))
                                           for f in os.listdir(os.path.join(out, "signatures")))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20_000, help="documents for the throughput runs (0: skip)")
    ap.add_argument("--corpus", default="wiki", choices=("wiki", "bbc", "brown"))
    ap.add_argument("--spun-share", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shard-size", type=int, default=100)
    ap.add_argument("--loop-docs", type=int, default=None, help="documents for the single loop (default: --docs)")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--group-docs", type=int, default=100_000, help="documents for the grouping cost (0: skip)")
    ap.add_argument("--group-spun", type=int, default=300, help="of which copies made by the simulator")
    ap.add_argument("--out", default=os.path.join(RESULTS, "scan.json"))
    args = ap.parse_args()

    res: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform()}, "args": vars(args)}
    tmp = tempfile.mkdtemp(prefix="unspin-bench-scan-")
    try:
        if args.docs:
            docs = spin_some(corpus_docs(args.corpus, args.docs), args.spun_share)
            res["input"] = {"documents": len(docs), "corpus": args.corpus, "spun_share": args.spun_share,
                            "mean_words": round(sum(len(t.split()) for _, t in docs) / len(docs), 1)}
            path = os.path.join(tmp, "input.jsonl")
            write_jsonl(path, docs)
            print(f"input: {res['input']}", file=sys.stderr)
            loop = single_loop(docs[: args.loop_docs or len(docs)])
            res["single_loop"] = loop
            print(f"single loop: {loop}", file=sys.stderr)
            local, local_wall = run_scan(path, os.path.join(tmp, "local"), "local", args.workers, args.shard_size)
            res["local"] = {"wall_seconds": round(local_wall, 2), "docs_per_second": round(len(docs) / local_wall, 3),
                            **worker_figures(os.path.join(tmp, "local")),
                            "peak_rss_mb_per_worker": local["peak_rss_mb_per_worker"],
                            "spun": local["spun"], "errors": local["errors"]}
            res["speedup_local_vs_loop"] = round(res["local"]["docs_per_second"] / loop["docs_per_second"], 2)
            # Contention-free view: CPU a document costs in the loop vs in a worker (sharding, Parquet,
            # signatures); times the workers, it is the speed-up on free cores once workers are up.
            res["cpu_cost_ratio_loop_vs_worker"] = round(
                loop["cpu_ms_per_doc"] / res["local"]["cpu_ms_per_doc_in_workers"], 3)
            print(f"local: {res['local']} speed-up {res['speedup_local_vs_loop']}x", file=sys.stderr)
            if not args.no_ray:
                ray_s, ray_wall = run_scan(path, os.path.join(tmp, "ray"), "ray", args.workers, args.shard_size)
                res["ray"] = {"wall_seconds": round(ray_wall, 2), "docs_per_second": round(len(docs) / ray_wall, 3),
                              **worker_figures(os.path.join(tmp, "ray")),
                              "peak_rss_mb_per_worker": ray_s["peak_rss_mb_per_worker"],
                              "overhead_seconds_vs_local": round(ray_wall - local_wall, 2),
                              "overhead_share_vs_local": round(ray_wall / local_wall - 1, 3),
                              "identical_rows": read_rows(os.path.join(tmp, "ray"))
                              == read_rows(os.path.join(tmp, "local"))}
                print(f"ray: {res['ray']}", file=sys.stderr)
        if args.group_docs:
            res["grouping"] = grouping_bench(args.group_docs, 1000, args.group_spun, tmp)
            print(f"grouping: {res['grouping']}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(res, fh, indent=1)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
