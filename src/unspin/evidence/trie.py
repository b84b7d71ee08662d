"""CMU's trigram model read straight from pocketsphinx's binary trie and queried in compiled loops.

Why not ask pocketsphinx: each of its ``prob`` calls crosses into C from Python (about 1 µs, plus
the key building and caching around it), and the fast profile makes ~100,000 of them per
500-word document. Here the same file is parsed once into flat arrays and a whole candidate list is
scored in one numba call. The arithmetic copies pocketsphinx's (float32 sums, the same back-off
rules, truncation to its integer log scale), so the numbers are pocketsphinx's to the last unit;
``tests/test_ngram.py`` checks that against pocketsphinx itself.

File layout (pocketsphinx ``src/lm/ngram_model_trie.c`` and ``lm_trie.c``, BSD-2): a header, the
order and counts, 16-bit quantisation tables, the unigram records (prob, backoff, first bigram),
bit-packed bigram records (word, backoff, prob, first trigram) and trigram records (word, prob),
then the vocabulary. N-grams are stored reversed: a unigram ``w`` owns the bigrams ``(h1, w)``,
keyed by ``h1``; a bigram owns the trigrams ``(h2, h1, w)``, keyed by ``h2``.

Each order is kept as one array of records (a bigram's word, back-off, probability and first
trigram side by side), not one array per field: scoring is bound by memory latency (~15,000
candidates a document, each a handful of searches in 45 MB of tables), and a found bigram then
costs one cache line instead of four (1.2x). Windows also take each word's back-off bigram from the
word before (1.4x with both).
"""
from __future__ import annotations

import io
import math
import os

import numpy as np
from numba import njit

from unspin.cache import built_through_cache, code_stamp, content_stamp

HEADER = b"Trie Language Model"
MISSING = -1  # word id of a word outside the vocabulary
LOG_ZERO = -(1 << 31)  # integer score of an out-of-vocabulary word, as pocketsphinx's log zero
LOG_BASE = math.log(1.0001)  # pocketsphinx's integer scores are logarithms in base 1.0001
OOV_LOGPROB = -14.0  # nats charged for a word the model has never seen
# Record layouts (see the module docstring); ``next`` is the first record of the next order it owns.
UNIGRAM = np.dtype([("prob", "<f4"), ("bo", "<f4"), ("next", "<i4"), ("pad", "<i4")])
BIGRAM = np.dtype([("word", "<i4"), ("next", "<i4"), ("prob", "<f4"), ("bo", "<f4")])
TRIGRAM = np.dtype([("word", "<i4"), ("prob", "<f4")])


