#!/usr/bin/env python3
"""Where recall is lost: what the evidence knows against what the accurate profile finds.

Two measurements on the same simulator-spun documents (dev split by default, so that the test split
stays for reporting):

1. **What each language model knows** (no candidates, no decision): every substitution is put back
   alone into its clean sentence, and each model scores the sentence with the original and with the
   spun wording. The share of substitutions whose original reads better by more than 0, 2 and 4
   nats bounds the recall of any detector that reads that model, even one told the original.
   SmolLM2 is asked three ways: the whole sentence; the sentence up to the site (the left pass);
   up to three words past it (the accurate profile's exact scoring). The n-gram model scores the
   whole sentence (a trigram sees two words either side of the site anyway).
2. **Where the accurate profile loses each substitution**, counted per substitution (an edit may be
   covered by several overlapping sites): no site; no site lists the original among its candidates;
   never scored in full context (the exact-scoring gate); scored exactly without the original among
   the variants; scored with it; and whether it was flagged. Then the same documents with every site
   scored exactly (no gate, about three times the neural time): how many substitutions and how many
   clean sites then show a full-context gain over 2, 4, 6 and 8 nats, which bounds what a wider gate
   can buy, and the spans the shipped decision model flags then.

Needs the neural model (``scripts/install_neural.sh``). JSON in ``bench/results/ceiling_<corpus>.json``.

    python bench/ceiling.py [--corpus bbc|wiki|brown] [--docs 30] [--style mixed] [--rate 0.15]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unspin.decide.detector import Site, _lm_form, doc_features
from unspin.decide.rescore import NeuralRescorer, accurate_detector
from unspin.eval.corpora import load_documents
from unspin.eval.metrics import normalise
from unspin.eval.simulator import Spinner, SpunText
from unspin.evidence.neural import SiteScore, default_neural_lm
from unspin.evidence.ngram import default_ngram_lm
from unspin.tokenize import sentences, tokenize

OUT = Path(__file__).parent / "results"
MARGINS = (0, 2, 4)
GAINS = (2, 4, 6, 8)


@dataclass
class Pair:
    """One substitution alone in its clean sentence: the original sentence and the spun one, and the
    same cut after the site (left) and three words past it (right3)."""

    kind: str
    original: tuple[str, str, str]  # whole, left, right3
    spun: tuple[str, str, str]


def pairs_of(text: str, spun: SpunText) -> list[Pair]:
    doc = tokenize(text)
    bounds = [(doc.tokens[s[0]].start, doc.tokens[s[-1]].end) for s in sentences(doc)]
    out = []
    for e in spun.edits:
        a, b = next(((a, b) for a, b in bounds if a <= e.orig_start < b), (None, None))
        if a is None:
            continue
        head, tail = text[a:e.orig_start], text[e.orig_end:b]
        ends = [m.end() for m in re.finditer(r"\S+", tail)]
        tail3 = tail[:ends[2]] if len(ends) >= 3 else tail
        out.append(Pair(e.kind, (head + e.original + tail, head + e.original, head + e.original + tail3),
                        (head + e.replacement + tail, head + e.replacement, head + e.replacement + tail3)))
    return out


def ngram_logprob(sentence: str) -> float:
    words = " ".join(_lm_form(t.text) for t in tokenize(sentence).tokens if t.is_word or t.protected == "number")
    return default_ngram_lm().window_logprob(["<s>"], words.split(), ["</s>"])


def knowledge(pairs: list[Pair]) -> dict:
    """Share of substitutions whose original reads better by more than each margin, per model and kind."""
    nl = default_neural_lm()
    gains = {"ngram, sentence": np.array([ngram_logprob(p.original[0]) - ngram_logprob(p.spun[0]) for p in pairs])}
    for j, name in enumerate(("smollm2, sentence", "smollm2, left of the site", "smollm2, 3 words past it")):
        gains[name] = np.array(nl.text_logprobs([p.original[j] for p in pairs])) - \
            np.array(nl.text_logprobs([p.spun[j] for p in pairs]))
    kinds = np.array([p.kind for p in pairs])
    out = {}
    for name, g in gains.items():
        for kind in ["all"] + sorted(set(kinds) - {"numbers"}):
            m = np.ones(len(g), bool) if kind == "all" else kinds == kind
            out[f"{name} | {kind}"] = {"n": int(m.sum()), "median": round(float(np.median(g[m])), 2),
                                       **{f">{t}": round(float((g[m] > t).mean()), 3) for t in MARGINS}}
    return out


class RecordingRescorer(NeuralRescorer):
    """The accurate profile's rescorer, keeping which candidates each site had scored exactly."""

    scored: dict[int, list[str]]

    def _features(self, s: Site, sc: SiteScore) -> None:  # type: ignore[override]
        NeuralRescorer._features(s, sc)
        self.scored[id(s)] = list(sc.scored) if len(sc.exact) > 1 else []


