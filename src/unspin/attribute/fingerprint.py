"""Spin-invariant fingerprints: the words a spinner never touches, shingled and MinHashed.

A spinner swaps content words for thesaurus synonyms, expands a few function words into filler
phrases ("has" -> "has actually", "between" -> "in between") and writes number words as digits
("two" -> "2", "second" -> "2nd"). What it leaves alone is DSpin's "immutables": names, numbers,
punctuation and the function-word skeleton. :func:`invariant_form` keeps exactly those (number
words written as digits, filler phrases read as the word they expand), drops every content word, and :func:`shingles` hashes the ``SHINGLE``-grams of what is left.

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

from unspin.tokenize import tokenize

SHINGLE = 3  # tokens per shingle of the invariant form
NUM_PERM = 128  # MinHash permutations
FINGERPRINT_VERSION = "immutables-3/minhash-128/v1"  # recorded in each index; a change needs a rebuild

# Function words a spinner leaves in place. The simulator's stop list (unspin.eval.simulator) minus
# number words (normalised to digits below) and minus the four function words a filler rule
# replaces outright (about -> regarding, because -> due to the fact that, get -> obtain,
# new -> brand new), which are treated as content words.
FUNCTION_WORDS = frozenset("""
a above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
during each either every few for from further had hadn't has hasn't have haven't having he he'd he'll
he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
it's its itself just let's me more most much must mustn't my myself neither never no nor not now of off
on once one only or other ought our ours ourselves out over own same shall shan't she she'd she'll
she's should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those though through thus to too under until up
upon us was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
whether which while who who's whom whose why why's will with within without won't would wouldn't yet
you you'd you'll you're you've your yours yourself yourselves also may might since still even
like well got make made
""".split()) - {"because"}

# Filler phrases (the lexicon's FILLER relation, reversed) whose function words differ from those of
# the word they expand: read as that word. Other fillers ("was" -> "was actually", "new" -> "brand
# new") only add content words, which the form drops anyway. tests/test_attribution.py checks every
# FILLER pair of the lexicon against this table.
FILLER_PHRASES = {
    ("in", "between"): "between", ("each", "and", "every"): "every", ("along", "with"): "with",
    ("due", "to", "the", "fact", "that"): "because", ("keep", "in", "mind"): "note",
    ("kept", "in", "mind"): "noted", ("sign", "up", "for"): "join", ("sign", "up", "with"): "join",
    ("make", "use", "of"): "use", ("asked", "for"): "requested", ("made", "clear"): "explained",
}
_PHRASE_HEADS: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase, _orig in FILLER_PHRASES.items():
    _PHRASE_HEADS.setdefault(_phrase[0], []).append((_phrase, _orig))

_UNITS = "two three four five six seven eight nine".split()  # "one" is mostly a pronoun: kept as is
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
             "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()


def _number_words() -> dict[str, str]:
    t = {w: str(i) for i, w in enumerate(_UNITS, start=2)}
    t.update({w: str(i) for i, w in enumerate(_TEENS, start=10)})
    for i, w in enumerate(_TENS, start=2):
        t[w] = str(i * 10)
        t.update({f"{w}-{u}": str(i * 10 + j) for j, u in enumerate(["one"] + _UNITS, start=1)})
    for i, w in enumerate(_ORDINALS, start=1):
        t[w] = f"{i}{'th' if 10 <= i <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(i % 10, 'th')}"
    return t


NUMBER_WORDS = _number_words()
_PUNCT = frozenset(".,;:!?()")


def invariant_form(text: str) -> list[str]:
    """The tokens of ``text`` a spinner cannot change, lower-cased, in order.

    Names, numbers, dates and identifiers (as the tokenizer protects them) and function words are
    kept, number words become digits, punctuation marks in ``.,;:!?()`` are kept, content words are
    dropped, and filler phrases are read as the word they expand.
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
    if len(arr) <= n:
        h = arr[0].copy()
        for x in arr[1:]:
            h = h * _MULT + x
        return np.array([h], dtype=np.uint64)
    m = len(arr) - n + 1
    h = arr[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, n):
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
