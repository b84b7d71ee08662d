"""Quality report: unspin against two baselines on simulated spinning, one markdown table.

For every simulator style and spin rate, the same test documents are spun (deterministic per-document
seeds) and checked; the same documents unspun are the clean negatives of every row. Two baselines
are computed in the same run so that every figure has a yardstick:

- ``rare word``: flag every unprotected word whose Zipf frequency is below a threshold tuned on dev
  (maximising span F1 on dev docs spun with "mixed" at 15% plus their clean versions); it has no
  suggestion, so its restoration is 0 by construction;
- ``known list``: the "Problematic Paper Screener" approach: a fixed list of (spun form -> original)
  pairs seen at least twice in gold edits of simulator-spun *train* documents; on test, exact
  case-insensitive occurrences are flagged (longest first) and the most frequent original suggested.
  The list comes from the same simulator as the test spinning, so it is an optimistic bound for a list.

Metrics (from ``unspin.eval.metrics``): span P/R/F1 by overlap, exact restoration (over found gold
spans and over all gold spans), document AUROC (a row's spun docs vs the clean docs), ECE of the
score over spun + clean docs, FPR and flags per 1,000 words on clean docs. Baseline document scores
are flags per word; their verdict threshold is tuned on dev (best balanced accuracy).

Every figure goes to a JSON file (default bench/results/quality.json) so that later changes can be
compared.

``--split dev`` measures the same rows on dev documents instead, for choosing between models or
settings without reading the test split: the decision models' thresholds were chosen on dev, so dev
rows are for comparing, the test rows for reporting. The baselines are then tuned on train documents
(drawn with another seed) so that they, too, never see the documents they are scored on.

    python bench/quality.py [--corpus bbc|brown|wiki|all] [--docs N] [--styles mixed,sense] [--rates 0.05,0.15]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import random
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from unspin.eval import metrics
from unspin.eval.corpora import CORPORA, Document, load_documents
from unspin.eval.simulator import STYLES, Spinner, SpunText
from unspin.evidence import zipf
from unspin.lexicon import default_lexicon
from unspin.tokenize import tokenize

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "results" / "quality.json"
DEFAULT_RATES = (0.05, 0.15, 0.30)
DEFAULT_DOCS = 90  # per configuration: 16 configurations x 90 docs x ~0.35 s + ~1.5 min of baselines = ~10 min
SYSTEMS = ("unspin", "rare_word", "known_list")
ZIPF_GRID = tuple(round(1.0 + 0.25 * i, 2) for i in range(17))  # 1.00 .. 5.00
LIST_MIN_COUNT = 2

Pred = list[tuple[int, int, str]]  # (start, end, suggestion) per flagged span


@dataclass
class Checked:
    """One system's output on one document: what the metrics need, nothing more."""

    spans: Pred
    score: float
    spun: bool


@dataclass
class Sample:
    """One document as checked in one configuration (clean when ``spun`` has no edits)."""

    doc_id: str
    text: SpunText
    n_words: int
    out: dict[str, Checked] = field(default_factory=dict)

    @property
    def gold(self) -> list[tuple[tuple[int, int], str]]:
        return list(zip(self.text.gold_spans(), self.text.gold_restorations()))


# -- documents and spinning ----------------------------------------------------------------------
def load_split(corpus: str, split: str, n: int, seed: int) -> list[Document]:
    """``n`` documents of a split drawn by a seeded shuffle (files are sorted by id, so the first n
    would all be one BBC category); ``all`` takes an equal share of every corpus."""
    names = CORPORA if corpus == "all" else (corpus,)
    per = math.ceil(n / len(names))
    out: list[Document] = []
    for name in names:
        docs = load_documents(name, split)
        random.Random(f"{seed}:{name}:{split}").shuffle(docs)
        out += docs[:per]
    return out[:n]


def doc_seed(seed: int, *parts: object) -> int:
    """A stable per-document spinner seed (Python's hash() is salted per process)."""
    key = ":".join(str(p) for p in (seed, *parts))
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16)


class SpinnerPool:
    """One Spinner per style, reused across rates and seeds: a Spinner caches its per-word options,
    which is most of the cost of spinning; ``rate`` and ``seed`` are plain attributes read by spin()."""

    def __init__(self) -> None:
        self.lexicon = default_lexicon()
        self._by_style: dict[str, Spinner] = {}

    def spin(self, text: str, style: str, rate: float, seed: int) -> SpunText:
        sp = self._by_style.get(style)
        if sp is None:
            sp = self._by_style[style] = Spinner(style, rate, seed, lexicon=self.lexicon)
        sp.rate, sp.seed = rate, seed
        return sp.spin(text)


