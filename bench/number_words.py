#!/usr/bin/env python3
"""The number-word stage (``unspin.decide.numbers``): figures a spinner wrote for number words.

On documents spun by the simulator's ``mixed`` style (which turns number words into figures among
its other swaps) and on the same documents unspun, through the whole pipeline of a profile:

- spun: the gold number edits, how many the stage finds (span exactly the figure) and restores
  exactly, and its other spans (figures the source text had): its precision, which is what
  ``NumberWords.confidence`` should be (measure it on dev, report on test);
- clean: the stage's flags per 1,000 words (only in documents judged spun, as in use) and how often
  the rule alone would fire if every clean document were judged spun (its worst case).

    python bench/number_words.py [--split test] [--docs 200] [--profile fast]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import quality as Q  # noqa: E402  (the quality bench's document splits, seeds and spinner pool)

from unspin.pipeline import default_pipeline  # noqa: E402

OUT = Path(__file__).parent / "results" / "number_words.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test")
    ap.add_argument("--docs", type=int, default=200, help="documents per corpus")
    ap.add_argument("--corpora", default="bbc,wiki,brown")
    ap.add_argument("--profile", default="fast")
    ap.add_argument("--rate", type=float, default=0.15)
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args()
    pipe = default_pipeline(a.profile)
    rule = pipe.detector.numbers  # the stage as the pipeline runs it
    pool = Q.SpinnerPool()
    result = {"split": a.split, "profile": a.profile, "docs_per_corpus": a.docs, "rate": a.rate, "corpora": {}}
    total = {"gold": 0, "found": 0, "restored": 0, "other": 0}
    for corpus in a.corpora.split(","):
        docs = Q.load_split(corpus, a.split, a.docs, 0)
        r = {"gold": 0, "found": 0, "restored": 0, "other": 0, "clean_words": 0, "clean_flags": 0,
             "clean_rule_fires": 0}
        for d in docs:
            st = pool.spin(d.text, "mixed", a.rate, Q.doc_seed(0, d.id, "mixed", a.rate))
            gold = {(e.spun_start, e.spun_end): e.original for e in st.edits if e.kind == "numbers"}
            doc = pipe.make_doc(st.spun, d.id)
            pipe.detector.predict(doc)
            mine = [s for s in doc.spans if s.evidence.source == "style"]
            r["gold"] += len(gold)
            for s in mine:
                original = gold.get((s.start, s.end))
                if original is None:
                    r["other"] += 1
                else:
                    r["found"] += 1
                    r["restored"] += s.suggestion.lower() == original.lower()
            clean = pipe.make_doc(d.text, d.id)
            pipe.detector.predict(clean)
            r["clean_words"] += len(clean.words)
            r["clean_flags"] += sum(s.evidence.source == "style" for s in clean.spans)
            r["clean_rule_fires"] += len(rule.spans(clean))
        for k in total:
            total[k] += r[k]
        r["recall"] = r["found"] / r["gold"] if r["gold"] else None
        r["precision"] = r["found"] / (r["found"] + r["other"]) if r["found"] + r["other"] else None
        r["clean_flags_per_1k"] = 1000 * r["clean_flags"] / max(1, r["clean_words"])
        r["clean_rule_fires_per_1k"] = 1000 * r["clean_rule_fires"] / max(1, r["clean_words"])
        result["corpora"][corpus] = r
        print(f"{corpus:6s} gold {r['gold']:4d}  found {r['found']:4d} (recall {_f(r['recall'])}, restored "
              f"{r['restored']})  other spans {r['other']:3d} (precision {_f(r['precision'])})  clean: "
              f"{r['clean_flags_per_1k']:.2f} flags per 1k words, rule alone {r['clean_rule_fires_per_1k']:.2f}",
              flush=True)
    n = total["found"] + total["other"]
    result["all"] = {**total, "precision": total["found"] / n if n else None,
                     "recall": total["found"] / total["gold"] if total["gold"] else None}
    print(f"all    precision {_f(result['all']['precision'])} (NumberWords.confidence is {rule.confidence}), "
          f"recall {_f(result['all']['recall'])}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    sys.exit(main())
