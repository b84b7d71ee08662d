#!/usr/bin/env python3
"""Train the neural model's site probe (``unspin.evidence.probe``) on simulated spinning.

Documents of the train split past the ones the accurate decision model trains on (``--skip``), so
that model learns how far to trust the probe from text the probe has not fit; spun as
``train_decision.py`` draws them (styles, rates, three quarters spun). The fast detector finds the
sites, the neural model's left pass gathers the states the probe reads at each, and a logistic model
with L2 on standardised states is fit by L-BFGS. Its site AUROC is reported on the dev documents the
accurate decision model chooses its thresholds on.

    python scripts/train_probe.py            # writes src/unspin/evidence/data/probe_<model>.json

Then retrain the accurate decision model (``train_decision.py --profile accurate``), which reads the
probe's logit as a feature.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from train_decision import draw, round_robin, site_labels
from unspin.decide import Detector
from unspin.decide.rescore import NeuralRescorer
from unspin.eval.metrics import auroc
from unspin.evidence.neural import NeuralLM
from unspin.evidence.probe import SiteProbe, probe_path
from unspin.tokenize import tokenize


def gather(lm: NeuralLM, docs, seed: int, spun_share: float) -> tuple[np.ndarray, np.ndarray]:
    """(states the probe reads, label) of every site of the drawn documents."""
    det = Detector()  # sites and candidates only: which sites exist does not depend on the models
    # No shortlist and no left picks: the left pass alone, no exact scoring.
    asker = NeuralRescorer(lm=lm, model=det.model, ngram_picks=0, left_picks=0)
    X, y = [], []
    t0 = time.time()
    drawn = draw(docs, seed, spun_share)
    for n, d in enumerate(drawn):
        text, gold = d.spun()
        doc = tokenize(text)
        sites = det.sites(doc)
        labels = dict(zip(map(id, sites), site_labels(doc, sites, gold)))
        texts, queries, owners = asker.queries(doc, sites)
        for here, scores in zip(owners, lm.score(texts, queries)):
            for s, sc in zip(here, scores):
                X.append(sc.probe_input.astype(np.float32))
                y.append(labels[id(s)])
        if n % 50 == 0:
            print(f"  {n + 1}/{len(drawn)} documents, {len(y)} sites ({time.time() - t0:.0f}s)", file=sys.stderr)
    return np.array(X), np.array(y)


def fit(X: np.ndarray, y: np.ndarray, l2: float, iters: int) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised inputs (mean log loss + l2 * |w|^2), returned as weights
    over the raw inputs. By L-BFGS rather than ``train_decision.fit_logistic``'s Newton steps: over
    2,304 inputs and about 90,000 sites each Newton step's Hessian is minutes of work."""
    import torch

    mu, sd = X.mean(0), X.std(0) + 1e-6
    Z = torch.tensor((X - mu) / sd, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    w = torch.zeros(Z.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iters, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Z @ w + b, yt) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    wz = w.detach().numpy().astype(np.float64)
    return (wz / sd).astype(np.float32), float(b.detach()) - float((wz * mu / sd).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-corpus", type=int, default=150, help="training documents per corpus")
    ap.add_argument("--skip", type=int, default=200,
                    help="train documents per corpus left to the decision models (the accurate one uses 40-150)")
    ap.add_argument("--dev-per-corpus", type=int, default=25, help="the accurate decision model's dev documents")
    ap.add_argument("--shuffled", action="store_true",
                    help="documents in train_decision.py --shuffled order (use the same as the decision model)")
    ap.add_argument("--layer", type=int, default=20)
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--out", default=None, help="default: the shipped probe of the neural model")
    a = ap.parse_args()

    lm = NeuralLM(probe=None, keep_probe_inputs=True)  # UNSPIN_NEURAL_MODEL chooses the model
    lm.probe = SiteProbe(a.layer, lm.model.config.hidden_size)  # zero weights: it only gathers states
    train_docs = round_robin("train", a.per_corpus, a.shuffled, skip=a.skip)  # past the first --skip a corpus
    X, y = gather(lm, train_docs, seed=11, spun_share=0.75)
    print(f"train: {len(train_docs)} documents, {len(y)} sites, {int(y.sum())} spun", file=sys.stderr)
    w, b = fit(X, y, a.l2, a.iters)
    Xd, yd = gather(lm, round_robin("dev", a.dev_per_corpus, a.shuffled), seed=2, spun_share=0.5)
    z = Xd @ w + b
    dev_auroc = auroc(z[yd == 1].tolist(), z[yd == 0].tolist())
    print(f"dev: {len(yd)} sites, site AUROC of the probe alone {dev_auroc:.3f}", file=sys.stderr)
    probe = SiteProbe(a.layer, lm.model.config.hidden_size, weight=w, bias=b, meta={
        "neural_model": lm.name, "trained_on": "simulated spinning of BBC/Wikipedia/Brown train split",
        "train_docs": len(train_docs), "train_sites": int(len(y)), "skip_per_corpus": a.skip, "l2": a.l2,
        "documents": "shuffled" if a.shuffled else "first by id",
        "dev_sites": int(len(yd)), "dev_site_auroc": round(dev_auroc, 4), "script": "scripts/train_probe.py"})
    out = a.out or probe_path(lm.name)
    probe.save(os.path.normpath(out))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
