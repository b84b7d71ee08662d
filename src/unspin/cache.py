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


def content_stamp(path: str, block: int = 1 << 20) -> str:
    """"size-checksum" of a large data file, the checksum over its first and last megabyte (a model
    file's header and index, then its tables or weights): the same file installed again (a new
    virtual environment, a reinstall) keeps its cached copy, where a stamp by modification time made
    a new one each time and left the old behind; a different file of the same size does not."""
    import zlib

    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        crc = zlib.crc32(fh.read(block))
        fh.seek(max(0, size - block))
        crc = zlib.crc32(fh.read(block), crc)
    return f"{size}-{crc:08x}"


def code_stamp(*functions) -> str:
    """A checksum of the source of the functions that build a cached file: a copy built by other code
    (an edited ``Lexicon.__init__``, a new release) then has another name and is never read. "0" where
    the source is not available (an installation without .py files): the file's stamp alone then."""
    import inspect
    import zlib

    crc = 0
    try:
        for f in functions:
            crc = zlib.crc32(inspect.getsource(f).encode("utf-8"), crc)
    except (OSError, TypeError):
        return "0"
    return f"{crc:08x}"


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


def remove_other_copies(kept: str, prefix: str, suffix: str) -> None:
    """Drop the other files of ``kept``'s folder named ``prefix...suffix``: copies built from an
    earlier version of the same source (an upgrade's), which nothing reads any more."""
    folder, name = os.path.split(kept)
    for other in os.listdir(folder):
        if other != name and other.startswith(prefix) and other.endswith(suffix):
            try:
                os.remove(os.path.join(folder, other))
            except OSError:
                pass