class TrieArrays:
    """The model as flat arrays; see the module docstring for what each holds."""

    @classmethod
    def load(cls, path: str) -> "TrieArrays":
        """The model at ``path``, through the user's cache (``unspin.cache``): unpacking the file's
        bit-packed records takes about 0.9 s at every start of a process; the unpacked arrays, kept
        under a name made of the file's content stamp and the building code's, load in a few tens of
        milliseconds. A missing or damaged copy is rebuilt."""
        stem = os.path.basename(path).split(".")[0]
        stamp = f"{content_stamp(path)}-{code_stamp(cls.__init__, _unpack, _unpack_into.py_func, cls._dump, cls._read)}"
        return built_through_cache(f"ngram-{stem}-", stamp, ".npz", lambda: cls(path), cls._dump, cls._read)

    def _dump(self) -> bytes:
        """The arrays as an npz file's bytes, the vocabulary with its ids (not rebuilt from order)."""
        buf = io.BytesIO()
        np.savez(buf, uni=self.uni, bi=self.bi, tri=self.tri, vocab_ids=np.array(list(self.ids.values())),
                 vocab=np.frombuffer("\0".join(self.ids).encode("utf-8"), dtype=np.uint8))
        return buf.getvalue()

    @classmethod
    def _read(cls, cached: str) -> "TrieArrays":
        with np.load(cached) as z:
            uni, bi, tri, vocab_ids = z["uni"], z["bi"], z["tri"], z["vocab_ids"]
            words = z["vocab"].tobytes().decode("utf-8").split("\0")
        if uni.dtype != UNIGRAM or bi.dtype != BIGRAM or tri.dtype != TRIGRAM or len(words) != len(vocab_ids):
            raise ValueError("not a trie's arrays")
        trie = cls.__new__(cls)
        trie.uni, trie.bi, trie.tri = uni, bi, tri
        trie.ids = dict(zip(words, vocab_ids.tolist()))
        return trie

    def __init__(self, path: str):
        raw = np.fromfile(path, dtype=np.uint8)
        if raw[: len(HEADER)].tobytes() != HEADER:
            raise ValueError(f"{path}: not a pocketsphinx trie language model")
        pos = len(HEADER)
        order = int(raw[pos])
        pos += 1
        if order != 3:
            raise ValueError(f"{path}: a {order}-gram model; unspin reads trigram models only")
        counts = [int(c) for c in np.frombuffer(raw[pos:pos + 12].tobytes(), "<u4")]
        pos += 12 + 4  # the counts, then a retired quantisation-type field
        n_bins = 1 << 16
        quant = np.frombuffer(raw[pos:pos + 12 * n_bins].tobytes(), "<f4")
        pos += 12 * n_bins
        prob2_bins, bo2_bins, prob3_bins = quant[:n_bins], quant[n_bins:2 * n_bins], quant[2 * n_bins:]
        n_words, n_bi, n_tri = counts
        uni = np.frombuffer(raw[pos:pos + 12 * (n_words + 1)].tobytes(),
                            dtype=[("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")])
        pos += 12 * (n_words + 1)
        word_bits, next_bits = n_words.bit_length(), n_tri.bit_length()
        mid_bits, long_bits = word_bits + 32 + next_bits, word_bits + 16
        mid_len = ((1 + n_bi) * mid_bits + 7) // 8 + 8
        long_len = ((1 + n_tri) * long_bits + 7) // 8 + 8
        mid, pos = raw[pos:pos + mid_len], pos + mid_len
        long, pos = raw[pos:pos + long_len], pos + long_len
        vocab_len = int(np.frombuffer(raw[pos:pos + 4].tobytes(), "<i4")[0])
        pos += 4
        words = raw[pos:pos + vocab_len].tobytes().decode("utf-8").split("\0")[:n_words]

        self.ids = {w: i for i, w in enumerate(words)}  # the vocabulary: word -> id
        # 32-bit fields throughout: half the memory traffic of 64.
        self.uni = np.zeros(n_words + 1, dtype=UNIGRAM)
        self.uni["prob"], self.uni["bo"], self.uni["next"] = uni["prob"], uni["bo"], uni["next"]
        n_bi = int(self.uni["next"][n_words])  # records past the last unigram's range are never reached
        fields = _unpack(mid, n_bi + 1, mid_bits, np.array([0, word_bits, word_bits + 16, word_bits + 32]),
                         np.array([word_bits, 16, 16, next_bits]))
        self.bi = np.zeros(n_bi + 1, dtype=BIGRAM)  # the last record only closes the last trigram range
        self.bi["word"][:n_bi] = fields[0][:n_bi]
        self.bi["bo"][:n_bi] = bo2_bins[fields[1][:n_bi]]
        self.bi["prob"][:n_bi] = prob2_bins[fields[2][:n_bi]]
        self.bi["next"] = fields[3]
        bi_next = self.bi["next"]
        n_tri = int(bi_next[n_bi])
        tri = _unpack(long, n_tri, long_bits, np.array([0, word_bits]), np.array([word_bits, 16]))
        # Two ranges in CMU's file are out of order; sorting within ranges lets binary search find them.
        owner = np.repeat(np.arange(n_bi, dtype=np.int64), np.diff(bi_next))
        order_ = np.lexsort((tri[0], owner))
        self.tri = np.zeros(n_tri, dtype=TRIGRAM)
        self.tri["word"] = tri[0][order_]
        self.tri["prob"] = prob3_bins[tri[1][order_]]

    def word_id(self, word: str) -> int:
        return self.ids.get(word, MISSING)

    def score(self, w: int, h1: int, h2: int) -> int:
        """pocketsphinx's integer score of ``w`` after ``h2 h1`` (MISSING ends the history)."""
        return int(_logprob(self.uni, self.bi, self.tri, w, h1, h2))

    def window_logprobs(self, lefts: np.ndarray, left_lens: np.ndarray, rights: np.ndarray,
                        right_lens: np.ndarray, ctx_of: np.ndarray, flat: np.ndarray,
                        offsets: np.ndarray) -> np.ndarray:
        """For each middle ``flat[offsets[k]:offsets[k+1]]`` (word ids) in context ``c = ctx_of[k]``:
        log P(middle + right | left) in nats, where left is ``lefts[c, :left_lens[c]]`` and right is
        ``rights[c, :right_lens[c]]`` (at most two word ids each). Many sites' candidates are scored in
        one call, since a call's fixed cost is several times one candidate's. Each word's score is
        converted and summed left to right, as ``NGramLM.window_logprob`` always has."""
        return _window_logprobs(self.uni, self.bi, self.tri, lefts, left_lens, rights, right_lens, ctx_of, flat,
                                offsets, LOG_BASE, OOV_LOGPROB)


