"""Code in markdown fences: a chatbot's answer pasted whole, reduced to the block a route can take.

A file of any suffix whose code sits between ``` (or ~~~) fences gives up the
block in its own language (by suffix), else in a known one (the fence's info
string: asm, nasm, x86asm, s, wat, wasm, c, llvm, ll), else its only block.
Line numbers stay those of the file as saved: the block's first line is the
offset every message adds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from targets.variant_source import SourceError

FENCE_OPEN = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)\s*$")
# Info strings of markdown code fences that name a language a route takes.
FENCE_LANGUAGES = {
    "asm": "x86", "nasm": "x86", "x86asm": "x86", "s": "x86", "gas": "x86", "x86": "x86", "assembly": "x86",
    "wat": "wat", "wasm": "wat", "wast": "wat",
    "c": "c", "h": "c",
    "llvm": "llvm", "ll": "llvm",
}


@dataclass(frozen=True)
class Block:
    first: int  # 0-based index of the first line inside the fence
    end: int  # index of the closing fence line
    tag: str
    fence: str

    @property
    def language(self) -> str | None:
        return FENCE_LANGUAGES.get(self.tag.lower())


@dataclass(frozen=True)
class Taken:
    text: str
    offset: int
    language: str
    # True when the fence wrapped the whole file: then only a normalization warning, not an adaptation.
    whole: bool
    note: str
    warning: str


def blocks(text: str) -> list[Block]:
    """Every closed fenced block, in order."""
    lines = text.split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opened = FENCE_OPEN.match(lines[i])
        if opened:
            marker = opened.group(1)
            close = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == marker), None)
            if close is not None:
                found.append(Block(first=i + 1, end=close, tag=opened.group(2), fence=marker))
                i = close + 1
                continue
        i += 1
    return found


def holds_fence(path: Path) -> bool:
    try:
        return bool(blocks(path.read_text("utf-8", errors="replace").replace("\r\n", "\n")))
    except OSError:
        return False


def sniff(text: str) -> str:
    """The language of an untagged block, from what its code starts with."""
    if re.search(r"^\s*\(module\b", text, re.M):
        return "wat"
    if re.search(r"^\s*define\s.*@", text, re.M) or "target triple" in text:
        return "llvm"
    if re.search(r"^\s*#\s*include\b", text, re.M) or re.search(r"\b(void|int)\s+\w+\s*\([^)]*\)\s*\{", text):
        return "c"
    return "x86"


def take_block(path: Path, text: str, language: str | None, entry_names: tuple[str, ...]) -> Taken | None:
    """The block to run, or None when the file holds no fence and is code as it stands."""
    found = blocks(text)
    if not found:
        return None
    lines = text.split("\n")
    outside = [i for i, line in enumerate(lines) if line.strip() and not any(b.first - 1 <= i <= b.end for b in found)]
    if language is not None:
        candidates = [b for b in found if b.language == language] or [b for b in found if not b.tag]
    else:
        candidates = [b for b in found if b.language] or ([found[0]] if len(found) == 1 else [])
    if not candidates:
        tags = ", ".join(sorted({f"```{b.tag}" if b.tag else "untagged" for b in found}))
        want = f"in {language}" if language else f"in a known language ({', '.join(sorted(FENCE_LANGUAGES))})"
        raise SourceError(f"{path}: {len(found)} fenced block(s) ({tags}), none {want}")

    def body(b: Block) -> str:
        return "\n".join(lines[b.first : b.end])

    def rank(b: Block) -> tuple[bool, int]:
        # The block that defines the kernel's entry beats an example of calling it; then the longest.
        return (any(re.search(rf"\b{re.escape(name)}\b", body(b)) for name in entry_names), b.end - b.first)

    chosen = max(candidates, key=rank)
    chosen_language = language or chosen.language or sniff(body(chosen))
    label = f"{chosen.fence}{chosen.tag}" if chosen.tag else f"untagged {chosen.fence}"
    whole = len(found) == 1 and not outside
    span = f"lines {chosen.first + 1}-{chosen.end}"
    others = len(found) - 1
    note = (
        f"took {span} of {path.name} (the {label} block{f', one of {len(found)}' if others else ''}); "
        f"the prose around it is ignored"
    )
    return Taken(
        text=body(chosen) + "\n",
        offset=chosen.first,
        language=chosen_language,
        whole=whole,
        note="" if whole else note,
        warning=f"removed a surrounding markdown code fence ({chosen.fence}{chosen.tag})" if chosen.tag
        else "removed a surrounding markdown code fence",
    )
