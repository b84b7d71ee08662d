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
Encoded = tuple  # (flat word ids, words per wording): see ``NGramLM.encode``
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
    loops, with pocketsphinx's own numbers. Candidate lists are encoded once (``encode``), and
    every site of a document is scored with one call (``sites_logprobs``).
    """

    def __init__(self, path: str | None = None):
        self.path = path or default_model_path()
        self._trie = TrieArrays.load(self.path)
        self._unigram: dict[str, float] = {}

    def ids(self, words: Sequence[str]) -> np.ndarray:
        """Word ids (``MISSING`` outside the vocabulary)."""
        get = self._trie.ids.get
        return np.array([get(w, MISSING) for w in words], dtype=np.int64)

    def encode(self, middles: Sequence[Sequence[str]]) -> Encoded:
        """Candidate wordings as (flat word ids, words per wording), for ``sites_logprobs``."""
        return self.ids([w for m in middles for w in m]), np.array([len(m) for m in middles], dtype=np.int64)

    def sites_logprobs(self, sites: Sequence[tuple[Sequence[str], Sequence[str], Encoded, Sequence[str]]]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each site ``(left, written words, encoded candidates, right)``: the written wording's
        window log-probability ``base[i]`` and its candidates' ``scores[bounds[i]:bounds[i + 1]]``,
        all in one compiled call."""
        n = len(sites)
        written_flat, written_lengths = self.encode([middle for _, middle, _, _ in sites])
        n_cands = np.array([len(enc[1]) for _, _, enc, _ in sites], dtype=np.int64)
        flat = np.concatenate([written_flat] + [enc[0] for _, _, enc, _ in sites])
        lengths = np.concatenate([written_lengths] + [enc[1] for _, _, enc, _ in sites])
        ctx_of = np.concatenate([np.arange(n), np.repeat(np.arange(n), n_cands)])
        out = self._score([(left, right) for left, _, _, right in sites], ctx_of, flat, lengths)
        bounds = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_cands, out=bounds[1:])
        return out[:n], out[n:], bounds

    def window_logprobs(self, left: Sequence[str], middles: Sequence[Sequence[str]],
                        right: Sequence[str]) -> list[float]:
        flat, lengths = self.encode(middles)
        return self._score([(left, right)], np.zeros(len(middles), dtype=np.int64), flat, lengths).tolist()

    def window_logprob(self, left: Sequence[str], middle: Sequence[str], right: Sequence[str]) -> float:
        return self.window_logprobs(left, [middle], right)[0]

    def _score(self, contexts: Sequence[tuple[Sequence[str], Sequence[str]]], ctx_of: np.ndarray,
               flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Window log-probabilities of encoded middles, middle k in ``contexts[ctx_of[k]]``; a
        trigram model sees two words of each side."""
        get = self._trie.ids.get
        n = len(contexts)
        lefts = np.full((n, ORDER - 1), MISSING, dtype=np.int64)
        rights = np.full((n, ORDER - 1), MISSING, dtype=np.int64)
        left_lens = np.empty(n, dtype=np.int64)
        right_lens = np.empty(n, dtype=np.int64)
        for i, (left, right) in enumerate(contexts):
            left, right = left[-(ORDER - 1):], right[:ORDER - 1]
            left_lens[i], right_lens[i] = len(left), len(right)
            for j, w in enumerate(left):
                lefts[i, j] = get(w, MISSING)
            for j, w in enumerate(right):
                rights[i, j] = get(w, MISSING)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return self._trie.window_logprobs(lefts, left_lens, rights, right_lens, ctx_of, flat, offsets)

    def unigram_logprob(self, word: str) -> float:
        return self.unigram_logprobs((word,))[0]

    def unigram_logprobs(self, words: Sequence[str]) -> list[float]:
        """``unigram_logprob`` of each word; the ones not met before in one compiled call."""
        memo = self._unigram
        missing = [w for w in dict.fromkeys(words) if w not in memo]
        if missing:
            if len(memo) + len(missing) > 500_000:
                memo.clear()
                missing = list(dict.fromkeys(words))
            memo.update(zip(missing, self.window_logprobs((), [(w,) for w in missing], ())))
        return [memo[w] for w in words]


def default_model_path() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")


@lru_cache(maxsize=1)
def default_ngram_lm() -> NGramLM:
    """The packaged n-gram model, loaded once per process."""
    return NGramLM()
