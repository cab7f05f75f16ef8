"""A variant's source as the routes see it: the text, where it came from, and its line counts."""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from pathlib import Path

class SourceError(Exception):
    """A file that cannot be read as a variant at all (missing, unknown suffix, not text)."""


ORIGINS = ("ai", "human", "supplied", "unknown")

# Line-comment markers per language; block comments are handled in _comment_only_lines.
LINE_COMMENTS: dict[str, tuple[str, ...]] = {
    "c": ("//",),
    "llvm": (";",),
    "wat": (";;",),
    "x86": ("#", ";", "//"),
}
BLOCK_COMMENTS: dict[str, tuple[str, str] | None] = {
    "c": ("/*", "*/"),
    "llvm": None,
    "wat": ("(;", ";)"),
    "x86": ("/*", "*/"),
}


@dataclass(frozen=True)
class LineCount:
    total: int
    effective: int

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "effective": self.effective}


@dataclass(frozen=True)
class Source:
    """One variant's source text as the routes see it, plus where it came from."""

    kernel: str
    name: str
    path: Path
    language: str
    text: str
    header: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Lines removed above `text` (a markdown fence), so messages can name the line as saved.
    line_offset: int = 0
    # One of the kernel's declared algorithms: the header's `algorithm:`, else the kernel's baseline.
    algorithm: str = ""
    # What was adapted so the file runs as pasted (the block taken out of a chat answer), one line each.
    notes: tuple[str, ...] = ()
    # The origin when the header names none: `supplied` for a file handed in by the user (arena check FILE,
    # --variants DIR), or what `--origin` says for a whole folder.
    default_origin: str = "unknown"
    # The CPU features the header's `requires:` line names (targets.cpu_features spelling): a route whose CPU
    # lacks one skips the file, before it runs.
    requires: tuple[str, ...] = ()

    @property
    def origin(self) -> str:
        origin = self.header.get("origin", "").strip().lower()
        return origin if origin in ORIGINS else self.default_origin

    @property
    def lines(self) -> LineCount:
        return count_lines(self.text, self.language)

    def where(self, line: int | None = None) -> str:
        """`path:line`, with `line` counted in `text` and reported as in the saved file."""
        return f"{self.path}:{line + self.line_offset}" if line else str(self.path)

    def first_line(self, *patterns: str) -> int | None:
        """The first line of `text` (from 1, as `where` takes it) that every regex of `patterns` matches."""
        return next((number for number, line in enumerate(self.text.splitlines(), start=1)
                     if all(re.search(p, line) for p in patterns)), None)


def count_lines(text: str, language: str) -> LineCount:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    comment_only = _comment_only_lines(lines, language)
    effective = sum(1 for i, line in enumerate(lines) if line.strip() and i not in comment_only)
    return LineCount(total=len(lines), effective=effective)


def _comment_only_lines(lines: list[str], language: str) -> set[int]:
    block = BLOCK_COMMENTS[language]
    markers = LINE_COMMENTS[language]
    result: set[int] = set()
    in_block = False
    for i, line in enumerate(lines):
        rest = line.strip()
        code = False
        while rest:
            if in_block:
                assert block is not None
                end = rest.find(block[1])
                if end < 0:
                    rest = ""
                else:
                    rest = rest[end + len(block[1]) :].strip()
                    in_block = False
                continue
            if any(rest.startswith(m) for m in markers):
                break
            if block and rest.startswith(block[0]):
                rest = rest[len(block[0]) :]
                in_block = True
                continue
            code = True
            break
        if not code and line.strip():
            result.add(i)
    return result
