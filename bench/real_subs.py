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
(d) with ``--in-spun``: the same pairs inside whole spun pages, the case a user meets. Clean test
    documents are spun by the simulator (mixed style, ``--rate``); then, outside the simulator's
    edits, every occurrence of a real pair's original is replaced by its spun form (one spinner
    family a page, as a real page has one spinner; where several pairs share an original they take
    turns; at most two occurrences of an original a page, so that "in" and "said" do not make up
    most implants). Each profile checks the page (is each real implant flagged? restored exactly?)
    and the page without the real implants (is the original, in the same place, flagged?).

    python bench/real_subs.py [TSV] [--examples N] [--in-context --profiles fast,accurate]
    python bench/real_subs.py --in-spun --pages-per-corpus 30 --profiles fast,accurate
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
import zlib
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
    ap.add_argument("--in-spun", action="store_true", help="also implant the pairs in whole spun pages and check")
    ap.add_argument("--pages-per-corpus", type=int, default=30, help="--in-spun: pages a test corpus")
    ap.add_argument("--rate", type=float, default=0.15, help="--in-spun: the simulator's share of content words")
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
    print_header(header)
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
    if args.in_spun:
        in_spun(pairs, args.profiles.split(","), args.pages_per_corpus, args.rate, lx)
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


def print_header(header: list[str]) -> None:
    """A markdown table's header row and rule."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")


def found(report, span: tuple[int, int], original: str = "") -> tuple[bool, bool]:
    """Whether a span of ``report`` overlaps ``span``, and whether the report restores ``original``
    there: the overlapping spans' suggestions, put in place, turn the text they and ``span`` cover
    into that text with ``original`` for ``span``. A pair may hold words the spinner kept ("in the"
    -> "within the"), and a span over "within" alone, suggesting "in", restores it."""
    hit = sorted((sp for sp in report.spans if sp.start < span[1] and span[0] < sp.end), key=lambda sp: sp.start)
    if not hit:
        return False, False
    text = report.text
    a, b = min(span[0], hit[0].start), max(span[1], max(sp.end for sp in hit))
    restored, pos = [], a
    for sp in hit:
        restored.append(text[pos:sp.start] + sp.suggestion)
        pos = sp.end
    restored.append(text[pos:b])
    return True, norm("".join(restored)) == norm(text[a:span[0]] + original + text[span[1]:b])


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
        pattern = _pattern(orig)
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
    print_header(header)
    for profile in profiles:
        pipe = default_pipeline(profile)
        stats: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
        for im in implants:
            spun_rep = pipe.run(im.spun_text)
            hit, exact = found(spun_rep, im.spun_span, im.original)
            clean_rep = pipe.run(im.clean)
            fp = found(clean_rep, im.clean_span)[0]
            for fam in (im.family, "ALL"):
                st = stats[fam]
                st[0] += 1
                st[1] += hit
                st[2] += exact
                st[3] += fp
                st[4] += len(clean_rep.spans)
                st[5] += len(im.clean.split())
                st[6] += clean_rep.verdict == "spun"
        for fam in sorted(k for k in stats if k != "ALL") + ["ALL"]:
            n, hit, exact, fp, flags, words, called = stats[fam]
            print(f"| {profile} | {fam} | {n} | {hit / n:.2f} | {exact / n:.2f} | {fp / n:.2f} | "
                  f"{1000 * flags / max(1, words):.1f} | {called / n:.2f} |", flush=True)


@dataclass
class SpunPage:
    family: str
    base: str  # the simulator's spinning alone
    page: str  # ``base`` with every real implant
    implants: list[tuple[str, str, tuple[int, int], tuple[int, int]]]  # original, spun, span in base, in page


def _pattern(form: str) -> re.Pattern:
    return re.compile(r"(?<![\w'-])" + re.escape(form) + r"(?![\w'-])")


def spun_pages(pairs: list[tuple[str, str, str]], per_corpus: int, rate: float, lexicon) -> list[SpunPage]:
    """Simulated spun pages of the test split carrying the real pairs of one spinner family each."""
    by_family: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for orig, spun, fam in pairs:
        by_family[fam][orig].append(spun)
    families = sorted(by_family)
    patterns = {fam: [(_pattern(o), o, spuns) for o, spuns in sorted(origs.items())]
                for fam, origs in by_family.items()}
    spinner = Spinner("mixed", rate, 0, lexicon=lexicon)
    out = []
    for corpus in ("bbc", "wiki", "brown"):
        made = 0
        for k, d in enumerate(load_documents(corpus, "test")):
            if made >= per_corpus:
                break
            spinner.seed = zlib.crc32(f"{corpus}:{d.id}".encode())
            st = spinner.spin(d.text)
            taken = [(e.spun_start, e.spun_end) for e in st.edits]
            for fam in families[k % len(families):] + families[:k % len(families)]:
                matches = []  # (start, end, original, spun)
                turns: dict[str, int] = defaultdict(int)
                for pat, orig, spuns in patterns[fam]:
                    for m in pat.finditer(st.spun):
                        used = taken + [f[:2] for f in matches]
                        if turns[orig] >= 2 or any(a < m.end() and m.start() < b for a, b in used):
                            continue
                        matches.append((m.start(), m.end(), orig, spuns[turns[orig] % len(spuns)]))
                        turns[orig] += 1
                if matches:
                    break
            if not matches:
                continue
            page, implants, last, shift = [], [], 0, 0
            for a, b, orig, spun in sorted(matches):
                page.append(st.spun[last:a] + spun)
                implants.append((orig, spun, (a, b), (a + shift, a + shift + len(spun))))
                shift += len(spun) - (b - a)
                last = b
            page.append(st.spun[last:])
            out.append(SpunPage(fam, st.spun, "".join(page), implants))
            made += 1
    return out


def in_spun(pairs: list[tuple[str, str, str]], profiles: list[str], per_corpus: int, rate: float, lexicon) -> None:
    from unspin.pipeline import default_pipeline

    pages = spun_pages(pairs, per_corpus, rate, lexicon)
    n_imp = sum(len(p.implants) for p in pages)
    print(f"\nIn spun pages: {len(pages)} test documents spun at {rate:.0%} (mixed) carrying {n_imp} real "
          f"implants of {len({(o, s) for p in pages for o, s, *_ in p.implants})} pairs\n")
    header = ["profile", "spinner family", "pages", "implants", "flagged", "exact restoration",
              "original flagged (without the implants)", "pages called spun"]
    print_header(header)
    for profile in profiles:
        pipe = default_pipeline(profile)
        stats: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        for pg in pages:
            rep = pipe.run(pg.page)
            base = pipe.run(pg.base)
            # per implant: flagged, restored exactly, its original flagged in the page without implants
            outcomes = [(*found(rep, in_page, orig), found(base, in_base)[0])
                        for orig, _, in_base, in_page in pg.implants]
            for fam in (pg.family, "ALL"):
                st = stats[fam]
                st[0] += 1
                st[5] += rep.verdict == "spun"
                for hit, exact, fp in outcomes:
                    st[1] += 1
                    st[2] += hit
                    st[3] += exact
                    st[4] += fp
        for fam in sorted(k for k in stats if k != "ALL") + ["ALL"]:
            n_pages, n, hit, exact, fp, called = stats[fam]
            print(f"| {profile} | {fam} | {n_pages} | {n} | {hit / n:.2f} | {exact / n:.2f} | {fp / n:.2f} | "
                  f"{called / n_pages:.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
