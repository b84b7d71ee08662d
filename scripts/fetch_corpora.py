"""Fetch the clean benchmark corpora into data/corpora/ (git-ignored; never commit the text).

    python scripts/fetch_corpora.py            # all three
    python scripts/fetch_corpora.py bbc wiki   # some
    python scripts/fetch_corpora.py --force    # re-extract
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter

from unspin.eval.corpora import CORPORA, fetch, load_documents, split_of


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="*", choices=[[], *CORPORA], default=[], metavar="CORPUS",
                    help=f"any of {', '.join(CORPORA)} (default: all)")
    ap.add_argument("--force", action="store_true", help="re-extract even when the cache exists")
    args = ap.parse_args(argv)
    for name in args.corpora or CORPORA:
        path = fetch(name, force=args.force)
        docs = load_documents(name, "all")
        words = sum(len(d.text.split()) for d in docs)
        splits = Counter(split_of(name, d.id) for d in docs)
        print(f"{name}: {len(docs)} docs, {words} words, "
              f"train/dev/test {splits['train']}/{splits['dev']}/{splits['test']} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
