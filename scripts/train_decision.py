#!/usr/bin/env python3
"""Train the decision model (site and document logistic weights) on simulated spinning.

Why simulated: no labelled corpus of real spinning exists offline; the simulator gives exact gold
spans for any clean text. Trained on the *train* split, thresholds chosen on *dev*; the test split
is left to ``bench/quality.py``.

    python scripts/train_decision.py                     # fast: src/unspin/decide/data/decision.json
    python scripts/train_decision.py --profile accurate  # neural: .../decision_accurate.json

The accurate model is trained on top of the shipped fast model (its probability is one feature and
decides which sites get exact neural scoring), so train fast first.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

import numpy as np

from unspin.decide import DOC_FEATURES, FEATURES, DecisionModel, Detector, doc_features
from unspin.eval.corpora import load_documents
from unspin.eval.simulator import Spinner
from unspin.tokenize import tokenize

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "unspin", "decide", "data", "decision.json")
STYLES = ("sense", "nosense", "phrase", "mixed", "mixed")
RATES = (0.05, 0.15, 0.3)


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50,
                 weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (IRLS); features standardised inside."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    sw = np.ones(len(y)) if weights is None else weights
    reg = l2 * np.eye(Z.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(Z @ w, -40, 40)))
        g = Z.T @ (sw * (p - y)) + reg @ w
        H = (Z * (sw * p * (1 - p))[:, None]).T @ Z + reg
        step = np.linalg.solve(H, g)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    coef = w[:-1] / sd
    intercept = w[-1] - float((w[:-1] * mu / sd).sum())
    return coef, float(intercept)


def labelled_sites(det: Detector, text: str, gold: list[tuple[int, int]], features=FEATURES):
    doc = tokenize(text)
    sites = det.sites(doc)
    rows, labels = [], []
    for s in sites:
        a, b = doc.tokens[s.first].start, doc.tokens[s.last].end
        labels.append(float(any(a < ge and gs < b for gs, ge in gold)))
        rows.append([s.features[k] for k in features])
    return doc, sites, rows, labels


def collect(det: Detector, docs, seed: int, spun_share: float = 0.75, features=FEATURES):
    """Site rows and document rows from clean and spun versions of ``docs``."""
    rng = random.Random(seed)
    site_X, site_y, doc_items = [], [], []
    for i, d in enumerate(docs):
        if rng.random() < spun_share:
            sp = Spinner(rng.choice(STYLES), rng.choice(RATES), seed=seed * 100_000 + i).spin(d.text)
            text, gold = sp.spun, sp.gold_spans()
        else:
            text, gold = d.text, []
        doc, sites, rows, labels = labelled_sites(det, text, gold, features)
        site_X += rows
        site_y += labels
        doc_items.append((doc, sites, bool(gold), gold))
    return np.array(site_X), np.array(site_y), doc_items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-corpus", type=int, default=120, help="training documents per corpus")
    ap.add_argument("--dev-per-corpus", type=int, default=40)
    ap.add_argument("--max-clean-flags", type=float, default=2.0, help="per 1,000 clean words, on dev")
    ap.add_argument("--max-clean-fpr", type=float, default=0.03, help="share of clean dev docs called spun")
    ap.add_argument("--profile", choices=("fast", "accurate"), default="fast")
    ap.add_argument("--out", default=None, help="default: the shipped file of the profile")
    a = ap.parse_args()

    t0 = time.time()
    if a.profile == "fast":
        det = Detector(model=DecisionModel.heuristic(), passes=1)
        features, out = FEATURES, a.out or OUT
    else:
        from unspin.decide.rescore import NEURAL_FEATURES, accurate_detector, accurate_model_path

        det = accurate_detector(model=DecisionModel.heuristic())
        features, out = NEURAL_FEATURES, a.out or accurate_model_path()
    train = [d for c in ("bbc", "wiki", "brown") for d in load_documents(c, "train", a.per_corpus)]
    dev = [d for c in ("bbc", "wiki", "brown") for d in load_documents(c, "dev", a.dev_per_corpus)]
    X, y, _ = collect(det, train, seed=1, features=features)
    print(f"train: {len(train)} docs, {len(y)} sites, {int(y.sum())} spun ({time.time() - t0:.0f}s)", file=sys.stderr)
    coef, intercept = fit_logistic(X, y)
    site_coef = dict(zip(features, map(float, coef)))
    model = DecisionModel(site_coef, intercept, {k: 0.0 for k in DOC_FEATURES}, 0.0)

    # Thresholds and the document model on dev, with the trained site model.
    # Half clean, half spun on dev, so the document score is calibrated for an even prior.
    Xd, yd, dev_items = collect(det, dev, seed=2, spun_share=0.5, features=features)
    pd_ = np.array([model.site_probability(dict(zip(features, r))) for r in Xd])
    clean_words = sum(len(doc.words) for doc, _, spun, _ in dev_items if not spun)
    clean_mask = np.concatenate([[not spun] * len(sites) for _, sites, spun, _ in dev_items]).astype(bool)
    best = (0.0, 0.5)
    for thr in np.arange(0.3, 0.96, 0.02):
        flag = pd_ >= thr
        tp, fp, fn = (flag & (yd == 1)).sum(), (flag & (yd == 0)).sum(), (~flag & (yd == 1)).sum()
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        clean_rate = 1000 * (flag & clean_mask).sum() / max(1, clean_words)
        if clean_rate <= a.max_clean_flags and f1 > best[0]:
            best = (f1, float(thr))
    model.site_threshold = round(best[1], 2)
    print(f"site threshold {model.site_threshold} (dev site F1 {best[0]:.3f})", file=sys.stderr)

    for (doc, sites, _, _), p in zip(dev_items, np.split(pd_, np.cumsum([len(s) for _, s, _, _ in dev_items])[:-1])):
        for s, pi in zip(sites, p):
            s.probability = float(pi)
    D = np.array([[doc_features(doc, sites)[k] for k in DOC_FEATURES] for doc, sites, _, _ in dev_items])
    yD = np.array([float(spun) for _, _, spun, _ in dev_items])
    dcoef, dint = fit_logistic(D, yD, l2=0.3)
    model.doc_coef = dict(zip(DOC_FEATURES, map(float, dcoef)))
    model.doc_intercept = dint
    # The verdict threshold: 0.5 unless more than the allowed share of clean dev documents passes it.
    clean_scores = sorted((model.doc_probability(dict(zip(DOC_FEATURES, row))) for row, spun in zip(D, yD)
                           if not spun), reverse=True)
    k = int(a.max_clean_fpr * len(clean_scores))
    model.doc_threshold = round(max(0.5, clean_scores[k] + 1e-4 if clean_scores else 0.5), 4)
    print(f"doc threshold {model.doc_threshold} (clean dev FPR <= {a.max_clean_fpr})", file=sys.stderr)
    model.meta = {"trained_on": "simulated spinning of BBC/Wikipedia/Brown train split", "profile": a.profile,
                  "train_docs": len(train), "train_sites": int(len(y)), "dev_docs": len(dev),
                  "dev_site_f1": round(best[0], 4), "script": "scripts/train_decision.py"}
    model.save(os.path.normpath(out))
    print(f"wrote {out} in {time.time() - t0:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