def count_words(text: str) -> int:
    return len(tokenize(text).words)


# -- systems -------------------------------------------------------------------------------------
PROFILE = "fast"  # set from --profile in main()


def run_unspin(text: str, doc_id: str) -> Checked:
    import unspin

    rep = unspin.check(text, doc_id, profile=PROFILE)
    return Checked([(s.start, s.end, s.suggestion) for s in rep.spans], rep.spin_score, rep.verdict == "spun")


def word_zipfs(text: str) -> list[tuple[int, int, float]]:
    """(start, end, zipf) of every unprotected word token: what the rare-word baseline may flag."""
    return [(w.start, w.end, zipf(w.text)) for w in tokenize(text).words if not w.protected]


class RareWord:
    """Flag unprotected words rarer than a Zipf threshold; no suggestion."""

    def __init__(self, threshold: float = 3.0, doc_threshold: float = 0.0):
        self.threshold = threshold
        self.doc_threshold = doc_threshold

    def flags(self, zipfs: Sequence[tuple[int, int, float]]) -> Pred:
        return [(s, e, "") for s, e, z in zipfs if z < self.threshold]

    def __call__(self, text: str, n_words: int) -> Checked:
        spans = self.flags(word_zipfs(text))
        score = len(spans) / max(n_words, 1)
        return Checked(spans, score, score >= self.doc_threshold and bool(spans))


class KnownList:
    """A fixed substitution list (spun form -> most frequent original), matched as whole words."""

    def __init__(self, table: dict[str, str], doc_threshold: float = 0.0):
        self.table = table
        self.doc_threshold = doc_threshold
        forms = sorted(table, key=lambda f: (-len(f), f))  # longest match first
        body = "|".join(re.escape(f) for f in forms) if forms else r"(?!x)x"
        self.pattern = re.compile(rf"(?<![\w'-])(?:{body})(?![\w'-])", re.IGNORECASE)

    @classmethod
    def learn(cls, spun: Sequence[SpunText], min_count: int = LIST_MIN_COUNT) -> tuple["KnownList", dict]:
        """Pairs observed in gold edits; a spun form is kept when its pairs were seen ``min_count``
        times or more (one-off swaps would mostly flag ordinary words)."""
        pairs: dict[str, Counter[str]] = defaultdict(Counter)
        for st in spun:
            for e in st.edits:
                pairs[metrics.normalise(e.replacement)][metrics.normalise(e.original)] += 1
        table = {form: c.most_common(1)[0][0] for form, c in pairs.items() if sum(c.values()) >= min_count}
        stats = {"pairs_seen": sum(len(c) for c in pairs.values()), "spun_forms_seen": len(pairs),
                 "spun_forms_kept": len(table), "min_count": min_count}
        return cls(table), stats

    def __call__(self, text: str, n_words: int) -> Checked:
        spans = [(m.start(), m.end(), self.table[m.group(0).lower()]) for m in self.pattern.finditer(text)]
        score = len(spans) / max(n_words, 1)
        return Checked(spans, score, score >= self.doc_threshold and bool(spans))


def tune_doc_threshold(pos: Sequence[float], neg: Sequence[float]) -> float:
    """The flags-per-word cut that best separates spun from clean dev docs (balanced accuracy)."""
    best, best_acc = 0.0, -1.0
    for t in sorted(set(pos) | set(neg)):
        acc = (sum(s >= t for s in pos) / len(pos) + sum(s < t for s in neg) / len(neg)) / 2
        if acc > best_acc:
            best, best_acc = t, acc
    return best


def tune_rare_word(dev: Sequence[Sample]) -> tuple[RareWord, dict]:
    """Pick the Zipf threshold with the best span F1 over dev spun + clean docs."""
    zipfs = [word_zipfs(s.text.spun) for s in dev]
    gold = [s.text.gold_spans() for s in dev]
    curve = {}
    for t in ZIPF_GRID:
        rw = RareWord(t)
        pred = [[(a, b) for a, b, _ in rw.flags(z)] for z in zipfs]
        curve[t] = metrics.span_scores(gold, pred).f1
    best = max(curve, key=lambda t: (curve[t], -t))
    rw = RareWord(best)
    return rw, {"zipf_threshold": best, "dev_f1": curve[best], "dev_f1_by_threshold": curve}


