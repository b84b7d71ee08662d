"""The synonym lexicon, indexed in reverse: for a word in the text, which words could a spinner have
replaced with it.

Why reverse: a detector sees only the spun text, so it asks "what could this have been?"; the
simulator asks the forward question ("what could a spinner write instead?") of the same graph.
"""
from __future__ import annotations

import gzip
import hashlib
import pickle
from enum import IntFlag
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from lemminflect import getAllInflections as _lemminflect_inflections
from lemminflect import getAllLemmas

from unspin.cache import built_through_cache, code_stamp


class Relation(IntFlag):
    """How an (original, spun) pair is linked; bits as written by scripts/build_lexicon.py."""

    MOBY = 1
    WN_ANY = 2  # share a WordNet synset in some sense
    WN_FIRST = 4  # share the original's most frequent WordNet sense (sense-preserving)
    FILLER = 8  # spinner insertion or expansion rule ("has actually", "in between")
    ROGET = 16  # same group in Roget's Thesaurus (1911)
    WN_SIMILAR = 32  # WordNet adjective "similar to", from a function word ("in" -> "successful")
    # A word-level spinner's rewrite of a function word ("within" for in, "however" for but, "earlier
    # than" for before). Unlike a FILLER, the written form is common in clean prose as well, so the
    # decision models weigh it apart.
    PARAPHRASE = 64


# Linked by WordNet in any way: a shared synset, or (from a function word) adjective similarity.
WORDNET_LINK = Relation.WN_ANY | Relation.WN_SIMILAR


class Candidate(NamedTuple):
    """A candidate original for a spun form, already inflected like the spun form.

    A named tuple of strings and an int, not a dataclass holding the enum: a new word builds dozens
    of these, and a tuple is built several times faster. None is kept for long: the detector's memos
    keep plain tuples of their texts and bits (a named tuple, unlike a plain one, stays tracked by the
    garbage collector)."""

    text: str
    lemma: str
    bits: int  # the Relation's bits

    @property
    def relation(self) -> Relation:
        return relation_of(self.bits)


def default_lexicon_path() -> str:
    return str(resources.files("unspin.lexicon") / "data" / "lexicon.tsv.gz")


