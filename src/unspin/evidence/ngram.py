"""N-gram language model evidence: log-probability of a wording in its local context.

Why a window and not the sentence: a trigram model only sees two words back, so a substitution at
position i changes the probabilities of words i .. i+2 alone; scoring that window is exact for the
model and costs a handful of lookups per candidate.
"""
from __future__ import annotations

import math
import os
from functools import lru_cache
from typing import Protocol, Sequence

LOG_BASE = math.log(1.0001)  # pocketsphinx reports log-probabilities in base 1.0001
OOV_LOGPROB = -14.0  # nats charged for a word the model has never seen
ORDER = 3


class LanguageModel(Protocol):
    """Anything that can score a wording in context; lets a neural model drop in later."""

    def window_logprob(self, left: Sequence[str], middle: Sequence[str], right: Sequence[str]) -> float:
        """log P(middle + right | left), in nats, for lower-cased words."""

    def unigram_logprob(self, word: str) -> float:
        """log P(word) with no context, in nats."""


class NGramLM:
    """CMU's US-English trigram model (shipped in the ``pocketsphinx`` wheel, BSD-2), queried in place.

    The model file is memory-mapped by pocketsphinx; loading takes ~0.1 s.
    """

    def __init__(self, path: str | None = None):
        from pocketsphinx import Config, LogMath, NGramModel

        self.path = path or default_model_path()
        self._model = NGramModel(Config(), LogMath(), self.path)
        self._cache: dict[tuple[str, ...], float] = {}

    def _prob(self, ngram_reversed: tuple[str, ...]) -> float:
        v = self._cache.get(ngram_reversed)
        if v is None:
            raw = self._model.prob(ngram_reversed)
            v = raw * LOG_BASE
            if v < -1000:  # out of vocabulary
                v = OOV_LOGPROB
            if len(self._cache) > 2_000_000:
                self._cache.clear()
            self._cache[ngram_reversed] = v
        return v

    def unigram_logprob(self, word: str) -> float:
        return self._prob((word,))

    def window_logprob(self, left: Sequence[str], middle: Sequence[str], right: Sequence[str]) -> float:
        seq = [*left[-(ORDER - 1):], *middle, *right[:ORDER - 1]]
        first = min(len(left), ORDER - 1)
        cache, prob = self._cache, self._prob
        total = 0.0
        for j in range(first, len(seq)):
            key = (seq[j], seq[j - 1], seq[j - 2]) if j >= 2 else tuple(reversed(seq[: j + 1]))
            v = cache.get(key)
            total += v if v is not None else prob(key)
        return total

    def window_logprobs(self, left: Sequence[str], middles: Sequence[Sequence[str]],
                        right: Sequence[str]) -> list[float]:
        """``[window_logprob(left, m, right) for m in middles]``, to the last bit, with the
        per-candidate work of the common case (a one-word middle) done inline."""
        l2 = left[-2:]
        r2 = right[:2]
        if not l2 or not r2:
            return [self.window_logprob(left, m, right) for m in middles]
        l1 = l2[-1]
        nl = len(l2)
        two_left = nl == 2
        ll = l2[0]
        r1 = r2[0]
        rr = r2[1] if len(r2) == 2 else None
        get, prob = self._cache.get, self._prob
        out = []
        for m in middles:
            if len(m) != 1:  # a phrase: window_logprob's loop, without its call and list
                seq = (*l2, *m, *r2)
                total = 0.0
                for j in range(nl, len(seq)):
                    key = (seq[j], seq[j - 1], seq[j - 2]) if j >= 2 else (seq[1], seq[0])
                    v = get(key)
                    total += v if v is not None else prob(key)
                out.append(total)
                continue
            w = m[0]
            key = (w, l1, ll) if two_left else (w, l1)
            v = get(key)
            total = 0.0 + (v if v is not None else prob(key))
            key = (r1, w, l1)
            v = get(key)
            total += v if v is not None else prob(key)
            if rr is not None:
                key = (rr, r1, w)
                v = get(key)
                total += v if v is not None else prob(key)
            out.append(total)
        return out


def default_model_path() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")


@lru_cache(maxsize=1)
def default_ngram_lm() -> NGramLM:
    """The packaged n-gram model, loaded once per process."""
    return NGramLM()
