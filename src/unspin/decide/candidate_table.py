"""The candidate originals of the commonest written words, precomputed and shipped with the package.

Why: working out a word's candidates (reverse lexicon lookups, re-inflecting every original like the
written form, same-word tests, the cut to the most frequent) costs about 160 microseconds a word, and
a process meets new words for a long time (Zipf): a fast-profile scan of 1,500 BBC articles spent a
third of its time on words it had not met before. The detector memoises what it computes within a
process; this table is that memo for the 58,810 commonest English words (39,000 of which have
candidates), built once by ``scripts/build_candidate_table.py`` and loaded in about 70 ms.

One table serves every detector whose ``max_candidates`` is at most the table's: it is built with
the accurate profile's 250, and each candidate carries its place in its word's list by frequency
(``frequency_order``, the detector's own cut), so the fast profile's 100 are the candidates placed
under 100, in the same order. Before, the accurate profile worked out the list of every word it
had not met itself: 84 ms of a new 1,000-word article (7 ms with the table).

The table is only valid for the inputs it was built from: the packaged lexicon file, the versions of
lemminflect and wordfreq, and the candidate rules (``TABLE_VERSION``, bumped when
``Detector._word_candidates`` changes). ``CandidateTable.matches`` checks all of them and the cut,
and the detector ignores a table that does not match.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from unspin.evidence.frequency import zipf
from unspin.lexicon.lexicon import lexicon_digest

TABLE_VERSION = 4  # bump when the detector's rules for a word's candidate list change


class CandidateList(NamedTuple):
    """A written word's candidate originals as the detector keeps them: each candidate's text, its
    synonym fan-out (how many words the lexicon lets a spinner write for its lemma, at least 1) and
    its Relation bits."""

    texts: tuple[str, ...]
    fanout: tuple[int, ...]
    bits: tuple[int, ...]


def default_table_path() -> str:
    return str(resources.files("unspin.decide") / "data" / "candidates.npz")


def inputs_fingerprint(lexicon_path: str) -> dict:
    """What a table's contents depend on, besides the word list and the cut (``max_candidates``)."""
    return {"table_version": TABLE_VERSION, "lexicon_sha256": lexicon_digest(lexicon_path),
            "lemminflect": _version("lemminflect"), "wordfreq": _version("wordfreq")}


def frequency_order(texts: Sequence[str]) -> list[int]:
    """Indices of ``texts``, the most frequent first (ties in list order): a word with more candidates
    than a detector's ``max_candidates`` keeps the first ones of this order (an original is a word of
    the source text, which favours common words), in list order."""
    return sorted(range(len(texts)), key=lambda k: -zipf(texts[k]))