def tune_verdict(system: Callable[[str, int], Checked], dev: Sequence[Sample]) -> float:
    scores = [(bool(s.text.edits), system(s.text.spun, s.n_words).score) for s in dev]
    return tune_doc_threshold([x for y, x in scores if y], [x for y, x in scores if not y])


# -- scoring -------------------------------------------------------------------------------------
def score_system(name: str, spun: Sequence[Sample], clean: Sequence[Sample]) -> dict:
    """Every figure for one system on one row (``spun`` empty for the clean row)."""
    clean_out = [s.out[name] for s in clean]
    fig: dict = {"fpr": metrics.false_positive_rate([c.spun for c in clean_out]),
                 "flags_per_1k_words_clean": metrics.flags_per_1000_words(
                     [len(c.spans) for c in clean_out], [s.n_words for s in clean])}
    if not spun:  # the clean row: every flag is a false positive
        sp = metrics.span_scores([[] for _ in clean], [[(a, b) for a, b, _ in c.spans] for c in clean_out])
        fig.update(span=sp.as_dict(), n_flags=sp.n_pred)
        if name == "unspin":
            scores = [c.score for c in clean_out]
            fig["ece"] = metrics.expected_calibration_error(scores, [False] * len(scores))
        return fig
    outs = [s.out[name] for s in spun]
    gold = [[g for g, _ in s.gold] for s in spun]
    pred = [[(a, b) for a, b, _ in o.spans] for o in outs]
    sp = metrics.span_scores(gold, pred)
    with_clean = metrics.span_scores(gold + [[] for _ in clean],
                                     pred + [[(a, b) for a, b, _ in c.spans] for c in clean_out])
    rest = metrics.restoration_scores([s.gold for s in spun], [[((a, b), t) for a, b, t in o.spans] for o in outs])
    # A document the style found nothing to rewrite in is its clean twin: not a positive.
    changed = [o for s, o in zip(spun, outs) if s.text.edits]
    pos, neg = [o.score for o in changed], [c.score for c in clean_out]
    fig.update(span=sp.as_dict(), precision_with_clean=with_clean.precision, restoration=rest.as_dict(),
               n_spun_docs=len(changed), auroc=metrics.auroc(pos, neg) if pos else None,
               tpr=sum(o.spun for o in changed) / len(changed) if changed else None)
    if name == "unspin":  # how far the row's documents pin the figures down (95%, resampling documents)
        fig["span_f1_ci"] = metrics.bootstrap_interval(
            lambda idx: metrics.span_scores([gold[i] for i in idx], [pred[i] for i in idx]).f1, len(spun))
        if pos:
            def resampled_auroc(idx: Sequence[int]) -> float | None:
                """spun[i] and clean[i] are the same document, so they are resampled together; a
                resample without a rewritten document has no AUROC (and is drawn again)."""
                changed_scores = [outs[i].score for i in idx if spun[i].text.edits]
                return metrics.auroc(changed_scores, [clean_out[i].score for i in idx]) if changed_scores else None

            fig["auroc_ci"] = metrics.bootstrap_interval(resampled_auroc, len(spun))
    if name == "unspin" and pos:  # baseline scores are flag densities, not probabilities: no calibration
        scores, labels = pos + neg, [True] * len(pos) + [False] * len(neg)
        fig["ece"] = metrics.expected_calibration_error(scores, labels)
        fig["reliability"] = [vars(b) for b in metrics.reliability_bins(scores, labels)]
    return fig


