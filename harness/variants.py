"""Variant sources: discovery, the comment header, copy-paste normalization and line counts."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from kernels.kernel import LANGUAGES, Kernel, UnknownName
from targets.cpu_features import UnknownFeature, parse_requires
from harness.fenced import FENCE_OPEN, holds_fence, take_block
from targets.variant_source import LINE_COMMENTS, ORIGINS, Source, SourceError


# Characters that web pages and chat windows put into code and that no assembler accepts.
INVISIBLE_SPACES = {
    "\u00a0": "non-breaking space (U+00A0)",
    "\u202f": "narrow non-breaking space (U+202F)",
    "\u2007": "figure space (U+2007)",
    "\u2009": "thin space (U+2009)",
}
ZERO_WIDTH = {
    "\u200b": "zero-width space (U+200B)",
    "\u200c": "zero-width non-joiner (U+200C)",
    "\u200d": "zero-width joiner (U+200D)",
    "\u2060": "word joiner (U+2060)",
}
# Suffixes a folder's pasted answers carry; such a file is a variant only when it holds a fenced block.
PASTED_SUFFIXES = (".md", ".markdown", ".txt")


def language_of(path: Path) -> str:
    try:
        return LANGUAGES[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(LANGUAGES))
        raise SourceError(f"{path}: unknown suffix {path.suffix!r}; variants end in one of {known}") from None


def normalize(raw: str) -> tuple[str, list[str], int]:
    """Undo what copying code out of a web page does to it; say what was changed."""
    text, warnings = _clean(raw)
    text, removed_above = _strip_fence(text, warnings)
    return text, warnings, removed_above


def _clean(raw: str) -> tuple[str, list[str]]:
    """Byte-order mark, line ends and invisible spaces undone; each change said once."""
    warnings: list[str] = []
    text = raw
    if text.startswith("\ufeff"):
        text = text[1:]
        warnings.append("removed a byte-order mark")
    if "\r" in text:
        crlf = text.count("\r\n")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        warnings.append(f"converted {crlf} CRLF line end(s) to LF" if crlf else "converted CR line ends to LF")
    for char, label in INVISIBLE_SPACES.items():
        if count := text.count(char):
            text = text.replace(char, " ")
            warnings.append(f"replaced {count} {label} with plain spaces")
    for char, label in ZERO_WIDTH.items():
        if count := text.count(char):
            text = text.replace(char, "")
            warnings.append(f"removed {count} {label}")
    return text, warnings


def _strip_fence(text: str, warnings: list[str]) -> tuple[str, int]:
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return text, 0
    opened = FENCE_OPEN.match(lines[first])
    if not opened:
        return text, 0
    last = max(i for i, line in enumerate(lines) if line.strip())
    if last == first or lines[last].strip() != opened.group(1):
        return text, 0
    body = lines[first + 1 : last]
    tag = f" ({opened.group(1)}{opened.group(2)})" if opened.group(2) else ""
    warnings.append(f"removed a surrounding markdown code fence{tag}")
    return "\n".join(body) + "\n", first + 1


def parse_header(text: str, language: str) -> dict[str, str]:
    """`key: value` lines in the comment block at the top of the file."""
    header: dict[str, str] = {}
    markers = sorted(LINE_COMMENTS[language] + ("/*", "*", "*/"), key=len, reverse=True)
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        marker = next((m for m in markers if stripped.startswith(m)), None)
        if marker is None:
            break
        body = stripped[len(marker) :].strip().lstrip(";#/*").strip()
        if m := re.match(r"^([A-Za-z][\w-]*)\s*:\s*(.*)$", body):
            key = m.group(1).lower()
            header[key] = (header[key] + " " + m.group(2)).strip() if key in header else m.group(2).strip()
    return header


def resolve_algorithm(header: dict[str, str], text: str, kernel: Kernel, path: Path, line_offset: int = 0) -> str:
    """The kernel's name for the algorithm the header declares (its baseline when none is declared);
    SourceError naming the file and line when the kernel knows no such algorithm."""
    if "algorithm" not in header:
        return kernel.algorithm
    try:
        return kernel.algorithm_named(header["algorithm"])
    except UnknownName as exc:
        line = next((i for i, row in enumerate(text.split("\n"), 1)
                     if re.match(r"^\W*algorithm\s*:", row.strip(), re.IGNORECASE)), None)
        where = f"{path}:{line + line_offset}" if line else str(path)
        raise SourceError(f"{where}: {exc}") from None


def resolve_requires(header: dict[str, str], text: str, path: Path, line_offset: int = 0) -> tuple[str, ...]:
    """The CPU features the header's `requires:` line names; SourceError naming the file and line when one
    is no feature the suite knows."""
    if "requires" not in header:
        return ()
    try:
        return parse_requires(header["requires"])
    except UnknownFeature as exc:
        line = next((i for i, row in enumerate(text.split("\n"), 1)
                     if re.match(r"^\W*requires\s*:", row.strip(), re.IGNORECASE)), None)
        where = f"{path}:{line + line_offset}" if line else str(path)
        raise SourceError(f"{where}: {exc}") from None


def load_source(path: Path, kernel: Kernel, name: str | None = None, algorithm: str | None = None,
                origin: str = "unknown") -> Source:
    """The file as the routes see it. A chat answer (prose around fenced blocks, any suffix) is reduced to
    its block in the file's language, or in a known one; `origin` applies when the header names none."""
    path = Path(path)
    language = LANGUAGES.get(path.suffix.lower())
    try:
        raw = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    cleaned, warnings = _clean(raw)
    taken = take_block(path, cleaned, language, kernel.entry_candidates())
    if taken is None:
        if language is None:
            language_of(path)  # raises: an unknown suffix and no fenced block to go by
        text, offset, notes = cleaned, 0, ()
    else:
        text, offset, language = taken.text, taken.offset, taken.language
        notes = (taken.note,) if taken.note else ()
        if taken.whole:
            warnings.append(taken.warning)
    assert language is not None
    header = parse_header(text, language)
    if not header:  # a chat answer's provenance lines sit above its fence
        header = parse_header(cleaned, language)
    if algorithm is None and header.get("kernel", kernel.name) == kernel.name:
        algorithm = resolve_algorithm(header, text, kernel, path, offset)
    return Source(
        kernel=kernel.name,
        name=name or path.stem,
        path=path,
        language=language,
        text=text,
        header=header,
        warnings=tuple(warnings),
        line_offset=offset,
        algorithm=algorithm or "",
        notes=notes,
        default_origin=origin,
        requires=resolve_requires(header, text, path, offset),
    )