def _unpack(mem: np.ndarray, n: int, stride: int, offsets: np.ndarray, widths: np.ndarray) -> list[np.ndarray]:
    out = np.empty((len(offsets), n), dtype=np.int64)
    _unpack_into(mem, stride, offsets, widths, out)
    return list(out)


@njit(cache=True)
def _unpack_into(mem, stride, offsets, widths, out):  # pragma: no cover - compiled
    for k in range(out.shape[0]):
        mask = (1 << widths[k]) - 1
        for i in range(out.shape[1]):
            bit = i * stride + offsets[k]
            byte = bit >> 3
            v = 0
            for b in range(4, -1, -1):  # five bytes hold any field of up to 33 bits at any shift
                v = (v << 8) | mem[byte + b]
            out[k, i] = (v >> (bit & 7)) & mask


@njit(cache=True, inline="always")
def _find(records, lo, hi, key):  # pragma: no cover - compiled
    """Index of the record whose ``word`` is ``key`` in ``records[lo:hi]`` (sorted by word), or -1."""
    while lo < hi:
        mid = (lo + hi) >> 1
        k = records[mid].word
        if k < key:
            lo = mid + 1
        elif k > key:
            hi = mid
        else:
            return mid
    return -1


@njit(cache=True, inline="always")
def _bigram(uni, bi, w, h1):  # pragma: no cover - compiled
    """Index of the bigram ``(h1, w)`` (stored under ``w``), or -1."""
    return _find(bi, uni[w].next, uni[w + 1].next, h1)


@njit(cache=True, inline="always")
def _backed_off(uni, bi, tri, p_w, b, h1, h2, ctx_bo):  # pragma: no cover - compiled
    """The score of ``w`` after ``h2 h1`` once the bigram ``(h1, w)`` has been looked up (index
    ``b``, -1 if absent): the trigram if ``w``'s bigram has it, else the bigram or unigram (``p_w``)
    backed off with ``ctx_bo``, the back-off of the context "h2 h1" (pocketsphinx's order of float32
    additions, truncated to its integer scale)."""
    if b < 0:
        return int((p_w + uni[h1].bo) + ctx_bo)
    t = _find(tri, bi[b].next, bi[b + 1].next, h2)
    if t >= 0:
        return int(tri[t].prob)
    return int(bi[b].prob + ctx_bo)


@njit(cache=True, inline="always")
def _nats(score, log_base, oov_logprob):  # pragma: no cover - compiled
    """An integer score in nats, with the fixed charge for an out-of-vocabulary word."""
    v = score * log_base
    return v if v >= -1000.0 else oov_logprob


@njit(cache=True, inline="always")
def _known_score(uni, bi, tri, w, h1, h2, b, c):  # pragma: no cover - compiled
    """The score of a known ``w`` after a known ``h1`` (and ``h2``, -1 when unknown or absent), once
    the bigrams ``(h1, w)`` (``b``) and ``(h2, h1)`` (``c``, read only when ``h2`` is known) have
    been looked up, each -1 if absent."""
    if h2 < 0:
        return int(bi[b].prob) if b >= 0 else int(uni[w].prob + uni[h1].bo)
    ctx_bo = bi[c].bo if c >= 0 else np.float32(0.0)
    return _backed_off(uni, bi, tri, uni[w].prob, b, h1, h2, ctx_bo)


@njit(cache=True)
def _logprob(uni, bi, tri, w, h1, h2):  # pragma: no cover - compiled
    """pocketsphinx's ``lm_trie_score`` (float32 arithmetic, truncated to an integer)."""
    if w < 0:
        return LOG_ZERO
    if h1 < 0:
        return int(uni[w].prob)
    c = _bigram(uni, bi, h1, h2) if h2 >= 0 else -1
    return _known_score(uni, bi, tri, w, h1, h2, _bigram(uni, bi, w, h1), c)


