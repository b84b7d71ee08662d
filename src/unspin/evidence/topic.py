"""Topic fit: how well a wording suits the words around it, by word vectors.

Why: a trigram model sees two words either side. A spinner that ignores sense writes words of the
wrong topic ("pinching" for economy, "faithful" for patients, "bought his soldiers"), which the
surrounding sentence gives away even where the n-gram model has no counts. The vectors are GloVe 6B
50d (``scripts/build_vectors.py`` derives the shipped subset); one dot product per candidate, all
sites of a document in one compiled call.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Sequence

import numpy as np
from numba import njit


class TopicModel:
    """Unit word vectors; a phrase's vector is the normalised mean of its words' vectors.

    ``window``: words either side of a site that make its context. ``ignore``: words that carry no
    topic (function words); they count towards the window but add nothing to the context or to a
    phrase's vector.

    Every wording with a vector has a row in ``table``: a word its own, a phrase one added the
    first time it is asked for (phrases recur across candidate lists; each is averaged once).
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, window: int = 10,
                 ignore: frozenset[str] = frozenset()):
        unit = vectors.astype(np.float32) / 127.0 if vectors.dtype == np.int8 else vectors.astype(np.float32)
        unit /= np.linalg.norm(unit, axis=1, keepdims=True) + 1e-9
        self.index = {w: i for i, w in enumerate(words) if w not in ignore}  # ignored words: no row
        self._table = unit
        self._size = len(unit)
        self._phrases: dict[tuple[str, ...], int] = {}
        self.dim = unit.shape[1]
        self.window = window

    @classmethod
    def load(cls, path: str | None = None, **kwargs) -> "TopicModel":
        src = path or str(resources.files("unspin.evidence") / "data" / "vectors.npz")
        with np.load(src) as z:
            return cls(str(z["words"]).split("\n"), z["vectors"], **kwargs)

    @property
    def table(self) -> np.ndarray:
        """The unit vectors, one row per word and per phrase met so far."""
        return self._table[: self._size]

    def row(self, words: Sequence[str]) -> int:
        """The row of a wording (lower-case words), or -1 when no word of it has a vector."""
        if len(words) == 1:
            return self.index.get(words[0], -1)
        key = tuple(words)
        r = self._phrases.get(key)
        if r is None:
            get = self.index.get
            rows = [i for i in (get(w, -1) for w in words) if i >= 0]
            if not rows:
                r = -1
            elif len(rows) == 1:
                r = rows[0]
            else:
                v = self._table[rows].sum(0)
                r = self._append(v / (np.linalg.norm(v) + 1e-9))
            self._phrases[key] = r
        return r

    def rows(self, wordings: Sequence[Sequence[str]]) -> np.ndarray:
        """``row`` of each wording, as an array."""
        return np.array([self.row(w) for w in wordings], dtype=np.int64)

    def vector(self, words: Sequence[str]) -> np.ndarray | None:
        """The unit vector of a wording, or ``None``."""
        r = self.row(words)
        return None if r < 0 else self._table[r]

    def _append(self, v: np.ndarray) -> int:
        if self._size == len(self._table):
            grown = np.empty((len(self._table) + max(4096, len(self._table) // 8), self.dim), dtype=np.float32)
            grown[: self._size] = self._table[: self._size]
            self._table = grown
        self._table[self._size] = v
        self._size += 1
        return self._size - 1

    def contexts(self, words: Sequence[str], spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Unit context vectors of spans ``(first, last)`` (inclusive word positions in ``words``):
        the mean of up to ``window`` words either side, the span itself left out. A zero row where
        the context has no vector."""
        if not spans:
            return np.zeros((0, self.dim), dtype=np.float32)
        n = len(words)
        get = self.index.get
        rows = np.fromiter((get(w, -1) for w in words), dtype=np.int64, count=n)
        m = np.zeros((n + 1, self.dim), dtype=np.float32)
        has = rows >= 0
        m[1:][has] = self._table[rows[has]]
        prefix = np.cumsum(m, axis=0)
        first, last = (np.asarray(x, dtype=np.int64) for x in zip(*spans))
        w = self.window
        ctx = (prefix[first] - prefix[np.maximum(0, first - w)]
               + prefix[np.minimum(n, last + 1 + w)] - prefix[last + 1])
        norm = np.linalg.norm(ctx, axis=1, keepdims=True)
        return np.where(norm > 1e-6, ctx / np.maximum(norm, 1e-9), 0.0).astype(np.float32)

    def site_fits(self, contexts: np.ndarray, written: np.ndarray, candidates: np.ndarray,
                  bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Topic fits (cosines) of many sites: site i has context ``contexts[i]``, written wording
        row ``written[i]`` and candidate rows ``candidates[bounds[i]:bounds[i + 1]]``.

        Returns per site (known, fit of the written wording, best candidate's fit minus it), zeros
        where the context or the written wording has no vector; and per candidate its fit, where a
        candidate without a vector gets the mean of its site's known candidates (0 if none), so that
        it neither wins nor loses on topic alone."""
        return _site_fits(self.table, contexts, written, candidates, bounds)


@njit(cache=True)
def _dot(a, b):  # pragma: no cover - compiled
    x = 0.0
    for d in range(len(a)):
        x += a[d] * b[d]
    return x


@njit(cache=True)
def _site_fits(table, contexts, written, candidates, bounds):  # pragma: no cover - compiled
    n = len(contexts)
    out = np.zeros((n, 3))
    fits = np.zeros(len(candidates))
    for i in range(n):
        ctx = contexts[i]
        if _dot(ctx, ctx) < 1e-6:
            continue
        lo, hi = bounds[i], bounds[i + 1]
        best, total, known = -np.inf, 0.0, 0
        for j in range(lo, hi):
            c = candidates[j]
            if c < 0:
                continue
            x = _dot(table[c], ctx)
            fits[j] = x
            best = max(best, x)
            total += x
            known += 1
        if known < hi - lo:
            mean = total / known if known else 0.0
            for j in range(lo, hi):
                if candidates[j] < 0:
                    fits[j] = mean
        w = written[i]
        if w < 0:
            continue
        fit_w = _dot(table[w], ctx)
        out[i, 0] = 1.0
        out[i, 1] = fit_w
        out[i, 2] = (best if known else fit_w) - fit_w
    return out, fits


@lru_cache(maxsize=4)
def default_topic_model(ignore: frozenset[str] = frozenset()) -> TopicModel:
    """The shipped vectors, loaded once per process (per ``ignore`` set)."""
    return TopicModel.load(ignore=ignore)