def variant_files(directory: Path) -> list[Path]:
    """Files in a folder that are variants: a known suffix, or a pasted answer holding a fenced block."""
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and (p.suffix.lower() in LANGUAGES or (p.suffix.lower() in PASTED_SUFFIXES and holds_fence(p)))
    )


DEFAULT_KERNEL = "insertion_sort"


def origin_option(value: str | None) -> str:
    """`--origin`: the origin a folder's files get when their header names none (default `supplied`)."""
    if not value:
        return "supplied"
    origin = value.strip().lower()
    if origin not in ORIGINS:
        raise SourceError(f"--origin {value!r}: one of {', '.join(ORIGINS)}")
    return origin


def discover(kernel: Kernel, extra_dirs: list[Path] | None = None, origin: str | None = None) -> list[Source]:
    """The kernel's own compiler sources (one stem per algorithm it declares, named after the stem), its
    variants, then the files of extra directories that implement this kernel: the one their header names
    (`kernel: noop`), else the default kernel. Those files are the user's: origin `supplied` (or `origin`)
    unless their header says otherwise."""
    own = kernel.compiler_sources
    sources = [load_source(p, kernel, p.stem, own[p.stem]) for p in variant_files(kernel.directory) if p.stem in own]
    if kernel.variants_dir.is_dir():
        sources += [load_source(p, kernel) for p in variant_files(kernel.variants_dir)]
    for directory in extra_dirs or []:
        for path in variant_files(Path(directory)):
            source = load_source(path, kernel, algorithm="", origin=origin_option(origin))  # algorithm: resolved once the file is known to be this kernel's
            if source.header.get("kernel", DEFAULT_KERNEL) == kernel.name:
                algorithm = resolve_algorithm(source.header, source.text, kernel, path, source.line_offset)
                sources.append(replace(source, algorithm=algorithm))
    return sources


def resolve_sources(target: str, kernel: Kernel, origin: str | None = None) -> list[Source]:
    """A path (a file, or a folder: every variant file in it), or the name of a variant of the kernel (every
    language it exists in). Files named by path are the user's: origin `supplied` unless a header says."""
    path = Path(target)
    if path.is_dir():
        files = variant_files(path)
        if not files:
            raise SourceError(f"{path}: a folder with no variant files (.c, .ll, .wat, .s, .asm, or a pasted answer)")
        return [load_source(p, kernel, origin=origin_option(origin)) for p in files]
    if path.exists() or path.suffix:
        return [load_source(path, kernel, origin=origin_option(origin))]
    found = [s for s in discover(kernel) if s.name == target]
    if not found:
        raise UnknownName("variant", target, sorted({s.name for s in discover(kernel)}))
    return found
