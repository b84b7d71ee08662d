"""Spin-invariant fingerprints: the words a spinner never touches, shingled and MinHashed.

A spinner swaps content words for thesaurus synonyms, expands a few function words into filler
phrases ("has" -> "has actually", "between" -> "in between"), rewrites others ("in" -> "within",
"before" -> "earlier than") and writes number words as digits
("two" -> "2", "second" -> "2nd"). What it leaves alone is DSpin's "immutables": names, numbers,
punctuation and the function-word skeleton. :func:`invariant_form` keeps exactly those (number
words written as digits, rewritten forms read as the word they replace), drops every content word, and :func:`shingles` hashes the ``SHINGLE``-grams of what is left.

Measured on the benchmark (bench/attribution.py, README "Attribution"): this form keeps the median
Jaccard similarity of a copy spun at 50% of its content words to its source near 0.9, where word
5-grams of the raw text fall to about 0.14. Content words turned into a placeholder (keeping their
positions) and content words mapped to a canonical lexicon neighbour both separated spun copies from
unrelated documents less well, and are not implemented here.

Tokens come from :func:`unspin.tokenize.tokenize` (about 3 microseconds a word, well within the
build budget), so names and numbers are recognised exactly as the rest of unspin recognises them.
"""
from __future__ import annotations

import hashlib

import numpy as np

from unspin.eval.simulator import STOPWORDS
from unspin.lexicon.numbers import NUMBER_WORDS
from unspin.lexicon.rules import FILLERS, PARAPHRASES
from unspin.tokenize import tokenize

SHINGLE = 3  # tokens per shingle of the invariant form
NUM_PERM = 128  # MinHash permutations
FINGERPRINT_VERSION = "immutables-3/minhash-128/v2"  # recorded in each index; a change needs a rebuild

# Function words a spinner leaves in place: the simulator's stop list (the spinner model unspin is
# measured against) minus number words (normalised to digits below), minus the four function words
# a filler rule replaces outright (about -> regarding, because -> due to the fact that, get -> obtain,
# new -> brand new), which are treated as content words, and minus "very", which filler rules insert
# ("very first", "very same").
FUNCTION_WORDS = STOPWORDS - set(NUMBER_WORDS) - {"about", "because", "get", "new", "very"}

# Every spinner rewrite rule (unspin.lexicon.rules: fillers and function-word paraphrases), reversed:
# a rewritten form is read as the word it replaces ("in between" -> between, "within" -> in,
# "earlier than" -> before). Where both are content words ("assist" for help) the form drops them
# anyway. tests/test_attribution.py checks every FILLER and PARAPHRASE pair of the lexicon.
REWRITTEN_FORMS = {tuple(form.split()): orig for table in (FILLERS, PARAPHRASES)
                   for orig, forms in table.items() for form in forms}
_PHRASE_HEADS: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase, _orig in sorted(REWRITTEN_FORMS.items(), key=lambda item: -len(item[0])):  # longest first
    _PHRASE_HEADS.setdefault(_phrase[0], []).append((_phrase, _orig))

_PUNCT = frozenset(".,;:!?()")


def invariant_form(text: str) -> list[str]:
    """The tokens of ``text`` a spinner cannot change, lower-cased, in order.

    Names, numbers, dates and identifiers (as the tokenizer protects them) and function words are
    kept, number words become digits, punctuation marks in ``.,;:!?()`` are kept, content words are
    dropped, and a spinner's rewritten forms are read as the word they replace.
    """
    out: list[str] = []
    tokens = tokenize(text).tokens
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if not tok.is_word:
            if tok.protected == "number":
                out.append(tok.text.lower())
            elif tok.text in _PUNCT:
                out.append(tok.text)
            continue
        low = tok.text.lower()
        for phrase, orig in _PHRASE_HEADS.get(low, ()):
            if tuple(t.text.lower() for t in tokens[i - 1:i - 1 + len(phrase)]) == phrase:
                low = orig
                i += len(phrase) - 1
                break
        if low in NUMBER_WORDS:
            out.append(NUMBER_WORDS[low])
        elif tok.protected or low in FUNCTION_WORDS:
            out.append(low)
    return out


_token_hashes: dict[str, int] = {}
_MULT = np.uint64(0x9E3779B97F4A7C15)


def _token_hash(tok: str) -> int:
    h = _token_hashes.get(tok)
    if h is None:
        if len(_token_hashes) > 1_000_000:
            _token_hashes.clear()
        h = _token_hashes[tok] = int.from_bytes(hashlib.blake2b(tok.encode("utf-8"), digest_size=8).digest(), "little")
    return h


def shingles(tokens: list[str], n: int = SHINGLE) -> np.ndarray:
    """Distinct 64-bit hashes of the ``n``-grams of ``tokens`` (one shingle if there are fewer)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    arr = np.fromiter((_token_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    m = max(1, len(arr) - n + 1)  # a text shorter than n tokens is one shingle
    h = arr[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, min(n, len(arr))):
            h = h * _MULT + arr[j:j + m]
    return np.unique(h)


class MinHasher:
    """MinHash by multiply-shift hashing of 64-bit shingle hashes: ``(a * x + b) >> 32`` per
    permutation, ``a`` odd; signatures are ``NUM_PERM`` uint32 values (0xFFFFFFFF for no shingle)."""

    def __init__(self, num_perm: int = NUM_PERM, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.a = (rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1))[:, None]
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)[:, None]
        self.num_perm = num_perm

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        if len(hashes) == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        with np.errstate(over="ignore"):
            v = (self.a * hashes[None, :] + self.b) >> np.uint64(32)
        return v.min(axis=1).astype(np.uint32)


def similarity(sig: np.ndarray, sigs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of one signature to each row of ``sigs``."""
    return (sigs == sig[None, :]).mean(axis=1)
