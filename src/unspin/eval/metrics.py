"""Detector metrics: pure functions over plain lists, small enough to check by hand.

Spans are (start, end) character offsets into the *spun* text, one list per document.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Callable, Sequence

Span = tuple[int, int]


def overlaps(a: Span, b: Span) -> bool:
    """Half-open ranges sharing at least one character."""
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class SpanScores:
    tp_pred: int  # predicted spans overlapping some gold span
    n_pred: int
    found_gold: int  # gold spans overlapped by some predicted span
    n_gold: int

    @property
    def precision(self) -> float:
        return self.tp_pred / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        return self.found_gold / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "n_pred": self.n_pred,
                "n_gold": self.n_gold, "tp_pred": self.tp_pred, "found_gold": self.found_gold}


def span_scores(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> SpanScores:
    """Overlap-based span precision/recall, micro-averaged over documents.

    A gold span is found when some predicted span of the same document overlaps it; a predicted
    span is correct when it overlaps some gold span.
    """
    if len(gold) != len(pred):
        raise ValueError("gold and pred must have one list per document")
    tp = n_pred = found = n_gold = 0
    for g, p in zip(gold, pred):
        n_pred += len(p)
        n_gold += len(g)
        tp += sum(1 for ps in p if any(overlaps(ps, gs) for gs in g))
        found += sum(1 for gs in g if any(overlaps(ps, gs) for ps in p))
    return SpanScores(tp, n_pred, found, n_gold)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass(frozen=True)
class RestorationScores:
    exact_found: int  # found gold spans whose suggestion equals the original
    found: int
    n_gold: int

    @property
    def rate_over_found(self) -> float:
        return self.exact_found / self.found if self.found else 0.0

    @property
    def rate_over_all(self) -> float:
        return self.exact_found / self.n_gold if self.n_gold else 0.0

    def as_dict(self) -> dict:
        return {"exact_over_found": self.rate_over_found, "exact_over_all": self.rate_over_all,
                "exact": self.exact_found, "found": self.found, "n_gold": self.n_gold}


def restoration_scores(gold: Sequence[Sequence[tuple[Span, str]]],
                       pred: Sequence[Sequence[tuple[Span, str]]]) -> RestorationScores:
    """Exact restoration: per document, gold is [((start, end), original)], pred is
    [((start, end), suggestion)]. A found gold span counts as restored when any overlapping
    predicted span suggests exactly the original (case-insensitive, whitespace-normalised)."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred must have one list per document")
    exact = found = n_gold = 0
    for g, p in zip(gold, pred):
        for gspan, original in g:
            n_gold += 1
            hits = [sugg for pspan, sugg in p if overlaps(pspan, gspan)]
            if hits:
                found += 1
                if any(normalise(h) == normalise(original) for h in hits):
                    exact += 1
    return RestorationScores(exact, found, n_gold)


def auroc(scores_pos: Sequence[float], scores_neg: Sequence[float]) -> float:
    """Area under the ROC curve = P(score of a random spun doc > score of a random clean doc),
    ties counting one half (the Mann-Whitney U statistic divided by n_pos * n_neg)."""
    if not scores_pos or not scores_neg:
        raise ValueError("need at least one positive and one negative score")
    allv = sorted([(s, 1) for s in scores_pos] + [(s, 0) for s in scores_neg])
    ranks_pos = 0.0
    i = 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their mean
        ranks_pos += avg_rank * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    n_pos, n_neg = len(scores_pos), len(scores_neg)
    u = ranks_pos - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def false_positive_rate(verdicts_clean: Sequence[bool]) -> float:
    """Share of clean documents the detector called spun."""
    return sum(1 for v in verdicts_clean if v) / len(verdicts_clean) if verdicts_clean else 0.0


def flags_per_1000_words(n_flags: Sequence[int], n_words: Sequence[int]) -> float:
    """Flagged spans per 1,000 words, pooled over (clean) documents."""
    words = sum(n_words)
    return 1000.0 * sum(n_flags) / words if words else 0.0


@dataclass(frozen=True)
class CalibrationBin:
    lo: float
    hi: float
    count: int
    mean_score: float
    frac_positive: float


def reliability_bins(scores: Sequence[float], labels: Sequence[bool], n_bins: int = 10) -> list[CalibrationBin]:
    """Equal-width bins of [0, 1]; bin b holds lo <= score < hi (the last bin includes 1.0)."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    buckets: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for s, y in zip(scores, labels):
        if not 0.0 <= s <= 1.0 or math.isnan(s):
            raise ValueError(f"score {s} outside [0, 1]")
        b = min(int(s * n_bins), n_bins - 1)
        buckets[b].append((s, bool(y)))
    out = []
    for b, items in enumerate(buckets):
        n = len(items)
        out.append(CalibrationBin(b / n_bins, (b + 1) / n_bins, n,
                                  sum(s for s, _ in items) / n if n else 0.0,
                                  sum(1 for _, y in items if y) / n if n else 0.0))
    return out


def expected_calibration_error(scores: Sequence[float], labels: Sequence[bool], n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin count / total) * |mean score - fraction positive|."""
    bins = reliability_bins(scores, labels, n_bins)
    total = sum(b.count for b in bins)
    if not total:
        return 0.0
    return sum(b.count / total * abs(b.mean_score - b.frac_positive) for b in bins)


def bootstrap_interval(statistic: Callable[[Sequence[int]], float], n: int, reps: int = 1000,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``reps`` resamples (with
    replacement) of ``range(n)``, usually the documents of a row.

    Why documents and not spans: substitutions in one document share its genre, topic and verdict, so
    they are not independent draws; resampling spans would make a 40-document row look surer than it
    is. A resample on which the statistic is undefined (``None`` or NaN, e.g. an AUROC without a
    positive) is drawn again."""
    if n < 1:
        raise ValueError("need at least one document")
    rng = random.Random(seed)
    values: list[float] = []
    tries = 0
    while len(values) < reps:
        tries += 1
        if tries > 20 * reps:
            raise ValueError("the statistic is undefined on almost every resample")
        v = statistic([rng.randrange(n) for _ in range(n)])
        if v is not None and not math.isnan(v):
            values.append(v)
    values.sort()
    tail = (1.0 - level) / 2
    return values[int(tail * (reps - 1))], values[int(math.ceil((1.0 - tail) * (reps - 1)))]


__all__ = ["CalibrationBin", "RestorationScores", "SpanScores", "auroc", "bootstrap_interval",
           "expected_calibration_error", "false_positive_rate", "flags_per_1000_words", "normalise", "overlaps",
           "reliability_bins", "restoration_scores", "span_scores"]
