"""The one on-disk cache of built artifacts (C libraries, wasm modules, linked images, standalone programs):
named by a hash of everything that decides their content, published whole."""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path


def cache_dir() -> Path:
    root = os.environ.get("ARENA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "codegen-arena"
    )
    return Path(root)


def content_key(*parts: str | bytes) -> str:
    """A short hash of `parts` (in order): the name of what they produce."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def cached(kind: str, name: str, produce: Callable[[Path], Path]) -> Path:
    """cache_dir()/kind/name, made by `produce` when absent.

    `produce(work)` builds the file in `work`, a private folder beside the cache entry, and returns its path;
    the file is then moved into place with one rename, so an interrupted or concurrent build never leaves
    half a file under the entry's name.
    """
    directory = cache_dir() / kind
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if path.exists():
        return path
    with tempfile.TemporaryDirectory(dir=directory, prefix="build-") as work:
        os.replace(produce(Path(work)), path)
    return path


def cached_bytes(kind: str, parts: Sequence[str | bytes], produce: Callable[[Path], bytes], suffix: str = "") -> bytes:
    """The bytes `produce(work)` returns for `parts` (everything that decides them), made once and then read
    from cache_dir()/kind."""
    def write(work: Path) -> Path:
        out = work / "out.partial"
        out.write_bytes(produce(work))
        return out

    return cached(kind, f"{content_key(*parts)}{suffix}", write).read_bytes()


def store_text(kind: str, text: str) -> str:
    """Keep `text` in cache_dir()/kind under its content key, once; returns the key (stored_text reads it back)."""
    key = content_key(text)

    def write(work: Path) -> Path:
        out = work / "out.partial"
        out.write_text(text, encoding="utf-8")
        return out

    cached(kind, key, write)
    return key


def stored_text(kind: str, key: str) -> str | None:
    """The text store_text kept under `key`, or None where the cache no longer holds it."""
    try:
        return (cache_dir() / kind / key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
