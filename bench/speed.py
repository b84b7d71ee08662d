#!/usr/bin/env python3
"""Speed of each profile on spun news, after resources have loaded.

Reports, in one run on this machine:
- fast: documents of ~500 words per second, one process (the scan engine adds workers), three times:
  *cold*, the first documents a process sees; *warm*, after ``--warmup`` other documents (dev
  split) have filled the per-word memos, as in any long scan; and *worker*, warm again on other unseen
  articles once the process is settled as the scan engine settles its workers
  (``unspin.scan.stages.settle_worker``: the garbage collector told what is long-lived);
- accurate and cascade: seconds per ~1,000-word document;
and the issue's targets beside them (fast >= 100 docs/s on 2 cores; accurate <= 5 s per 1,000 words).

    python bench/speed.py [--docs 20] [--profiles fast,cascade,accurate]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from unspin.eval.corpora import load_documents
from unspin.eval.simulator import Spinner
from unspin.pipeline import default_pipeline
from unspin.scan.stages import settle_worker

OUT = Path(__file__).parent / "results" / "speed.json"


def documents(n: int, words: int, seed: int = 0, split: str = "test") -> list[str]:
    """``n`` spun documents of about ``words`` words, built by joining BBC articles of ``split``."""
    pool = [d.text for d in load_documents("bbc", split)]
    out, buf, i = [], [], 0
    while len(out) < n:
        buf.append(pool[i % len(pool)])
        i += 1
        if sum(len(t.split()) for t in buf) >= words:
            text = " ".join(" ".join(buf).split()[:words])
            out.append(Spinner("mixed", 0.15, seed=seed + len(out)).spin(text).spun)
            buf = []
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--profiles", default="fast,cascade,accurate")
    ap.add_argument("--warmup", type=int, default=200, help="dev documents run before the warm fast timing")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args()
    result = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "profiles": {}}
    for profile in a.profiles.split(","):
        words = 500 if profile == "fast" else 1000
        # fast: three times as many documents, other articles for each warm timing
        docs = documents(a.docs * (3 if profile == "fast" else 1), words)
        docs, unseen, unseen2 = docs[: a.docs], docs[a.docs:2 * a.docs], docs[2 * a.docs:]
        t0 = time.perf_counter()
        pipe = default_pipeline(profile)
        pipe.run(docs[0])
        load_s = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        for d in docs:
            pipe.run(d)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        r = {"words_per_doc": words, "docs": len(docs), "load_s": round(load_s, 2), "wall_s": round(wall, 2),
             "cpu_s": round(cpu, 2), "docs_per_s": round(len(docs) / wall, 2),
             "s_per_doc": round(wall / len(docs), 3)}
        if profile == "fast":
            for d in documents(a.warmup, words, split="dev"):
                pipe.run(d)
            warm_docs = unseen  # articles the cold run has not met: only the warm-up's words are memoised
            t0, c0 = time.perf_counter(), time.process_time()
            for d in warm_docs:
                pipe.run(d)
            warm_wall, warm_cpu = time.perf_counter() - t0, time.process_time() - c0
            r["warm"] = {"warmup_docs": a.warmup, "wall_s": round(warm_wall, 2), "cpu_s": round(warm_cpu, 2),
                         "docs_per_s": round(len(warm_docs) / warm_wall, 2)}
            settle_worker()
            t0, c0 = time.perf_counter(), time.process_time()
            for d in unseen2:
                pipe.run(d)
            w_wall, w_cpu = time.perf_counter() - t0, time.process_time() - c0
            r["worker"] = {"wall_s": round(w_wall, 2), "cpu_s": round(w_cpu, 2),
                           "docs_per_s": round(len(unseen2) / w_wall, 2),
                           "ratio_to_target_per_process": round(len(unseen2) / w_wall / 50.0, 3)}
            r["target"] = "100 docs/s of 500 words on 2 cores"
            r["ratio_to_target_per_process"] = round(r["docs_per_s"] / 50.0, 3)  # 2 workers share the target
            r["warm"]["ratio_to_target_per_process"] = round(r["warm"]["docs_per_s"] / 50.0, 3)
        else:
            r["target"] = "<= 5 s per 1,000-word document"
            r["ratio_to_target"] = round(5.0 / r["s_per_doc"], 3)
        result["profiles"][profile] = r
        print(f"{profile:9s} {words:5d}-word docs: {r['docs_per_s']:7.2f} docs/s, {r['s_per_doc']:.3f} s/doc "
              f"(cpu {cpu / len(docs):.3f} s/doc; loaded in {load_s:.1f} s); target: {r['target']}", flush=True)
        if "warm" in r:
            print(f"{'':9s} warm, after {a.warmup} other documents: {r['warm']['docs_per_s']:7.2f} docs/s "
                  f"(cpu {r['warm']['cpu_s'] / len(docs):.3f} s/doc)", flush=True)
            print(f"{'':9s} warm, settled as a scan worker: {r['worker']['docs_per_s']:7.2f} docs/s "
                  f"(cpu {r['worker']['cpu_s'] / len(docs):.3f} s/doc)", flush=True)
    print(f"load average {result['load_average'][0]:.2f} on {result['cpus']} cores")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
