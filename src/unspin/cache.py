"""unspin's per-user cache folder: files derived from installed data that are slow to build and safe
to rebuild (a neural model converted from its GGUF file, the lexicon's built index).

``UNSPIN_CACHE_DIR`` moves it; set empty, nothing is cached. Default: ``$XDG_CACHE_HOME/unspin`` or
``~/.cache/unspin``. Every file is named by what it was built from, so a changed source is never read
through a stale copy, and written under a private name then renamed, so that processes starting
together (a scan's workers) never read a half-written file.
"""
from __future__ import annotations

import os
import re
from typing import Callable, TypeVar

T = TypeVar("T")


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


def built_through_cache(prefix: str, stamp: str, suffix: str, build: Callable[[], T], dump: Callable[[T], bytes],
                        read: Callable[[str], T]) -> T:
    """``build()``, kept in the cache folder as ``prefix + stamp + suffix``: a copy that is there is
    read with ``read(path)`` (a damaged one is rebuilt: a cache must never break loading); otherwise
    the result is built, written with ``dump`` (atomically, best effort) and the copies of other
    stamps under the same prefix (an earlier release's) are removed. Without a cache folder, built."""
    root = cache_root()
    path = os.path.join(root, f"{prefix}{stamp}{suffix}") if root else None
    if path and os.path.exists(path):
        try:
            return read(path)
        except Exception:  # noqa: BLE001 - unreadable, truncated, another format: rebuild it
            pass
    built = build()
    if path and write_atomically(path, dump(built)):
        remove_other_copies(path, prefix, suffix)
    return built


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


# What unspin writes in its cache folder (the folder may be shared: ``--clear`` touches nothing else):
# the lexicon's and the n-gram model's copies, converted neural models ("<gguf stem>-<stamp>-<dtype>"),
# assembled GGUF files, and the temporary names they are written under.
_OURS = re.compile(r"^(lexicon-.*\.pickle|ngram-.*\.npz|.*\.gguf|.*-(bfloat16|float16|float32)|\.tmp-.*|.*\.part)$")


def cached_entries(root: str | None = None) -> list[tuple[str, int]]:
    """(name, size in bytes) of every entry unspin wrote in its cache folder."""
    root = cache_root() if root is None else root
    if not root or not os.path.isdir(root):
        return []
    out = []
    for name in sorted(os.listdir(root)):
        if _OURS.match(name):
            path = os.path.join(root, name)
            size = (sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
                    if os.path.isdir(path) else os.path.getsize(path))
            out.append((name, size))
    return out


def register(sub) -> None:
    c = sub.add_parser("cache", help="show, build or clear unspin's cache folder (derived copies of packaged data)")
    action = c.add_mutually_exclusive_group()
    action.add_argument("--build", action="store_true",
                        help="build the lexicon's and the n-gram model's copies now (e.g. in an image, so that "
                             "workers do not each build them at their first start)")
    action.add_argument("--clear", action="store_true", help="remove what unspin wrote there (nothing else)")
    c.set_defaults(func=cmd_cache)


def cmd_cache(args) -> int:
    root = cache_root()
    if not root:
        print("unspin: UNSPIN_CACHE_DIR is empty: nothing is cached")
        return 0
    if args.build:
        from unspin.evidence import default_ngram_lm
        from unspin.lexicon import default_lexicon

        default_lexicon(), default_ngram_lm()
    if args.clear:
        import shutil

        for name, _ in cached_entries(root):
            path = os.path.join(root, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
    entries = cached_entries(root)
    print(f"unspin cache: {root}")
    for name, size in entries:
        print(f"  {size / 1e6:9.1f} MB  {name}")
    print(f"  {sum(s for _, s in entries) / 1e6:9.1f} MB  in {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
    return 0