@njit(cache=True)
def _window_logprobs(uni, bi, tri, lefts, left_lens, rights, right_lens, ctx_of, flat, offsets, log_base,
                     oov_logprob):  # pragma: no cover - compiled
    n = len(offsets) - 1
    out = np.empty(n, dtype=np.float64)
    longest = 0
    for k in range(n):
        longest = max(longest, offsets[k + 1] - offsets[k])
    seq = np.empty(lefts.shape[1] + rights.shape[1] + longest, dtype=np.int64)
    # Each word's score needs the bigram (h1, w) and, for its back-off, the bigram (h2, h1): the one
    # found for the word before. So one bigram search a word, not two; the context's own bigram
    # "ll l1" is looked up once per run of middles in that context.
    # The common case (a one-word middle with two known words either side) shares more: the
    # right context's bigram "r1 rr" and the range of r1's bigrams are per context too.
    cur = -1
    quick = False
    ll, l1, r1, rr = -1, -1, -1, -1
    c_left = -1  # the bigram "ll l1" (-1: absent, or the left context is short or unknown)
    c_right = -2  # the bigram "r1 rr" (-1: absent; -2: the right context is short or unknown)
    bo_ll_l1 = np.float32(0.0)
    r1_lo, r1_hi = 0, 0
    for k in range(n):
        ctx = ctx_of[k]
        if ctx != cur:
            cur = ctx
            left_known = left_lens[ctx] == 2 and lefts[ctx, 0] >= 0 and lefts[ctx, 1] >= 0
            right_known = right_lens[ctx] == 2 and rights[ctx, 0] >= 0 and rights[ctx, 1] >= 0
            c_left = _bigram(uni, bi, lefts[ctx, 1], lefts[ctx, 0]) if left_known else -1
            c_right = _bigram(uni, bi, rights[ctx, 1], rights[ctx, 0]) if right_known else -2
            quick = left_known and right_known
            if quick:
                ll, l1, r1, rr = lefts[ctx, 0], lefts[ctx, 1], rights[ctx, 0], rights[ctx, 1]
                bo_ll_l1 = bi[c_left].bo if c_left >= 0 else np.float32(0.0)
                r1_lo, r1_hi = uni[r1].next, uni[r1 + 1].next
        if quick and offsets[k + 1] - offsets[k] == 1 and flat[offsets[k]] >= 0:
            w = flat[offsets[k]]
            b1 = _bigram(uni, bi, w, l1)  # bigram "l1 w"
            b2 = _find(bi, r1_lo, r1_hi, w)  # bigram "w r1"
            bo_l1_w = bi[b1].bo if b1 >= 0 else np.float32(0.0)
            bo_w_r1 = bi[b2].bo if b2 >= 0 else np.float32(0.0)
            s1 = _backed_off(uni, bi, tri, uni[w].prob, b1, l1, ll, bo_ll_l1)
            s2 = _backed_off(uni, bi, tri, uni[r1].prob, b2, w, l1, bo_l1_w)
            s3 = _backed_off(uni, bi, tri, uni[rr].prob, c_right, r1, w, bo_w_r1)
            total = 0.0
            total += _nats(s1, log_base, oov_logprob)
            total += _nats(s2, log_base, oov_logprob)
            total += _nats(s3, log_base, oov_logprob)
            out[k] = total
            continue
        m = 0
        for j in range(left_lens[ctx]):
            seq[m] = lefts[ctx, j]
            m += 1
        first = m
        for j in range(offsets[k], offsets[k + 1]):
            seq[m] = flat[j]
            m += 1
        for j in range(right_lens[ctx]):
            seq[m] = rights[ctx, j]
            m += 1
        total = 0.0
        prev_b = c_left  # the bigram (seq[j - 1], seq[j - 2]) where both are known words
        for j in range(first, m):
            w = seq[j]
            h1 = seq[j - 1] if j >= 1 else -1
            h2 = seq[j - 2] if j >= 2 and h1 >= 0 else -1
            b = -1
            if w < 0:
                score = LOG_ZERO
            elif h1 < 0:
                score = int(uni[w].prob)
            else:  # _logprob, with the back-off bigram taken from the word before
                b = c_right if j == m - 1 and c_right > -2 else _bigram(uni, bi, w, h1)
                score = _known_score(uni, bi, tri, w, h1, h2, b, prev_b)
            total += _nats(score, log_base, oov_logprob)
            prev_b = b
        out[k] = total
    return out