# -- the run -------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="bbc", choices=(*CORPORA, "all"))
    ap.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="documents per configuration")
    ap.add_argument("--split", default="test", choices=("test", "dev"),
                    help="the split the rows are measured on: test to report, dev to choose (see above)")
    ap.add_argument("--dev-docs", type=int, default=30,
                    help="documents for tuning the baselines (dev ones; train ones under --split dev)")
    ap.add_argument("--train-docs", type=int, default=100, help="train documents the known list is learned on")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--styles", default=",".join(STYLES), help="comma-separated simulator styles")
    ap.add_argument("--rates", default=",".join(str(r) for r in DEFAULT_RATES), help="comma-separated spin rates")
    ap.add_argument("--profile", default="fast", choices=("fast", "accurate", "cascade"))
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="JSON file with every figure")
    args = ap.parse_args(argv)
    args.styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    bad = [s for s in args.styles if s not in STYLES]
    if bad:
        ap.error(f"unknown style(s) {', '.join(bad)}; choose from {', '.join(STYLES)}")
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if any(not 0.0 < r <= 1.0 for r in args.rates):
        ap.error("rates must be within (0, 1]")
    if args.docs < 1 or args.dev_docs < 1 or args.train_docs < 1:
        ap.error("--docs, --dev-docs and --train-docs must be positive")
    return args


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run(args: argparse.Namespace) -> dict:
    """Build the baselines, check every configuration, and return every figure."""
    t_start = time.perf_counter()
    pool = SpinnerPool()

    # Baselines first: they only need the train and dev splits.
    t0 = time.perf_counter()
    train = load_split(args.corpus, "train", args.train_docs, args.seed)
    train_spun = [pool.spin(d.text, style, rate, doc_seed(args.seed, "train", style, rate, d.id))
                  for style in STYLES for rate in DEFAULT_RATES for d in train]
    known, list_stats = KnownList.learn(train_spun)
    # The baselines' tuning documents: dev, unless the rows themselves are measured on dev.
    tune_split, tune_seed = ("train", args.seed + 1) if args.split == "dev" else ("dev", args.seed)
    dev_docs = load_split(args.corpus, tune_split, args.dev_docs, tune_seed)
    dev = [Sample(d.id, pool.spin(d.text, "mixed", 0.15, doc_seed(args.seed, "dev", d.id)), count_words(d.text))
           for d in dev_docs]
    dev += [Sample(d.id, SpunText(d.text, d.text), count_words(d.text)) for d in dev_docs]
    rare, rare_stats = tune_rare_word(dev)
    rare.doc_threshold = rare_stats["doc_threshold"] = tune_verdict(rare, dev)
    known.doc_threshold = list_stats["doc_threshold"] = tune_verdict(known, dev)
    t_baselines = time.perf_counter() - t0
    log(f"baselines ready in {t_baselines:.0f} s: rare word zipf < {rare.threshold} (dev F1 "
        f"{rare_stats['dev_f1']:.2f}); known list of {len(known.table)} spun forms")

    t0 = time.perf_counter()
    run_unspin(dev_docs[0].text, "warm-up")  # real English, so that the detector's models load here
    t_load = time.perf_counter() - t0

    systems: dict[str, Callable[[Sample], Checked]] = {
        "unspin": lambda s: run_unspin(s.text.spun, s.doc_id),
        "rare_word": lambda s: rare(s.text.spun, s.n_words),
        "known_list": lambda s: known(s.text.spun, s.n_words),
    }
    check_time, n_checked = 0.0, 0

    def evaluate(samples: list[Sample]) -> None:
        nonlocal check_time, n_checked
        for s in samples:
            t = time.perf_counter()
            s.out["unspin"] = systems["unspin"](s)
            check_time += time.perf_counter() - t
            n_checked += 1
            for name in SYSTEMS[1:]:
                s.out[name] = systems[name](s)

    docs = load_split(args.corpus, args.split, args.docs, args.seed)
    n_words = {d.id: count_words(d.text) for d in docs}
    clean = [Sample(d.id, SpunText(d.text, d.text), n_words[d.id]) for d in docs]
    evaluate(clean)
    log(f"clean: {len(clean)} docs checked ({check_time / max(n_checked, 1):.2f} s/doc)")
    rows = [{"config": "clean", "style": None, "rate": None, "n_docs": len(clean), "n_spun_docs": 0, "n_gold": 0,
             "n_words": sum(s.n_words for s in clean),
             "systems": {name: score_system(name, [], clean) for name in SYSTEMS}}]
    for style in args.styles:
        for rate in args.rates:
            spun = [Sample(d.id, pool.spin(d.text, style, rate, doc_seed(args.seed, args.split, style, rate, d.id)),
                           n_words[d.id]) for d in docs]
            evaluate(spun)
            row = {"config": f"{style} {rate:.0%}", "style": style, "rate": rate, "n_docs": len(spun),
                   "n_spun_docs": sum(1 for s in spun if s.text.edits),
                   "n_gold": sum(len(s.text.edits) for s in spun), "n_words": sum(s.n_words for s in spun),
                   "systems": {name: score_system(name, spun, clean) for name in SYSTEMS}}
            rows.append(row)
            u = row["systems"]["unspin"]
            log(f"{row['config']}: unspin F1 {u['span']['f1']:.2f}, AUROC {_f(u['auroc'])} "
                f"({time.perf_counter() - t_start:.0f} s elapsed)")

    return {
        "meta": {"profile": args.profile, "corpus": args.corpus, "split": args.split, "docs": len(docs), "dev_docs": len(dev_docs),
                 "tuning_split": tune_split, "train_docs": len(train),
                 "seed": args.seed, "styles": args.styles, "rates": args.rates, "commit": git_commit(),
                 "python": platform.python_version(), "doc_ids": [d.id for d in docs]},
        "timing": {"wall_s": time.perf_counter() - t_start, "baselines_s": t_baselines, "load_s": t_load,
                   "check_s": check_time, "checked_docs": n_checked,
                   "docs_per_s": n_checked / check_time if check_time else 0.0,
                   "words_per_s": sum(r["n_words"] for r in rows) / check_time if check_time else 0.0},
        "baselines": {"rare_word": rare_stats, "known_list": list_stats},
        "rows": rows,
    }


