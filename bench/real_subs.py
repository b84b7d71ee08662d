"""How much of real spinning do the lexicon and the simulator styles cover?

For each (original, spun) pair observed in spun pages (TSV: original, spun, spinner_family):
(a) lexicon coverage: does the reverse lookup ``lx.candidates(spun)`` contain the original?
(b) for each simulator style: could that style produce the pair, i.e. is the spun form among the
    forward options the style draws from for that original (single-token originals only; the
    simulator rewrites one token at a time, so multi-word originals are never producible).

    python bench/real_subs.py [TSV] [--examples N]
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

from unspin.eval.simulator import STYLES, Spinner
from unspin.lexicon import default_lexicon

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
    args = ap.parse_args(argv)
    pairs = load_pairs(Path(args.tsv))
    lx = default_lexicon()
    spinners = {st: Spinner(st, 1.0, 0, lexicon=lx) for st in STYLES}

    rows = []  # (family, kind, covered, {style: producible})
    for orig, spun, fam in pairs:
        o, s = norm(orig), norm(spun)
        kind = "word" if " " not in o and " " not in s else "phrase"
        covered = any(norm(c.text) == o for c in lx.candidates(s))
        prod = {}
        for st, sp in spinners.items():
            if " " in o:
                prod[st] = False
                continue
            forms = {norm(f) for opts in sp.options(o).values() for f, _ in opts}
            prod[st] = s in forms
        rows.append((fam, kind, covered, prod, orig, spun))

    groups: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        for fam in (r[0], "ALL"):
            for kind in (r[1], "all"):
                groups[(fam, kind)].append(r)

    def pct(n: int, d: int) -> str:
        return f"{100 * n / d:.0f}% ({n})" if d else "-"

    header = ["spinner family", "pairs", "n", "lexicon covers", *STYLES]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    fams = sorted({r[0] for r in rows}) + ["ALL"]
    for fam in fams:
        for kind in ("word", "phrase", "all"):
            g = groups.get((fam, kind), [])
            if not g:
                continue
            cells = [fam, kind, str(len(g)), pct(sum(r[2] for r in g), len(g))]
            cells += [pct(sum(r[3][st] for r in g), len(g)) for st in STYLES]
            print("| " + " | ".join(cells) + " |")
    if args.examples:
        print("\nMissed by the lexicon:")
        for r in [r for r in rows if not r[2]][: args.examples]:
            print(f"- {r[4]!r} -> {r[5]!r} ({r[0]}, {r[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