class Lexicon:
    """Synonym graph with forward (original -> spun) and reverse (spun -> original) lookups."""

    def __init__(self, forward: dict[str, "list[tuple[str, int]] | tuple[tuple[str, int], ...]"]):
        # Each (word, relation bits) pair is one shared tuple: the 3.4 million entries of the two
        # tables hold 236,000 distinct pairs, and a tuple each cost 180 MB in every process.
        pairs: dict[tuple[str, int], tuple[str, int]] = {}
        share = pairs.setdefault
        self.forward = {orig: tuple(share(p, p) for p in syns) for orig, syns in forward.items()}
        reverse: dict[str, list[tuple[str, int]]] = {}
        for orig, syns in self.forward.items():
            for s, f in syns:
                pair = (orig, f)
                reverse.setdefault(s, []).append(share(pair, pair))
        # Tuples, not lists, in the big tables: the garbage collector stops tracking tuples (and
        # dicts) of plain strings and numbers, and otherwise walks these ~2 million entries on
        # every full collection, which in a batch scan costs more than a quarter of the time.
        self.reverse = {k: tuple(v) for k, v in reverse.items()}
        # Multi-word spun forms indexed by first word, for phrase matching in running text.
        self.phrase_heads: dict[str, "list[tuple[str, ...]] | tuple[tuple[str, ...], ...]"] = {}
        for s in reverse:
            if " " in s:
                words = tuple(s.split(" "))
                if len(words) > 1:
                    self.phrase_heads.setdefault(words[0], []).append(words)
        for heads in self.phrase_heads.values():
            heads.sort(key=len, reverse=True)
        # The same phrases keyed by their first two words: a site scan looks up one pair per word
        # instead of walking the thousands of phrases that start with "in" or "take".
        self.phrase_pairs: dict[tuple[str, str], "list[tuple[str, ...]] | tuple[tuple[str, ...], ...]"] = {}
        for heads in self.phrase_heads.values():
            for words in heads:
                self.phrase_pairs.setdefault(words[:2], []).append(words)
        self.phrase_heads = {k: tuple(v) for k, v in self.phrase_heads.items()}
        self.phrase_pairs = {k: tuple(v) for k, v in self.phrase_pairs.items()}

    @classmethod
    def load_cached(cls, path: str | None = None) -> "Lexicon":
        """``load``, through the user's cache.

        Reading the file and building the reverse and phrase indexes takes about 4 s, at every start
        of a process (each CLI call, each scan worker); the built tables are therefore kept in the
        user's cache (``unspin.cache``, named by the file's hash and the building code's), where they
        load in about a second. A missing, unreadable or damaged copy is rebuilt and rewritten."""
        path = path or default_lexicon_path()
        stamp = f"{lexicon_digest(path)[:16]}-{code_stamp(cls.load, cls.__init__, cls.tables, cls.from_tables)}"

        def read(cached: str) -> "Lexicon":
            with open(cached, "rb") as fh:
                return cls.from_tables(pickle.load(fh))

        return built_through_cache("lexicon-", stamp, ".pickle", lambda: cls.load(path),
                                   lambda lexicon: pickle.dumps(lexicon.tables(), protocol=pickle.HIGHEST_PROTOCOL),
                                   read)

    def tables(self) -> tuple[dict, dict, dict, dict]:
        """The built tables (forward, reverse, phrase heads, phrase pairs), for ``from_tables``."""
        return self.forward, self.reverse, self.phrase_heads, self.phrase_pairs

    @classmethod
    def from_tables(cls, tables: tuple[dict, dict, dict, dict]) -> "Lexicon":
        """A lexicon from ``tables()`` output, without rebuilding the indexes."""
        if not (isinstance(tables, tuple) and len(tables) == 4 and all(isinstance(t, dict) for t in tables)):
            raise ValueError("not a lexicon's tables")
        lexicon = cls.__new__(cls)
        lexicon.forward, lexicon.reverse, lexicon.phrase_heads, lexicon.phrase_pairs = tables
        return lexicon

    @classmethod
    def load(cls, path: str | None = None) -> "Lexicon":
        forward: dict[str, tuple[tuple[str, int], ...]] = {}
        with gzip.open(path or default_lexicon_path(), "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#"):
                    continue
                orig, _, rest = line.rstrip("\n").partition("\t")
                items = []
                for item in rest.split("|"):
                    s, _, f = item.rpartition(":")
                    items.append((s, int(f)))
                forward[orig] = tuple(items)
        return cls(forward)

    # -- reverse: what could this have been ---------------------------------------------------
    def originals(self, spun_lemma: str) -> list[tuple[str, Relation]]:
        """Candidate original lemmas for a spun lemma or phrase (lower case)."""
        rel = _RELATIONS
        return [(o, rel[f]) for o, f in self.reverse.get(spun_lemma, ())]

    def candidates(self, word: str) -> list[Candidate]:
        """Candidate originals for one spun word form, re-inflected like it (asked -> requested).

        Not memoised here: the detector keeps what it derives from each word's list (see
        ``Detector._candidate_set``), and a second memo of the same lists would only double what the
        garbage collector walks in a long scan."""
        return self._compute_candidates(word.lower())

    def _compute_candidates(self, low: str) -> list[Candidate]:
        # form -> the reverse table's own (original lemma, relation bits) pair: nothing is built per
        # pair visited, only per candidate kept (a new word visits hundreds of pairs).
        found: dict[str, tuple[str, int]] = {}
        reverse = self.reverse
        analyses = lemma_and_tags(low)
        inflected_only = bool(analyses) and all(lemma != low for lemma, _ in analyses)
        # The written form listed verbatim under an original ("leading" under government, "rolling"
        # under full): that original, as is, even when the written form looks inflected.
        for pair in reverse.get(low, ()):
            if pair[0] not in found:
                found[pair[0]] = pair
        for lemma, tag in analyses:
            # Moby lists some inflected forms as entries of their own ("soldiers" under "troop").
            sources = reverse.get(lemma, ()) + (reverse.get(low, ()) if inflected_only else ())
            as_is = lemma == low
            for pair in sources:
                form = pair[0] if as_is else inflect(pair[0], tag)
                if form and form != low and form not in found:
                    found[form] = pair
        found.pop(low, None)
        return [Candidate(form, orig, bits) for form, (orig, bits) in found.items()]

    def phrase_candidates(self, phrase: str, written_head: str, tail_tag: str | None = None) -> list[Candidate]:
        """Candidate originals for a multi-word spun form whose first word is written as
        ``written_head``, inflected like it ("signed up with" -> "joined"); with ``tail_tag``, a
        noun phrase whose last word is written with that tag ("facial expressions" -> "aspects")."""
        if tail_tag is not None:
            return [Candidate(form, o, bits) for o, bits in self.reverse.get(phrase, ())
                    if (form := inflect(o, tail_tag))]
        head = phrase.split(" ", 1)[0]
        if head == written_head:
            return [Candidate(o, o, bits) for o, bits in self.reverse.get(phrase, ())]
        cands = []
        for lemma, tag in lemma_and_tags(written_head):
            if lemma != head:
                continue
            for orig, bits in self.reverse.get(phrase, ()):
                form = inflect(orig, tag)
                if form:
                    cands.append(Candidate(form, orig, bits))
        return cands

    # -- forward: what could a spinner write instead -----------------------------------------
    def synonyms(self, orig_lemma: str) -> list[tuple[str, Relation]]:
        rel = _RELATIONS
        return [(s, rel[f]) for s, f in self.forward.get(orig_lemma, ())]

    def __contains__(self, spun: str) -> bool:
        return spun in self.reverse