class CandidateTable:
    """Written word (lower case) -> its ``CandidateList``, for the words it was built for.

    Stored as flat arrays (one row per candidate, an offset per word) and turned into tuples only for
    the words a process meets."""

    def __init__(self, words: list[str], offsets: np.ndarray, text_ids: np.ndarray, fanout: np.ndarray,
                 bits: np.ndarray, ranks: np.ndarray, strings: list[str], meta: dict):
        self.meta = meta
        self._index = {w: i for i, w in enumerate(words)}
        self._offsets = offsets.tolist()
        self._text_ids, self._fanout, self._bits, self._ranks = text_ids, fanout, bits, ranks
        self._strings = strings

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def get(self, word: str, max_candidates: int | None = None) -> CandidateList | None:
        """The word's list (empty when it has no candidate) cut to ``max_candidates`` (default: the
        table's own cut), or ``None`` when the table lacks the word."""
        i = self._index.get(word)
        if i is None:
            return None
        a, b = self._offsets[i], self._offsets[i + 1]
        rows = np.arange(a, b)
        if max_candidates is not None and b - a > max_candidates:
            rows = rows[self._ranks[a:b] < max_candidates]
        strings = self._strings
        return CandidateList(tuple([strings[k] for k in self._text_ids[rows].tolist()]),
                             tuple(self._fanout[rows].tolist()), tuple(self._bits[rows].tolist()))

    def matches(self, fingerprint: dict, max_candidates: int) -> bool:
        """Built from these inputs, with lists cut at ``max_candidates`` or later (a longer list cuts
        to the same shorter one)."""
        return (all(self.meta.get(k) == v for k, v in fingerprint.items())
                and self.meta.get("max_candidates", -1) >= max_candidates)

    @classmethod
    def build(cls, lists: Iterable[tuple[str, CandidateList]], meta: dict) -> "CandidateTable":
        """A table of ``lists``; ``meta`` should hold ``inputs_fingerprint`` and the cut they were made
        with (``max_candidates``)."""
        words, offsets, text_ids, fanout, bits, ranks = [], [0], [], [], [], []
        string_ids: dict[str, int] = {}
        for word, lst in lists:
            words.append(word)
            text_ids.extend(string_ids.setdefault(t, len(string_ids)) for t in lst.texts)
            fanout.extend(lst.fanout)
            bits.extend(lst.bits)
            rank = [0] * len(lst.texts)
            for place, k in enumerate(frequency_order(lst.texts)):
                rank[k] = place
            ranks.extend(rank)
            offsets.append(len(text_ids))
        return cls(words, np.array(offsets, dtype=np.int64), np.array(text_ids, dtype=np.int32),
                   np.array(fanout, dtype=np.uint16), np.array(bits, dtype=np.uint8), np.array(ranks, dtype=np.uint16),
                   list(string_ids), meta)

    def save(self, path: str) -> None:
        words = sorted(self._index, key=self._index.__getitem__)
        assert all("\n" not in s for s in words + self._strings)
        # A candidate's fan-out is nearly always its text's (it belongs to the original's lemma, and
        # few texts are forms of two lemmas): stored per text, with the exceptions per candidate.
        pairs, counts = np.unique(self._text_ids.astype(np.int64) << 16 | self._fanout, return_counts=True)
        texts, fans = pairs >> 16, pairs & 0xFFFF
        by_count = np.lexsort((-counts, texts))  # each text's pairs together, the commonest first
        firsts = by_count[np.r_[True, texts[by_count][1:] != texts[by_count][:-1]]]
        usual = np.zeros(len(self._strings), dtype=np.uint16)
        usual[texts[firsts]] = fans[firsts]
        odd = np.flatnonzero(usual[self._text_ids] != self._fanout)
        np.savez_compressed(path, words=_blob(words), strings=_blob(self._strings),
                            offsets=np.array(self._offsets, dtype=np.int64), text_ids=self._text_ids,
                            usual_fanout=usual, odd_at=odd.astype(np.int64), odd_fanout=self._fanout[odd],
                            bits=self._bits, ranks=self._ranks, meta=_blob([json.dumps(self.meta, sort_keys=True)]))

    @classmethod
    def load(cls, path: str) -> "CandidateTable":
        with np.load(path) as z:
            text_ids = z["text_ids"]
            fanout = z["usual_fanout"][text_ids]
            fanout[z["odd_at"]] = z["odd_fanout"]
            return cls(_unblob(z["words"]), z["offsets"], text_ids, fanout, z["bits"], z["ranks"],
                       _unblob(z["strings"]), json.loads(_unblob(z["meta"])[0]))


@lru_cache(maxsize=1)
def default_candidate_table() -> CandidateTable | None:
    """The packaged table, loaded once per process (``None`` if this installation has none or an
    unreadable one: the detector then computes every list itself, with the same results)."""
    try:
        return CandidateTable.load(default_table_path())
    except FileNotFoundError:
        return None
    except Exception as e:  # noqa: BLE001 - a damaged file must cost speed, never a result
        warnings.warn(f"unspin: the packaged candidate table is unreadable ({type(e).__name__}: {e}); "
                      "computing candidate lists instead", RuntimeWarning, stacklevel=2)
        return None


def _blob(strings: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _unblob(a: np.ndarray) -> list[str]:
    return a.tobytes().decode("utf-8").split("\n")


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None
