#!/usr/bin/env python3
"""Build the precomputed candidate lists of common words (``unspin.decide.candidate_table``).

Why: a process otherwise works out every new word's candidate originals itself (about 160
microseconds a word), and a scan meets new words for thousands of documents.

Input: the packaged lexicon and the detector's own rules (``Detector._word_candidates``), applied to
the ``--top`` most frequent English words of wordfreq (Apache-2.0 code; its frequency data is
CC BY-SA 4.0, and only the word list is used here), less the words the detector never examines
(function words, single letters).

Output: ``src/unspin/decide/data/candidates.npz`` (see ``CandidateTable.save``), with the
fingerprint of its inputs; the detector ignores the table when the lexicon, ``max_candidates``,
lemminflect, wordfreq or ``TABLE_VERSION`` differ. Re-run after changing any of them:

    python scripts/build_candidate_table.py [--top 60000]
"""
from __future__ import annotations

import argparse
import os
import re
import time

import wordfreq

from unspin.decide.candidate_table import CandidateTable, inputs_fingerprint
from unspin.decide.detector import STOPWORDS, Detector
from unspin.lexicon.lexicon import default_lexicon_path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "src", "unspin", "decide", "data", "candidates.npz")
WORD_RE = re.compile(r"^[a-z][a-z'-]*[a-z]$")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", type=int, default=60_000, help="how many of wordfreq's most frequent words")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    det = Detector(candidate_table=None)
    words = [w for w in wordfreq.top_n_list("en", args.top) if WORD_RE.match(w) and w not in STOPWORDS]
    t = time.perf_counter()
    lists = [(w, det._candidate_list(det._word_candidates(w))) for w in words]
    meta = {**inputs_fingerprint(default_lexicon_path(), det.max_candidates), "words_from": f"wordfreq top {args.top}"}
    table = CandidateTable.build(lists, meta)
    table.save(args.out)
    n = sum(len(lst.texts) for _, lst in lists)
    print(f"{len(words)} words, {n} candidates in {time.perf_counter() - t:.0f} s -> {args.out} "
          f"({os.path.getsize(args.out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
