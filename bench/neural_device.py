#!/usr/bin/env python3
"""The accurate profile's neural stage on another device or number type, against this CPU's run.

The neural stage (``NeuralLM.score``) is the accurate profile's cost. This benchmark records its
inputs and outputs on spun dev articles with the profile as installed (``capture``), then replays
the same calls with the model on ``--device`` in ``--dtype`` (``replay``) and reports, in one table:
seconds per 1,000 words on each side and their ratio, and how far the replayed evidence is from the
captured one (largest difference of a first-sub-token log-probability and of an exact score; sites
whose exact-scoring shortlist is the same; exactly scored sites whose best variant is the same).
The two halves can run on different machines (a GPU machine without the lexicon's dependencies
needs only ``unspin.evidence.neural`` and the model file):

    python bench/neural_device.py --device cuda                      # capture, then replay here
    python bench/neural_device.py --capture-only --file calls.pkl    # on the CPU machine
    python bench/neural_device.py --replay-only --file calls.pkl --device cuda --dtype bfloat16,float32
"""
from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "results" / "neural_device.json"


def capture(docs: int, path: str) -> dict:
    """Run the accurate profile on ``docs`` spun BBC dev articles, recording every neural call; the
    calls are then timed again, warm, for the CPU's figure."""
    from unspin.decide.rescore import accurate_detector
    from unspin.eval.corpora import load_documents
    from unspin.eval.simulator import Spinner
    from unspin.tokenize import tokenize

    det = accurate_detector()
    lm = det.rescorer.lm
    calls = []
    score = lm.score

    def recording(texts, queries, **kw):
        out = score(texts, queries, **kw)
        calls.append((texts, queries, out))
        return out

    lm.score = recording
    words = 0
    for i, d in enumerate(load_documents("bbc", "dev", limit=docs)):
        doc = tokenize(Spinner(style="mixed", rate=0.15, seed=1000 + i).spin(d.text).spun)
        words += len(doc.words)
        det.predict(doc)
    t = time.perf_counter()
    for texts, queries, _ in calls:
        score(texts, queries)
    took = time.perf_counter() - t
    cap = {"calls": calls, "words": words, "seconds": took, "device": lm.device, "dtype": lm.dtype}
    with open(path, "wb") as fh:
        pickle.dump(cap, fh)
    print(f"captured {len(calls)} documents, {words} words: {1000 * took / words:.2f} s per 1,000 words "
          f"({lm.device}, {lm.dtype})", file=sys.stderr)
    return cap


def agreement(replayed: list, captured: list) -> dict:
    """How far the replayed evidence is from the captured evidence, site by site."""
    left = exact = 0.0
    sites = same_shortlist = exact_sites = same_best = 0
    for doc_a, doc_b in zip(replayed, captured):
        for sent_a, sent_b in zip(doc_a, doc_b):
            for a, b in zip(sent_a, sent_b):
                sites += 1
                left = max(left, abs(a.written_left - b.written_left),
                           float(np.max(np.abs(a.candidate_left - b.candidate_left))) if len(a.candidate_left) else 0.0)
                same_shortlist += a.scored == b.scored
                if len(a.exact) and a.scored == b.scored:
                    exact_sites += 1
                    exact = max(exact, float(np.max(np.abs(a.exact - b.exact))))
                    same_best += int(np.argmax(a.exact) == np.argmax(b.exact))
    return {"sites": sites, "max_left_diff": round(left, 4), "same_shortlist": same_shortlist,
            "exact_sites": exact_sites, "max_exact_diff": round(exact, 4), "same_best_variant": same_best}


def replay(cap: dict, device: str, dtype: str, model: str | None, gguf: str | None) -> dict:
    from unspin.evidence.neural import NeuralLM

    t = time.perf_counter()
    lm = NeuralLM(model, gguf_file=gguf, device=device, dtype=dtype)
    load = time.perf_counter() - t
    sync = lm.torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    outs = [lm.score(texts, queries) for texts, queries, _ in cap["calls"]]  # warm-up, and compared
    sync()
    t = time.perf_counter()
    for texts, queries, _ in cap["calls"]:
        lm.score(texts, queries)
    sync()
    took = time.perf_counter() - t
    per_1k = 1000 * took / cap["words"]
    return {"device": device, "dtype": lm.dtype, "load_s": round(load, 1), "s_per_1k_words": round(per_1k, 3),
            "captured_s_per_1k_words": round(1000 * cap["seconds"] / cap["words"], 3),
            "speedup": round(cap["seconds"] / took, 2),
            "agreement": agreement(outs, [out for _, _, out in cap["calls"]])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=12, help="spun BBC dev articles to capture")
    ap.add_argument("--file", default=str(OUT.with_suffix(".pkl")), help="the captured calls")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", help="comma-separated: float32, bfloat16, float16")
    ap.add_argument("--model", default=None, help="folder of the model (default: the installed one)")
    ap.add_argument("--gguf", default=None, help="GGUF file in --model")
    ap.add_argument("--capture-only", action="store_true")
    ap.add_argument("--replay-only", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    Path(a.file).parent.mkdir(parents=True, exist_ok=True)
    if a.replay_only:
        with open(a.file, "rb") as fh:
            cap = pickle.load(fh)
    else:
        cap = capture(a.docs, a.file)
    if a.capture_only:
        return 0
    rows = [replay(cap, a.device, dtype, a.model, a.gguf) for dtype in a.dtype.split(",")]
    print(f"\ncaptured on {cap['device']} in {cap['dtype']}: {cap['words']} words, "
          f"{1000 * cap['seconds'] / cap['words']:.2f} s per 1,000 words\n")
    print("| device | dtype | s per 1,000 words | speed-up | largest difference, first sub-token / exact (nats) "
          "| same shortlist | same best variant |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        g = r["agreement"]
        print(f"| {r['device']} | {r['dtype']} | {r['s_per_1k_words']:.2f} | {r['speedup']:.2f}x | "
              f"{g['max_left_diff']:.2f} / {g['max_exact_diff']:.2f} | {g['same_shortlist']} of {g['sites']} | "
              f"{g['same_best_variant']} of {g['exact_sites']} |")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps({"captured": {k: cap[k] for k in ("words", "seconds", "device", "dtype")},
                                       "replays": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
