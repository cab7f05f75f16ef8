"""Candidates as an LLM loop makes them: the shipped variants, mutated. Some stay correct (a new comment),
some break (a signed comparison made unsigned, a sort turned around), some never return (a spin loop at the
entry). `python -m tests.candidates DIR COUNT` writes COUNT files into DIR and prints what each should get."""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from kernels.kernel import get_kernel
from harness.source import variant_files

UNSIGNED = {
    "llvm": [(r"icmp s(lt|le|gt|ge)", r"icmp u\1")],
    "wat": [(r"i32\.(lt|le|gt|ge)_s", r"i32.\1_u")],
    "x86": [(r"\bjle\b", "jbe"), (r"\bjg\b", "ja"), (r"\bjl\b", "jb"), (r"\bjge\b", "jae"), (r"\bcmovg\b", "cmova"),
            (r"\bcmovl\b", "cmovb"), (r"\bcmovle\b", "cmovbe"), (r"\bcmovge\b", "cmovae")],
    "c": [(r"a\[j - 1\] > key", "a[j - 1] < key")],
}
COMMENT = {"llvm": ";", "wat": ";;", "x86": "#", "c": "//"}
SUFFIX = {"llvm": ".ll", "wat": ".wat", "x86": ".s", "c": ".c"}
LANGUAGE = {".ll": "llvm", ".wat": "wat", ".s": "x86", ".c": "c"}


def spin(text: str, language: str) -> str | None:
    """The same code, entered through a loop that never ends; None where the language has no easy place."""
    if language == "x86" and "insertion_sort:\n" in text:
        return text.replace("insertion_sort:\n", "insertion_sort:\n.Lspin_forever:\n    jmp .Lspin_forever\n", 1)
    if language == "c" and "{\n" in text:
        return text.replace("{\n", "{\n    for (;;) __asm__ volatile(\"\");\n", 1)
    return None


def write_candidates(directory: Path, count: int, seed: int = 12) -> dict[str, str]:
    """Write `count` candidates; returns file name -> what it is: correct, broken or endless."""
    kernel = get_kernel("insertion_sort")
    bases = [p for p in variant_files(kernel.variants_dir) if p.suffix in LANGUAGE]
    bases += [p for p in variant_files(kernel.directory) if p.suffix == ".c"]
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, str] = {}
    for index in range(count):
        base = bases[index % len(bases)]
        language = LANGUAGE[base.suffix]
        text = base.read_text()
        roll = rng.random()
        kind, mutated = "correct", f"{text}\n{COMMENT[language]} candidate {index}\n"
        if roll > 0.88 and (endless := spin(text, language)) is not None:
            kind, mutated = "endless", endless + f"\n{COMMENT[language]} candidate {index}\n"
        elif roll > 0.6:
            broken = text
            for pattern, replacement in UNSIGNED[language]:
                broken = re.sub(pattern, replacement, broken)
            if broken != text:
                kind, mutated = "broken", broken + f"\n{COMMENT[language]} candidate {index}\n"
        name = f"cand{index:03d}-{base.stem}{SUFFIX[language]}"
        (directory / name).write_text(mutated)
        kinds[name] = kind
    return kinds


if __name__ == "__main__":
    made = write_candidates(Path(sys.argv[1]), int(sys.argv[2]))
    for name, kind in sorted(made.items()):
        print(name, kind)
