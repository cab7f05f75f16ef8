"""Correctness verdicts remembered across runs, on disk, keyed by everything that decides them.

A verdict is stored under a key made of the variant's normalized text (and where the text starts in its
file, since messages name lines), the route, the kernel and a digest of the cases it was checked on, the
route's tool versions, and a digest of the project's own code that decides a verdict. Change any of these
and the key changes: the variant is checked again. Nothing else is ever invalidated, so a stored verdict is
as good as a fresh one, and a second run with nothing changed checks nothing.

Only verdicts that hold wherever the key holds are stored: `pass`, `fail` and the `error` of a build.
A `skip` says what this machine lacks, and an internal error is ours to fix: both are checked again.

Environment (inherited by worker processes): `ARENA_RECHECK=1` checks again and overwrites what is stored
(`--recheck`); `ARENA_VERDICT_STORE=off` neither reads nor writes (tests that patch the code that decides
a verdict), any other value is the directory to use instead of `<cache dir>/verdicts`.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from array import array
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from harness.inputs import Case
from kernels.kernel import Kernel
from targets.variant_source import Source
from targets.base import Target

RECHECK_ENV = "ARENA_RECHECK"
STORE_ENV = "ARENA_VERDICT_STORE"
STORED_VERDICTS = ("pass", "fail", "error")
# Bump when the stored layout changes: older entries are then simply not found.
LAYOUT = 1

_HARNESS = Path(__file__).resolve().parent
_ROOT = _HARNESS.parent
# The project's own code that decides a verdict, besides every file of targets/ and the kernel's reference.
VERDICT_CODE = ("check.py", "inputs.py", "shrink.py", "variants.py", "store.py")


def force_recheck() -> None:
    os.environ[RECHECK_ENV] = "1"  # worker processes and children inherit it


def directory() -> Path | None:
    """Where verdicts live; None when the store is off."""
    setting = os.environ.get(STORE_ENV, "")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    from targets.cache import cache_dir

    return cache_dir() / "verdicts"


@cache
def code_digest(kernel: Kernel) -> str:
    """Digest of the files whose change may change a verdict: any edit there invalidates every entry."""
    files = sorted(p for p in (_ROOT / "targets").rglob("*") if p.is_file() and p.suffix in (".py", ".js", ".c", ".h"))
    files += [_HARNESS / name for name in VERDICT_CODE]
    # The kernel's interface (its cases, limits and calls) and the code that reads it.
    files += [kernel.directory / "__init__.py", _ROOT / "kernels" / "interface.py", _ROOT / "kernels" / "kernel.py",
              _ROOT / "kernels" / "cases.py"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else path).encode())
        digest.update(path.read_bytes() if path.exists() else b"(missing)")
    return digest.hexdigest()


_case_digests: dict[int, tuple[Sequence[Case], str]] = {}


def cases_digest(cases: Sequence[Case]) -> str:
    # The default cases are one cached tuple holding a million values: digest each sequence object once.
    known = _case_digests.get(id(cases))
    if known is not None and known[0] is cases:
        return known[1]
    digest = hashlib.sha256()
    for case in cases:
        digest.update(case.name.encode() + b"\0")
        several = bool(case.values) and isinstance(case.values[0], (tuple, list))  # one tuple per array
        for values in (case.values if several else (case.values,)):
            digest.update(array("q", values).tobytes() + b"\1")
    _case_digests[id(cases)] = (cases, digest.hexdigest())
    return digest.hexdigest()


_versions: dict[str, dict[str, str]] = {}


def route_versions(route: Target) -> dict[str, str]:
    if route.name not in _versions:
        _versions[route.name] = dict(route.versions())
    return _versions[route.name]


def _key(source: Source, route: Target, kernel: Kernel, **what: str) -> str:
    """The digest of everything that decides a stored result: the variant's text, route, kernel, tools and our
    code, and `what` was stored (the cases of a verdict, the input of a count)."""
    parts = {
        "layout": LAYOUT,
        "text": source.text,
        "line_offset": source.line_offset,
        "route": route.name,
        "kernel": kernel.name,
        "versions": route_versions(route),
        "code": code_digest(kernel),
        **what,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def key(source: Source, route: Target, kernel: Kernel, cases: Sequence[Case]) -> str:
    return _key(source, route, kernel, cases=cases_digest(cases))


def _entry(key_hex: str) -> Path | None:
    root = directory()
    return None if root is None else root / key_hex[:2] / f"{key_hex}.json"


def _read(key_hex: str) -> Any:
    """What is stored under a key; None when nothing is, the store is off, or --recheck was asked."""
    if os.environ.get(RECHECK_ENV) == "1":
        return None
    entry = _entry(key_hex)
    if entry is None:
        return None
    try:
        return json.loads(entry.read_text())
    except (OSError, ValueError):  # absent, or unreadable: done again, the save will replace it
        return None


def lookup(source: Source, route: Target, kernel: Kernel, cases: Sequence[Case]) -> dict[str, Any] | None:
    """The stored report (as harness.check.Report.as_json gave it) for this source, or None."""
    return _read(key(source, route, kernel, cases))


def save(source: Source, route: Target, kernel: Kernel, cases: Sequence[Case], report: dict[str, Any]) -> None:
    """Store a report, whole or not at all: a reader never sees half a file, a failed write loses nothing."""
    if report.get("verdict") not in STORED_VERDICTS or report.get("message", "").startswith("internal error"):
        return
    _write(_entry(key(source, route, kernel, cases)), report)


def _write(entry: Path | None, data: Any) -> None:
    if entry is None:
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=entry.parent, prefix=".", suffix=".tmp", delete=False) as out:
            json.dump(data, out)
        os.replace(out.name, entry)
    except OSError:  # a full or read-only cache costs speed, never the verdict
        try:
            os.unlink(out.name)
        except (OSError, UnboundLocalError):
            pass


def count_key(source: Source, route: Target, kernel: Kernel, values: Sequence[int]) -> str:
    """Executed work is as deterministic as a verdict: the same text, route, tools and code, on the same input."""
    return _key(source, route, kernel, what="executed",
                input=hashlib.sha256(json.dumps(list(values)).encode()).hexdigest())


def lookup_counts(source: Source, route: Target, kernel: Kernel, values: Sequence[int]) -> dict[str, int] | None:
    """The executed work stored for this source on this input, or None (and always None with --recheck)."""
    data = _read(count_key(source, route, kernel, values))
    try:
        return None if data is None else {str(k): int(v) for k, v in data.items()}
    except (ValueError, AttributeError):  # not a table of counts: count again
        return None


def save_counts(source: Source, route: Target, kernel: Kernel, values: Sequence[int], counts: dict[str, int]) -> None:
    if counts:
        _write(_entry(count_key(source, route, kernel, values)), counts)
