"""Neural re-scoring of candidate sites: the accurate profile, and the cascade gate in front of it.

The fast detector proposes sites, candidates and a restoration shortlist; this stage asks a neural
language model (``unspin.evidence.neural``) how each reads in the whole left context, scores the
shortlist exactly where it may matter, and decides with its own trained decision model
(``decide/data/decision_accurate.json``, from ``scripts/train_decision.py --profile accurate``).
"""
from __future__ import annotations

import math
import os
from importlib import resources

import numpy as np

from unspin.decide.detector import FEATURES, DecisionModel, Detector, Site, _clip, _clipped, doc_features
from unspin.doc import Doc
from unspin.evidence.neural import DEFAULT_MODEL, NeuralLM, NeuralUnavailable, SiteQuery, default_neural_lm
from unspin.evidence.probe import probe_path
from unspin.tokenize import sentences

# The cascade re-scores a document when its fast document score reaches this (or a fast site is
# flagged): chosen on dev so that spun documents almost always pass and most clean ones do not (with
# an earlier fast model, on 120 dev documents of three corpora spun at 15% or 30%: 99% of them
# pass, and 40% of the same documents clean; with the boosted trees, on the fast model's 450 dev
# documents, 97% of the 146 spun at 15% or 30% and 45% of the 235 clean, as with the network before).
CASCADE_GATE = 0.2

ACCURATE_MAX_CANDIDATES = 250

NEURAL_FEATURES = FEATURES + ("fast_logit", "nn_left_gain", "nn_surprise", "nn_gain", "nn_exact",
                              "nn_gain_margin", "nn_doc_gain", "nn_probe")


def accurate_model_path(lm_name: str = DEFAULT_MODEL) -> str:
    """The accurate decision model trained on ``lm_name``'s evidence: each language model has its
    own, since gains on one model's scale mean something else on another's."""
    suffix = "" if lm_name == DEFAULT_MODEL else f"_{lm_name}"
    return str(resources.files("unspin.decide") / "data" / f"decision_accurate{suffix}.json")


def load_accurate_model(lm_name: str) -> DecisionModel:
    path = accurate_model_path(lm_name)
    if not os.path.exists(path):
        raise NeuralUnavailable(
            f"no accurate decision model is trained for the neural model {lm_name!r}; train one with "
            f"UNSPIN_NEURAL_MODEL={lm_name} python scripts/train_decision.py --profile accurate")
    return DecisionModel.load(path)


