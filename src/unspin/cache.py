"""unspin's per-user cache folder: files derived from installed data that are slow to build and safe
to rebuild (a neural model converted from its GGUF file, the lexicon's built index).

``UNSPIN_CACHE_DIR`` moves it; set empty, nothing is cached. Default: ``$XDG_CACHE_HOME/unspin`` or
``~/.cache/unspin``. Every file is named by what it was built from, so a changed source is never read
through a stale copy, and written under a private name then renamed, so that processes starting
together (a scan's workers) never read a half-written file.
"""
from __future__ import annotations

import os


def cache_root() -> str:
    """The cache folder ("" when ``UNSPIN_CACHE_DIR`` is set empty: no cache)."""
    root = os.environ.get("UNSPIN_CACHE_DIR")
    return default_cache_root() if root is None else root


def default_cache_root() -> str:
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "unspin")


def write_atomically(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a private temporary name; best effort (a read-only or full
    disk only costs the next start its rebuild): returns whether the file was written."""
    tmp = f"{path}.{os.getpid()}.part"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        return False
