"""Aligned diff between a spun text and its source: which spun span replaced which source span.

:func:`align` returns a list of operations that partition *both* texts, in order::

    {"op": "equal" | "replace" | "insert" | "delete",
     "spun": [start, end], "source": [start, end],      # character offsets, Python string indices
     "spun_text": spun[start:end], "source_text": source[start:end]}

- ``equal``: the same characters on both sides (``spun_text == source_text``);
- ``replace``: the spinner wrote ``spun_text`` where the source has ``source_text``;
- ``insert``: ``spun_text`` has no counterpart in the source (``source`` is an empty range);
- ``delete``: ``source_text`` was left out of the spun text (``spun`` is an empty range).

Because the operations cover both texts without gaps, joining every ``source_text`` gives the source
and joining every ``spun_text`` gives the spun text; a side-by-side view renders one row per
operation. Words are matched case-insensitively on tokens (``unspin.tokenize.tokenizer.TOKEN_RE``)
with :class:`difflib.SequenceMatcher`; then every operation whose two sides differ in any character
(case, spacing) is a ``replace``, so ``equal`` always means identical text.
"""
from __future__ import annotations

import bisect
import difflib
from typing import Any

from unspin.tokenize.tokenizer import TOKEN_RE


def _tokens(text: str) -> tuple[list[str], list[int], list[int]]:
    low, starts, ends = [], [], []
    for m in TOKEN_RE.finditer(text):
        low.append(m.group().lower())
        starts.append(m.start())
        ends.append(m.end())
    return low, starts, ends


def _op(kind: str, s0: int, s1: int, t0: int, t1: int, spun: str, source: str) -> dict[str, Any]:
    return {"op": kind, "spun": [s0, s1], "source": [t0, t1], "spun_text": spun[s0:s1], "source_text": source[t0:t1]}


def align(spun: str, source: str) -> list[dict[str, Any]]:
    """Operations turning ``source`` into ``spun`` (see the module docstring for their shape)."""
    a, a_start, a_end = _tokens(spun)
    b, b_start, b_end = _tokens(source)
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    # Character ranges of the matched token runs; everything between two runs is a difference.
    raw: list[tuple[int, int, int, int, bool | None]] = []  # (s0, s1, t0, t1, equal; None: excerpt edge)
    ps, pt, pj = 0, 0, 0
    for i, j, n in blocks:
        s0 = a_start[i] if i < len(a) else len(spun)
        t0 = b_start[j] if j < len(b) else len(source)
        if s0 > ps or t0 > pt:
            gap = (ps, s0, pt, t0, False)
            ma, nb = i - bisect.bisect_left(a_start, ps), j - pj
            if nb > ma and (not raw or n == 0):
                # The spun text is an excerpt: its first (last) words are the source's last (first)
                # words before (after) the next (previous) match; the rest of the source is deleted.
                cut = b_start[j - ma] if not raw else (b_end[pj + ma - 1] if ma else pt)
                if not raw:
                    raw += [(0, 0, 0, cut, None), (0, s0, cut, t0, False)]
                else:
                    raw += [(ps, s0, pt, cut, False), (s0, s0, cut, t0, None)]
            else:
                raw.append(gap)
        if n == 0:
            break
        s1, t1 = a_end[i + n - 1], b_end[j + n - 1]
        raw.append((s0, s1, t0, t1, True))
        ps, pt, pj = s1, t1, j + n
    ops: list[dict[str, Any]] = []
    for s0, s1, t0, t1, equal in raw:
        if equal is None:
            _push(ops, s0, s1, t0, t1, spun, source, merge=False)
            continue
        if equal and spun[s0:s1] != source[t0:t1]:
            for piece in _split_equal_run(spun, source, s0, s1, t0, t1):
                _push(ops, *piece, spun, source)
            continue
        if not equal:
            # Move the characters both sides share at the edges (spaces, punctuation) out of the
            # difference, so that a span reads "satisfied" and not " satisfied ".
            x, y = spun[s0:s1], source[t0:t1]
            p = 0
            while p < min(len(x), len(y)) and x[p] == y[p] and not x[p].isalnum():
                p += 1
            q = 0
            while q < min(len(x), len(y)) - p and x[-1 - q] == y[-1 - q] and not x[-1 - q].isalnum():
                q += 1
            _push(ops, s0, s0 + p, t0, t0 + p, spun, source)
            _push(ops, s0 + p, s1 - q, t0 + p, t1 - q, spun, source)
            _push(ops, s1 - q, s1, t1 - q, t1, spun, source)
            continue
        _push(ops, s0, s1, t0, t1, spun, source)
    return ops


def _split_equal_run(spun: str, source: str, s0: int, s1: int, t0: int, t1: int):
    """Token-equal runs that differ in case or spacing, cut into identical and differing pieces."""
    ai = [m.span() for m in TOKEN_RE.finditer(spun, s0, s1)]
    bi = [m.span() for m in TOKEN_RE.finditer(source, t0, t1)]
    ps, pt = s0, t0
    for (as_, ae), (bs, be) in zip(ai, bi):
        yield ps, as_, pt, bs  # the gap before the token
        yield as_, ae, bs, be
        ps, pt = ae, be
    yield ps, s1, pt, t1


def _push(ops: list[dict[str, Any]], s0: int, s1: int, t0: int, t1: int, spun: str, source: str,
          merge: bool = True) -> None:
    if s0 == s1 and t0 == t1:
        return
    same = spun[s0:s1] == source[t0:t1]
    kind = "equal" if same else ("insert" if t0 == t1 else "delete" if s0 == s1 else "replace")
    if ops and ops[-1]["op"] == kind == "equal" and ops[-1]["spun"][1] == s0 and ops[-1]["source"][1] == t0:
        s0, t0 = ops[-1]["spun"][0], ops[-1]["source"][0]
        ops.pop()
    elif merge and ops and kind != "equal" and ops[-1]["op"] != "equal" and ops[-1]["spun"][1] > 0:
        # Two adjacent differences (e.g. a case change next to a swapped word) are one replacement.
        s0, t0 = ops[-1]["spun"][0], ops[-1]["source"][0]
        ops.pop()
        kind = "insert" if t0 == t1 else "delete" if s0 == s1 else "replace"
    ops.append(_op(kind, s0, s1, t0, t1, spun, source))


def substitutions(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The operations that are differences, without source material outside the spun text's extent
    (a spun excerpt of a longer source starts and ends on a ``delete`` of the rest)."""
    diff = [o for o in ops if o["op"] != "equal"]
    if diff and diff[0]["op"] == "delete" and diff[0]["spun"][0] == 0:
        diff = diff[1:]
    if diff and diff[-1]["op"] == "delete" and ops and diff[-1] is ops[-1]:
        diff = diff[:-1]
    return diff