class _RelationTable(dict):
    """Relation members by bit value: indexing is much cheaper than calling the enum in hot loops."""

    def __missing__(self, bits: int) -> Relation:
        rel = self[bits] = Relation(bits)
        return rel


_RELATIONS = _RelationTable()


def relation_of(bits: int) -> Relation:
    """The Relation with these bits, from a table (calling the enum is slow in hot loops)."""
    return _RELATIONS[bits]


@lru_cache(maxsize=200_000)
def getAllInflections(lemma: str, upos: str) -> dict[str, tuple[str, ...]]:
    """lemminflect's table, memoised (lemminflect deep-copies its tables on every call); callers
    must not mutate the returned dict."""
    return _lemminflect_inflections(lemma, upos=upos)


@lru_cache(maxsize=200_000)
def lemma_and_tags(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, Penn tag) pairs this form can be, e.g. asked -> (ask, VBD), (ask, VBN)."""
    pairs: list[tuple[str, str]] = []
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            table = getAllInflections(lemma, upos)
            if "VBD" in table and "VBN" not in table:  # lemminflect omits VBN when it equals VBD
                table = {**table, "VBN": table["VBD"]}
            for tag, forms in table.items():
                if word in forms and (lemma, tag) not in pairs:
                    pairs.append((lemma, tag))
    return tuple(pairs)


@lru_cache(maxsize=200_000)
def lemmas_of(word: str) -> frozenset[str]:
    """The word itself and every lemma it can be a form of (oceans -> {oceans, ocean})."""
    return frozenset([word, *(lemma for lemma, _ in lemma_and_tags(word))])


def same_word(a: str, b: str) -> bool:
    """Whether two lower-case words are forms of one word (ocean, oceans): never synonyms of each
    other, so neither is the other's substitute."""
    return not lemmas_of(a).isdisjoint(lemmas_of(b))


def holds_word(phrase: str, word: str, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether a lower-case phrase holds ``word`` or another form of it among its words (not
    counting ``ignore``): "sweet basil" holds basil, "natural gases" holds gas."""
    return not lemmas_of(word).isdisjoint(phrase_lemmas(phrase, ignore))


@lru_cache(maxsize=200_000)
def phrase_lemmas(phrase: str, ignore: frozenset[str] = frozenset()) -> frozenset[str]:
    """Every word of a lower-case phrase with every lemma it can be a form of, less the words in
    ``ignore``: a word shares a lemma with one of them exactly when the phrase holds it. Gathered once
    per phrase, since a phrase's candidates are each tested against it."""
    return frozenset().union(*(lemmas_of(w) for w in phrase.split() if w not in ignore))


@lru_cache(maxsize=200_000)
def inflect(lemma: str, tag: str) -> str | None:
    """Inflect a lemma (or a phrase's first word) with a Penn tag; None when it cannot be."""
    if tag in ("NN", "VB", "JJ", "RB"):
        return lemma
    if " " not in lemma:
        return _inflect_word(lemma, tag)
    if tag.startswith("NN"):  # noun phrases inflect their head, the last word
        head, _, last = lemma.rpartition(" ")
        form = _inflect_word(last, tag)
        return f"{head} {form}" if form else None
    first, _, rest = lemma.partition(" ")  # verb phrases inflect the verb: "sign up" -> "signed up"
    form = _inflect_word(first, tag)
    return f"{form} {rest}" if form else None


UPOS = {"N": "NOUN", "V": "VERB", "J": "ADJ", "R": "ADV"}  # Penn tag initial -> universal POS


def _inflect_word(word: str, tag: str) -> str | None:
    """Dictionary inflection only: a form lemminflect would guess for the wrong part of speech
    ("mosts", "handses") is worse than no candidate."""
    table = getAllInflections(word, UPOS.get(tag[0], "NOUN"))
    forms = table.get(tag) or (table.get("VBD") if tag == "VBN" else None)
    return forms[0] if forms else None


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The packaged lexicon, loaded once per process (through the cache: ``Lexicon.load_cached``)."""
    return Lexicon.load_cached()


@lru_cache(maxsize=8)
def lexicon_digest(path: str) -> str:
    """sha256 of a lexicon file: what its built index and the precomputed candidate lists are keyed by."""
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


__all__ = ["WORDNET_LINK", "Candidate", "Lexicon", "Relation", "default_lexicon", "holds_word", "inflect",
           "lemma_and_tags", "lemmas_of", "relation_of", "same_word"]
