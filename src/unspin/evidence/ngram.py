"""N-gram language model evidence: log-probability of a wording in its local context.

Why a window and not the sentence: a trigram model only sees two words back, so a substitution at
position i changes the probabilities of words i .. i+2 alone; scoring that window is exact for the
model and costs a handful of lookups per candidate.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Protocol, Sequence

import numpy as np

from unspin.evidence.trie import LOG_BASE, MISSING, OOV_LOGPROB, TrieArrays

ORDER = 3
__all__ = ["LOG_BASE", "OOV_LOGPROB", "ORDER", "LanguageModel", "NGramLM", "default_ngram_lm"]


class LanguageModel(Protocol):
    """Anything that can score a wording in context; lets a neural model drop in later."""

    def window_logprob(self, left: Sequence[str], middle: Sequence[str], right: Sequence[str]) -> float:
        """log P(middle + right | left), in nats, for lower-cased words."""

    def unigram_logprob(self, word: str) -> float:
        """log P(word) with no context, in nats."""


class NGramLM:
    """CMU's US-English trigram model (shipped in the ``pocketsphinx`` wheel, BSD-2).

    Read from pocketsphinx's file into arrays (``unspin.evidence.trie``) and scored in compiled
    loops, with pocketsphinx's own numbers. A list of candidates is encoded once (``encode``) and
    then scored in any context with one call (``encoded_window_logprobs``).
    """

    def __init__(self, path: str | None = None):
        self.path = path or default_model_path()
        self._trie = TrieArrays(self.path)
        self._unigram: dict[str, float] = {}

    def ids(self, words: Sequence[str]) -> np.ndarray:
        """Word ids (``MISSING`` outside the vocabulary)."""
        get = self._trie.ids.get
        return np.array([get(w, MISSING) for w in words], dtype=np.int64)

    def encode(self, middles: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Candidate wordings as (flat word ids, offsets) for ``encoded_window_logprobs``."""
        offsets = np.zeros(len(middles) + 1, dtype=np.int64)
        np.cumsum([len(m) for m in middles], out=offsets[1:])
        return self.ids([w for m in middles for w in m]), offsets

    def encoded_window_logprobs(self, left: Sequence[str], encoded: tuple[np.ndarray, np.ndarray],
                                right: Sequence[str]) -> np.ndarray:
        """``window_logprob(left, m, right)`` for every encoded middle ``m``."""
        return self._trie.window_logprobs(*self._context(left, right), *encoded)

    def site_logprobs(self, left: Sequence[str], written: Sequence[str], encoded: tuple[np.ndarray, np.ndarray],
                      right: Sequence[str]) -> tuple[float, np.ndarray]:
        """The written wording's window log-probability and every encoded candidate's, with the
        context's word ids looked up once."""
        context = self._context(left, right)
        base = self._trie.window_logprobs(*context, *self.encode([written]))[0]
        return float(base), self._trie.window_logprobs(*context, *encoded)

    def _context(self, left: Sequence[str], right: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the words a trigram model sees either side of a middle."""
        return self.ids(left[-(ORDER - 1):]), self.ids(right[:ORDER - 1])

    def window_logprobs(self, left: Sequence[str], middles: Sequence[Sequence[str]],
                        right: Sequence[str]) -> list[float]:
        return self.encoded_window_logprobs(left, self.encode(middles), right).tolist()

    def window_logprob(self, left: Sequence[str], middle: Sequence[str], right: Sequence[str]) -> float:
        return float(self.encoded_window_logprobs(left, self.encode([middle]), right)[0])

    def unigram_logprob(self, word: str) -> float:
        v = self._unigram.get(word)
        if v is None:
            if len(self._unigram) > 500_000:
                self._unigram.clear()
            v = self._unigram[word] = self.window_logprob((), (word,), ())
        return v


def default_model_path() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")


@lru_cache(maxsize=1)
def default_ngram_lm() -> NGramLM:
    """The packaged n-gram model, loaded once per process."""
    return NGramLM()