class NeuralRescorer:
    """Adds neural evidence to sites and decides with the accurate decision model.

    ``exact_min_prob``/``exact_min_left_gain``: which sites get exact (left + right context) scoring of
    their shortlist; every site gets the one-pass left-context evidence. On dev (105 documents, sites
    scored under a wide gate and the gates replayed), 0.4 / 5.0 nats scores 37% fewer variants than
    0.25 / 4.0 with the same site F1 (0.64). ``gate``: for the cascade, the
    fast document score (or strongest fast site) below which a document is not re-scored at all;
    ``None`` re-scores every document (the accurate profile). Exact scoring covers the n-gram model's
    best ``ngram_picks`` candidates and the neural left-context's best ``left_picks``, each with
    ``right_words`` words of right context. On BBC mixed (40 test documents), 3 words of right context
    score as 4 did (span F1 .668 vs .667, restoration .729 vs .730) with ~15% fewer tokens; 2 words
    lose .01 F1, and 2 left picks instead of 3 lose .003. With the restoration shortlist (n-gram,
    topic and fan-out), which overlaps the neural picks less, 2 left picks scored 5.0 s per 1,000
    words instead of 5.2 to 5.4 but lost .035 span F1 on BBC mixed and .02 on Wikipedia: 3 stay.
    """

    def __init__(self, lm: NeuralLM | None = None, model: DecisionModel | None = None,
                 exact_min_prob: float = 0.4, exact_min_left_gain: float = 5.0,
                 gate: float | None = None, ngram_picks: int = 2, left_picks: int = 3, right_words: int = 3):
        self.lm = lm or default_neural_lm()
        self.model = model or load_accurate_model(self.lm.name)
        if "nn_probe" in self.model.site_features and getattr(self.lm, "probe", None) is None:
            # Absent, the feature would read as 0 for every site: wrong decisions, and no error.
            raise NeuralUnavailable(f"the accurate decision model reads the neural probe, and none is loaded for "
                                    f"{self.lm.name} (expected at {probe_path(self.lm.name)}; train one with "
                                    f"scripts/train_probe.py)")
        self.exact_min_prob = exact_min_prob
        self.exact_min_left_gain = exact_min_left_gain
        self.gate = gate
        self.ngram_picks = ngram_picks
        self.left_picks = left_picks
        self.right_words = right_words

    def wants(self, doc: Doc, sites: list[Site], fast_model: DecisionModel) -> bool:
        if self.gate is None:
            return True
        fast_doc = fast_model.doc_probability(doc_features(doc, sites))
        return fast_doc >= self.gate or max(s.probability for s in sites) >= fast_model.site_threshold

    def rescore(self, doc: Doc, sites: list[Site]) -> None:
        texts, queries, owners = self.queries(doc, sites)
        for here, scores in zip(owners, self.lm.score(texts, queries)):
            for s, sc in zip(here, scores):
                self._features(s, sc)
        doc_gain = float(np.mean(_clipped(sites, "nn_left_gain"))) if sites else 0.0
        for s in sites:
            s.features["nn_doc_gain"] = doc_gain
        self.model.score_sites(sites)

    def queries(self, doc: Doc, sites: list[Site]) -> tuple[list[str], list[list[SiteQuery]], list[list[Site]]]:
        """What the neural model is asked: the text of each sentence holding sites, its queries, and
        the sites they belong to (in the same order)."""
        by_first = {s.first: [] for s in sites}
        for s in sites:
            by_first[s.first].append(s)
        texts, queries, owners = [], [], []
        for sent in sentences(doc):
            here = [s for i in sent for s in by_first.get(i, ())]
            if not here:
                continue
            begin, end = doc.tokens[sent[0]].start, doc.tokens[sent[-1]].end
            texts.append(doc.text[begin:end])
            owners.append(here)
            queries.append([SiteQuery(doc.tokens[s.first].start - begin, doc.tokens[s.last].end - begin,
                                      s.candidates, s.shortlist[: self.ngram_picks],
                                      None if s.probability >= self.exact_min_prob else self.exact_min_left_gain,
                                      self.left_picks, self.right_words)
                            for s in here])
        return texts, queries, owners

    def may_flag(self, site: Site) -> bool:
        """Only a site whose candidates the neural model has read in full context (left and right)
        becomes a span: on dev, the sites flagged from the left pass alone were right 31% of the time
        (28 of 90, all in documents judged spun), against 80% for the others; without them
        precision rose from .75 to .83 on news and .62 to .70 on Brown at the same F1, and every
        span of the accurate profile carries a neural gain a reviewer can read."""
        return bool(site.features.get("nn_exact"))

    @staticmethod
    def _features(s: Site, sc) -> None:
        f = s.features
        p = min(max(s.probability, 1e-6), 1 - 1e-6)
        f["fast_logit"] = math.log(p / (1 - p))
        f["nn_left_gain"] = _clip(sc.left_gain, 25.0)
        f["nn_surprise"] = _clip(-sc.written_left, 25.0)
        if sc.probe is not None:  # absent, not 0, without a probe: the evidence then shows none
            f["nn_probe"] = _clip(sc.probe, 25.0)
        f["nn_scored"] = 1.0
        if len(sc.exact) > 1:
            cand = sc.exact[1:]
            k = int(np.argmax(cand))
            f["nn_gain"] = _clip(float(cand[k] - sc.exact[0]), 25.0)
            f["nn_exact"] = 1.0
            f["nn_gain_margin"] = _clip(float(cand[k] - np.partition(cand, -2)[-2]) if len(cand) > 1 else 10.0, 25.0)
            s.suggest(sc.scored[k])
        else:
            f["nn_gain"] = 0.0
            f["nn_exact"] = 0.0
            f["nn_gain_margin"] = 0.0


def accurate_detector(gate: float | None = None, model: DecisionModel | None = None,
                      lm: str | None = None) -> Detector:
    """The detector of the accurate (``gate=None``) and cascade profiles: the fast detector with a
    wider candidate list (the neural left pass scores every candidate almost for free) and neural
    re-scoring, by the neural model ``lm`` names (default: ``UNSPIN_NEURAL_MODEL``, else SmolLM2).
    Training (scripts/train_decision.py) builds the same one."""
    rescorer = NeuralRescorer(lm=default_neural_lm(lm), model=model, gate=gate)
    return Detector(max_candidates=ACCURATE_MAX_CANDIDATES, rescorer=rescorer)