# -- rendering -----------------------------------------------------------------------------------
def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _with_ci(x: float | None, ci: Sequence[float] | None) -> str:
    """A figure with its 95% bootstrap interval, when there is one."""
    return _f(x) if x is None or ci is None else f"{x:.2f} ({ci[0]:.2f}-{ci[1]:.2f})"


def markdown_table(result: dict) -> str:
    """One row per configuration; per system span P/R/F1, restoration (over found / over all gold),
    AUROC (unspin's F1 and AUROC with their 95% bootstrap intervals over the row's documents); on the
    clean row P/R/F1 is replaced by the flag count, the FPR and flags per 1k words."""
    head = ["config", "gold spans (docs)"]
    for name, label in (("unspin", "unspin"), ("rare_word", "rare word"), ("known_list", "known list")):
        head += [f"{label} P", "R", "F1", "restored found/all", "AUROC"]
        if name == "unspin":
            head.append("ECE")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["rows"]:
        cells = [row["config"], f"{row['n_gold']} ({row['n_spun_docs']})"]
        for name in SYSTEMS:
            f = row["systems"][name]
            if row["style"] is None:
                cells += [f"{f['n_flags']} flags", f"FPR {_f(f['fpr'])}", f"{f['flags_per_1k_words_clean']:.1f}/1k w",
                          "-", "-"]
            else:
                r, sp, gold = f["restoration"], f["span"], row["n_gold"] > 0
                cells += [_f(sp["precision"]) if sp["n_pred"] else "-", _f(sp["recall"]) if gold else "-",
                          _with_ci(sp["f1"], f.get("span_f1_ci")) if gold else "-",
                          f"{_f(r['exact_over_found'])}/{_f(r['exact_over_all'])}" if gold else "-",
                          _with_ci(f["auroc"], f.get("auroc_ci"))]
            if name == "unspin":
                cells.append(_f(f.get("ece")))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global PROFILE
    args = parse_args(argv)
    PROFILE = args.profile
    result = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    m, t, b = result["meta"], result["timing"], result["baselines"]
    print(f"## unspin quality ({m['profile']} profile): {m['corpus']} {m['split']}, {m['docs']} docs per configuration, seed {m['seed']}\n")
    print(markdown_table(result))
    print(f"\nrare word: zipf < {b['rare_word']['zipf_threshold']} (tuned on {m['dev_docs']} {m['tuning_split']} docs, "
          f"F1 there {b['rare_word']['dev_f1']:.2f}); known list: {b['known_list']['spun_forms_kept']} spun forms "
          f"seen >= {b['known_list']['min_count']} times in {m['train_docs']} train docs x {len(STYLES)} styles x "
          f"{len(DEFAULT_RATES)} rates. Restoration of rare word is 0 by construction (no suggestion).")
    print("clean row: flags on the unspun documents, FPR = share called spun, flags per 1,000 words; "
          "precision with clean docs pooled is in the JSON (precision_with_clean).")
    print(f"\nunspin.check: {t['checked_docs']} docs in {t['check_s']:.0f} s = {t['docs_per_s']:.2f} docs/s "
          f"({t['words_per_s']:.0f} words/s; resources loaded in {t['load_s']:.1f} s); wall time {t['wall_s']:.0f} s")
    print(f"JSON with every figure: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
