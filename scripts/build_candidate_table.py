#!/usr/bin/env python3
"""Build the precomputed candidate lists of common words (``unspin.decide.candidate_table``).

Why: a process otherwise works out every new word's candidate originals itself (about 160
microseconds a word), and a scan meets new words for thousands of documents.

Input: the packaged lexicon and the detector's own rules (``Detector._word_candidates``), applied to
the ``--top`` most frequent English words of wordfreq (Apache-2.0 code; its frequency data is
CC BY-SA 4.0, and only the word list is used here), less the words the detector never examines
(function words, single letters).

Output: ``src/unspin/decide/data/candidates.npz`` (see ``CandidateTable.save``), with the
fingerprint of its inputs; the detector ignores the table when the lexicon, lemminflect, wordfreq or
``TABLE_VERSION`` differ, or when its ``max_candidates`` is above the table's cut (the accurate
profile's, which serves both profiles). Re-run after changing any of them:

    python scripts/build_candidate_table.py [--top 60000] [--max-candidates 250]
"""
from __future__ import annotations

import argparse
import os
import re
import time

import wordfreq

from unspin.decide.candidate_table import CandidateTable, inputs_fingerprint
from unspin.decide.detector import STOPWORDS, Detector
from unspin.decide.rescore import ACCURATE_MAX_CANDIDATES
from unspin.lexicon.lexicon import default_lexicon_path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "src", "unspin", "decide", "data", "candidates.npz")
WORD_RE = re.compile(r"^[a-z][a-z'-]*[a-z]$")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", type=int, default=60_000, help="how many of wordfreq's most frequent words")
    ap.add_argument("--max-candidates", type=int, default=ACCURATE_MAX_CANDIDATES,
                    help="the cut the lists are made with; detectors with a smaller one cut them further")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    det = Detector(candidate_table=None, max_candidates=args.max_candidates)
    words = [w for w in wordfreq.top_n_list("en", args.top) if WORD_RE.match(w) and w not in STOPWORDS]
    t = time.perf_counter()
    lists = [(w, det._candidate_list(det._word_candidates(w))) for w in words]
    meta = {**inputs_fingerprint(default_lexicon_path()), "max_candidates": det.max_candidates,
            "words_from": f"wordfreq top {args.top}"}
    table = CandidateTable.build(lists, meta)
    table.save(args.out)
    n = sum(len(lst.texts) for _, lst in lists)
    print(f"{len(words)} words, {n} candidates in {time.perf_counter() - t:.0f} s -> {args.out} "
          f"({os.path.getsize(args.out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
