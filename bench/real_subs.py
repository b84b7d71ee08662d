"""How much of real spinning do the lexicon and the simulator styles cover?

For each (original, spun) pair observed in spun pages (TSV: original, spun, spinner_family):
(a) lexicon coverage: does the reverse lookup ``lx.candidates(spun)`` contain the original?
(b) for each simulator style: could that style produce the pair, i.e. is the spun form among the
    forward options the style draws from for that original (single-token originals only; the
    simulator rewrites one token at a time, so multi-word originals are never producible);
(c) with ``--in-context``: detection and restoration of the real pairs in running text. Each pair's
    original is looked up in clean test documents (BBC, Wikipedia, Brown); up to ``--per-pair``
    occurrences are replaced by the spun form inside a window of three sentences, and each profile
    checks the window twice: spun (is the implanted span flagged? is the suggestion the original?)
    and clean (is the original, in the same place, flagged? how many flags per 1,000 clean words?
    is the clean window called spun?).
    One substitution per window is a hard case: no document-level density helps.

    python bench/real_subs.py [TSV] [--examples N] [--in-context --profiles fast,accurate]
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from unspin.eval.corpora import load_documents
from unspin.eval.simulator import STYLES, Spinner
from unspin.lexicon import default_lexicon
from unspin.tokenize import sentences, tokenize

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TSV = REPO / ".." / "shared" / "real_substitutions_dev.tsv"


def norm(s: str) -> str:
    return " ".join(s.replace("\u2019", "'").replace("\u2018", "'").lower().split())


def load_pairs(path: Path) -> list[tuple[str, str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if rows and rows[0][:2] == ["original", "spun"]:
        rows = rows[1:]
    return [(r[0].strip(), r[1].strip(), r[2].strip() if len(r) > 2 else "?") for r in rows if len(r) >= 2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tsv", nargs="?", default=str(DEFAULT_TSV))
    ap.add_argument("--examples", type=int, default=0, help="list up to N pairs the lexicon misses")
    ap.add_argument("--in-context", action="store_true", help="also implant the pairs in clean text and check")
    ap.add_argument("--profiles", default="fast,accurate")
    ap.add_argument("--per-pair", type=int, default=2, help="occurrences implanted per pair")
    args = ap.parse_args(argv)
    pairs = load_pairs(Path(args.tsv))
    lx = default_lexicon()
    spinners = {st: Spinner(st, 1.0, 0, lexicon=lx) for st in STYLES}

    rows = []  # (family, kind, covered, {style: producible}, original, spun, sites cover)
    for orig, spun, fam in pairs:
        o, s = norm(orig), norm(spun)
        kind = "word" if " " not in o and " " not in s else "phrase"
        covered = any(norm(c.text) == o for c in lx.candidates(s))
        sites_cover = detector_covers(orig, spun)
        prod = {}
        for st, sp in spinners.items():
            if " " in o:
                prod[st] = False
                continue
            forms = {norm(f) for opts in sp.options(o).values() for f, _ in opts}
            prod[st] = s in forms
        rows.append((fam, kind, covered, prod, orig, spun, sites_cover))

    groups: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        for fam in (r[0], "ALL"):
            for kind in (r[1], "all"):
                groups[(fam, kind)].append(r)

    def pct(n: int, d: int) -> str:
        return f"{100 * n / d:.0f}% ({n})" if d else "-"

    header = ["spinner family", "pairs", "n", "lexicon covers", "detector's sites cover", *STYLES]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    fams = sorted({r[0] for r in rows}) + ["ALL"]
    for fam in fams:
        for kind in ("word", "phrase", "all"):
            g = groups.get((fam, kind), [])
            if not g:
                continue
            cells = [fam, kind, str(len(g)), pct(sum(r[2] for r in g), len(g)), pct(sum(r[6] for r in g), len(g))]
            cells += [pct(sum(r[3][st] for r in g), len(g)) for st in STYLES]
            print("| " + " | ".join(cells) + " |")
    if args.examples:
        print("\nMissed by the lexicon:")
        for r in [r for r in rows if not r[2]][: args.examples]:
            print(f"- {r[4]!r} -> {r[5]!r} ({r[0]}, {r[1]})")
    if args.in_context:
        in_context(pairs, args.profiles.split(","), args.per_pair)
    return 0


def detector_covers(original: str, spun: str) -> bool:
    """Whether the fast detector, reading the spun form, proposes the original: one site spanning
    the whole form with the original among its candidates ("signed up with" -> "joined", through
    the lexicon's phrase layer and inflection), or, where the two have as many words, a site over
    each differing word that proposes the original's word there ("grave repercussions" -> "severe
    consequences"). What the lexicon lookup alone (``lexicon covers``) cannot see."""
    from unspin.pipeline import default_pipeline

    pipe = default_pipeline("fast")
    doc = pipe.make_doc(spun)
    words = [i for i, t in enumerate(doc.tokens) if t.is_word or t.protected == "number"]
    if not words:
        return False
    sites = pipe.detector.sites(doc)
    proposes = lambda s, text: norm(text) in {norm(c) for c in s.candidates}  # noqa: E731
    if any(s.first == words[0] and s.last == words[-1] and proposes(s, original) for s in sites):
        return True
    o_words, s_words = norm(original).split(), [norm(doc.tokens[i].text) for i in words]
    if len(o_words) != len(s_words):
        return False
    differ = [k for k in range(len(o_words)) if o_words[k] != s_words[k]]
    return bool(differ) and all(any(s.first == s.last == words[k] and proposes(s, o_words[k]) for s in sites)
                                for k in differ)


@dataclass
class Implant:
    family: str
    original: str
    spun: str
    clean: str  # the window as written
    spun_text: str  # the window with the spun form in place of the original
    clean_span: tuple[int, int]
    spun_span: tuple[int, int]


def windows(per_pair: int, pairs: list[tuple[str, str, str]]) -> list[Implant]:
    """Up to ``per_pair`` implants per pair, from distinct clean test documents, in a stable order."""
    docs = [d.text for c in ("bbc", "wiki", "brown") for d in load_documents(c, "test")]
    out = []
    for orig, spun, fam in pairs:
        pattern = re.compile(r"(?<![\w'-])" + re.escape(orig) + r"(?![\w'-])")
        found = 0
        for text in docs:
            m = pattern.search(text)
            if not m:
                continue
            doc = tokenize(text)
            groups = sentences(doc)
            sent = next(k for k, group in enumerate(groups)
                        if doc.tokens[group[0]].start <= m.start() < doc.tokens[group[-1]].end + 1)
            lo, hi = max(0, sent - 1), min(len(groups) - 1, sent + 1)
            a, b = doc.tokens[groups[lo][0]].start, doc.tokens[groups[hi][-1]].end
            clean = text[a:b]
            s0, s1 = m.start() - a, m.end() - a
            out.append(Implant(fam, orig, spun, clean, clean[:s0] + spun + clean[s1:], (s0, s1), (s0, s0 + len(spun))))
            found += 1
            if found >= per_pair:
                break
    return out


def in_context(pairs: list[tuple[str, str, str]], profiles: list[str], per_pair: int) -> None:
    from unspin.pipeline import default_pipeline

    implants = windows(per_pair, pairs)
    print(f"\nIn context: {len(implants)} implants of {len({(i.original, i.spun) for i in implants})} pairs "
          f"(of {len(pairs)}; the others never occur in the clean test documents)\n")
    header = ["profile", "spinner family", "n", "flagged", "exact restoration", "original flagged (clean)",
              "flags per 1,000 clean words", "clean windows called spun"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for profile in profiles:
        pipe = default_pipeline(profile)
        stats: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
        for im in implants:
            spun_rep = pipe.run(im.spun_text)
            hit = [sp for sp in spun_rep.spans if sp.start < im.spun_span[1] and im.spun_span[0] < sp.end]
            exact = any(norm(sp.suggestion) == norm(im.original) and
                        (sp.start, sp.end) == im.spun_span for sp in hit)
            clean_rep = pipe.run(im.clean)
            fp = any(sp.start < im.clean_span[1] and im.clean_span[0] < sp.end for sp in clean_rep.spans)
            for fam in (im.family, "ALL"):
                st = stats[fam]
                st[0] += 1
                st[1] += bool(hit)
                st[2] += exact
                st[3] += fp
                st[4] += len(clean_rep.spans)
                st[5] += len(im.clean.split())
                st[6] += clean_rep.verdict == "spun"
        for fam in sorted(k for k in stats if k != "ALL") + ["ALL"]:
            n, hit, exact, fp, flags, words, called = stats[fam]
            print(f"| {profile} | {fam} | {n} | {hit / n:.2f} | {exact / n:.2f} | {fp / n:.2f} | "
                  f"{1000 * flags / max(1, words):.1f} | {called / n:.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
