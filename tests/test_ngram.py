"""The array-backed trigram model must give pocketsphinx's own numbers, to the last unit."""
from __future__ import annotations

import math
import random

import pytest

from unspin.evidence.ngram import LOG_BASE, OOV_LOGPROB, NGramLM, default_ngram_lm

TEXT = """the prime minister said on tuesday that the government would not raise taxes before the
election , but critics argued that the budget plans were unrealistic and that spending cuts would
hurt public services across the country . shares in the company rose sharply after it reported
record profits for the third quarter in a row ."""


@pytest.fixture(scope="module")
def models():
    from pocketsphinx import Config, LogMath, NGramModel

    lm = default_ngram_lm()
    return lm, NGramModel(Config(), LogMath(), lm.path)


def _ps_logprob(ps, reversed_ngram: tuple[str, ...]) -> float:
    """pocketsphinx's log-probability in nats, with unspin's charge for unknown words."""
    v = ps.prob(reversed_ngram) * LOG_BASE
    return OOV_LOGPROB if v < -1000 else v


def test_single_ngrams_match_pocketsphinx(models):
    lm, ps = models
    words = TEXT.split() + ["zzqxv", "<s>", "</s>", "astatine", "satisfied"]
    rng = random.Random(0)
    trie = lm._trie
    checked = 0
    for i in range(2, len(words)):
        for q in [(words[i], words[i - 1], words[i - 2]), (rng.choice(words), words[i - 1], rng.choice(words)),
                  (words[i], rng.choice(words)), (rng.choice(words),)]:
            ids = [trie.word_id(w) for w in q] + [-1, -1]
            h2 = ids[2] if ids[1] >= 0 else -1  # pocketsphinx ends the history at an unknown word
            mine = trie.score(ids[0], ids[1], h2) * LOG_BASE
            mine = OOV_LOGPROB if mine < -1000 else mine
            assert mine == _ps_logprob(ps, q), q
            checked += 1
    assert checked > 200


@pytest.mark.parametrize("left,middles,right", [
    (["said", "the"], [["government"], ["administration"], ["zzqxv"], ["in", "between"], ["has", "actually"]],
     ["would", "not"]),
    (["<s>"], [["shares"], ["stocks"], ["zzqxv"]], ["in", "the"]),
    (["<s>", "shares"], [["in"], ["of"]], ["</s>"]),
    (["zzqxv", "the"], [["budget"], ["plan"]], ["zzqxv", "were"]),
    ([], [["record"]], []),
])
def test_windows_are_sums_of_pocketsphinx_ngrams(models, left, middles, right):
    lm, ps = models
    got = lm.window_logprobs(left, middles, right)
    for m, value in zip(middles, got):
        seq = [*left[-2:], *m, *right[:2]]
        want = 0.0
        for j in range(min(len(left), 2), len(seq)):
            hist = []
            for w in reversed(seq[max(0, j - 2):j]):
                if lm._trie.word_id(w) < 0:
                    break
                hist.append(w)
            want += _ps_logprob(ps, (seq[j], *hist))
        assert value == want, m  # same order of float additions: exactly equal
        assert lm.window_logprob(left, m, right) == value


def test_unigram_and_unknown_words(models):
    lm, _ = models
    assert lm.unigram_logprob("the") > lm.unigram_logprob("budget") > OOV_LOGPROB
    assert lm.unigram_logprob("zzqxv") == OOV_LOGPROB
    assert math.isfinite(lm.unigram_logprob("</s>"))


def test_unigrams_in_one_call_equal_one_at_a_time(models):
    lm, _ = models
    words = ["budget", "the", "zzqxv", "budget", "minister", "</s>"]
    fresh = NGramLM(lm.path)  # an empty memo: every word is computed in the batch
    batch = fresh.unigram_logprobs(words)
    assert batch == [lm.window_logprob((), (w,), ()) for w in words]
    assert batch[0] == batch[3] and fresh.unigram_logprobs(["minister"]) == [batch[4]]


def test_a_file_that_is_not_a_trie_model_is_refused_clearly(tmp_path):
    from unspin.evidence.ngram import NGramLM

    bad = tmp_path / "model.arpa"
    bad.write_text("\\data\\\nngram 1=3\n")
    with pytest.raises(ValueError, match="not a pocketsphinx trie language model"):
        NGramLM(str(bad))


def test_the_unpacked_arrays_are_cached_and_read_back_unchanged(tmp_path, monkeypatch):
    import os

    import numpy as np

    from unspin.evidence.ngram import default_model_path
    from unspin.evidence.trie import TrieArrays

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    path = default_model_path()
    built = TrieArrays(path)
    for _ in range(2):  # written, then read back
        loaded = TrieArrays.load(path)
        assert all(np.array_equal(getattr(built, k), getattr(loaded, k)) for k in ("uni", "bi", "tri"))
        assert loaded.ids == built.ids and loaded.score(5, 6, 7) == built.score(5, 6, 7)
    (copy,) = os.listdir(tmp_path)
    (tmp_path / copy).write_bytes(b"damaged")
    assert TrieArrays.load(path).ids == built.ids  # rebuilt
    assert np.array_equal(TrieArrays.load(path).tri, built.tri)  # and rewritten