def anatomy(docs: list[tuple[str, SpunText]], every_site_exact: bool) -> dict:
    """Per substitution, where the accurate profile loses it; per clean site, its exact gain."""
    det = accurate_detector()
    r = det.rescorer
    exact_min_prob = 0.0 if every_site_exact else r.exact_min_prob
    rec = RecordingRescorer(lm=r.lm, model=r.model, exact_min_prob=exact_min_prob,
                            exact_min_left_gain=r.exact_min_left_gain, gate=r.gate, ngram_picks=r.ngram_picks,
                            left_picks=r.left_picks, right_words=r.right_words)
    det.rescorer = rec
    model = det.final_model
    fates: Counter = Counter()
    edit_gain, clean_gain = [], []
    hits = clean_flags = n_edits = words = 0
    t0 = time.perf_counter()
    for _, spun in docs:
        rec.scored = {}
        doc = tokenize(spun.spun)
        words += len(doc.words)
        sites = det.sites(doc)
        threshold = model.site_threshold_for(model.doc_probability(doc_features(doc, sites)))
        spans = [(doc.tokens[s.first].start, doc.tokens[s.last].end) for s in sites]
        flagged = [s.probability >= threshold and bool(s.features.get("nn_exact")) for s in sites]
        covered = [False] * len(sites)
        for e in spun.edits:
            if e.kind == "numbers":  # figures are protected tokens: the number-word stage's, not a site's
                continue
            n_edits += 1
            here = [k for k, (a, b) in enumerate(spans) if a < e.spun_end and b > e.spun_start]
            for k in here:
                covered[k] = True
            original = normalise(e.original)
            exact = [k for k in here if sites[k].features.get("nn_exact")]
            if not here:
                fate = "no site"
            elif not any(original in {normalise(c) for c in sites[k].candidates} for k in here):
                fate = "original not a candidate"
            elif not exact:
                fate = "not scored exactly (gate)"
            elif not any(original in {normalise(c) for c in rec.scored[id(sites[k])]} for k in exact):
                fate = "scored exactly, original not among the variants"
            else:
                fate = "scored exactly with the original"
            hit = any(flagged[k] for k in here)
            hits += hit
            fates[(fate, "flagged" if hit else "missed")] += 1
            edit_gain.append(max((sites[k].features["nn_gain"] for k in exact), default=-np.inf))
        for k, s in enumerate(sites):
            if not covered[k]:
                clean_flags += flagged[k]
                if s.features.get("nn_exact"):
                    clean_gain.append(s.features["nn_gain"])
    edit_gain, clean_gain = np.array(edit_gain), np.array(clean_gain)
    precision = hits / max(1, hits + clean_flags)
    recall = hits / max(1, n_edits)
    return {
        "exact_min_prob": exact_min_prob,
        "s_per_1000_words": round((time.perf_counter() - t0) / max(1, words) * 1000, 2),
        "substitutions": n_edits,
        "fates": {f"{fate} / {verdict}": n for (fate, verdict), n in sorted(fates.items())},
        "gain_over": {f">{t}": {"substitutions": int((edit_gain > t).sum()), "clean sites": int((clean_gain > t).sum())}
                      for t in GAINS},
        "clean sites scored exactly": len(clean_gain),
        "flagged": {"substitutions": hits, "clean sites": clean_flags, "recall": round(recall, 3),
                    "precision": round(precision, 3),
                    "f1": round(2 * precision * recall / max(1e-9, precision + recall), 3)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="bbc")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--docs", type=int, default=30)
    ap.add_argument("--style", default="mixed")
    ap.add_argument("--rate", type=float, default=0.15)
    ap.add_argument("--no-wide", action="store_true", help="skip the run with every site scored exactly")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    docs = [(d.text, Spinner(a.style, a.rate, seed=1000 + i).spin(d.text))
            for i, d in enumerate(load_documents(a.corpus, a.split, limit=a.docs))]
    pairs = [p for text, spun in docs for p in pairs_of(text, spun)]
    result = {"corpus": a.corpus, "split": a.split, "docs": len(docs), "style": a.style, "rate": a.rate,
              "knowledge": knowledge(pairs), "shipped gate": anatomy(docs, every_site_exact=False)}
    if not a.no_wide:
        result["every site exact"] = anatomy(docs, every_site_exact=True)
    out = Path(a.out) if a.out else OUT / f"ceiling_{a.corpus}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"{a.corpus} {a.split}, {len(docs)} documents spun '{a.style}' at {a.rate:.0%}: {len(pairs)} substitutions")
    print("\n1. The original reads better than the spun wording, alone in its clean sentence, by more than:")
    print(f"   {'model, context | kind':48s} {'n':>5s} " + " ".join(f"{'>' + str(t) + ' nats':>9s}" for t in MARGINS)
          + f" {'median':>7s}")
    for name, row in result["knowledge"].items():
        print(f"   {name:48s} {row['n']:5d} " + " ".join(f"{row['>' + str(t)]:9.2f}" for t in MARGINS)
              + f" {row['median']:7.1f}")
    runs = [k for k in ("shipped gate", "every site exact") if k in result]
    print("\n2. Where the accurate profile loses substitutions (per substitution):")
    fates = sorted({f for k in runs for f in result[k]["fates"]})
    print(f"   {'fate':62s} " + " ".join(f"{k:>17s}" for k in runs))
    for f in fates:
        print(f"   {f:62s} " + " ".join(f"{result[k]['fates'].get(f, 0):17d}" for k in runs))
    for t in GAINS:
        print(f"   {'substitutions / clean sites with exact gain > ' + str(t) + ' nats':62s} "
              + " ".join(f"{result[k]['gain_over']['>' + str(t)]['substitutions']:>8d} / {result[k]['gain_over']['>' + str(t)]['clean sites']:<6d}"
                         for k in runs))
    for key in ("recall", "precision", "f1"):
        print(f"   {'flagged by the shipped decision model: ' + key:62s} "
              + " ".join(f"{result[k]['flagged'][key]:17.3f}" for k in runs))
    print(f"   {'seconds per 1,000 words (this machine, this run)':62s} "
          + " ".join(f"{result[k]['s_per_1000_words']:17.2f}" for k in runs))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
