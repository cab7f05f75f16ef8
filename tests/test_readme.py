"""The README's sample outputs are made by the suite and kept so.

Each sample in README.md sits between `<!-- sample: arena ARGS[; OPTION]... -->` and `<!-- /sample -->`, as a
fenced block starting with `$ arena ARGS`. This test runs `arena ARGS` from the repository root and compares its
output, trimmed as the marker says, with the block. `ARENA_BLESS=1` rewrites the blocks from the current output
(as tests/test_golden_listings.py does its files).

Options in the marker:
- `terminal` or `terminal COLUMNS`: run under a pseudo-terminal that wide (TERMINAL_COLUMNS unless given), as a
  user at a terminal sees it (colours taken out); otherwise stdout and stderr are a pipe, as `arena ... | less`
  sees them.
- `head N`: only the first N lines, then `...`.
- `rows N`: of each table (rows drawn in a box) and each indented list, only the first N lines, then `...`.

What differs between two runs of one command is masked when comparing, not when blessing (the README shows the
figures of the run that blessed it): seconds a check took, whether its verdict came from the store, load
addresses and tool versions. Paths of this machine never reach the README: the repository is `.`, the home
folder `~`, and the folder a report was written to `reports`.
"""
from __future__ import annotations

import difflib
import os
import pty
import re
import shlex
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.gate import pytest_child_env as child_env
from tests.conftest import REPO

README = REPO / "README.md"
BLESS = "ARENA_BLESS"
HOW_TO_BLESS = f"{BLESS}=1 pytest tests/test_readme.py"
TERMINAL_COLUMNS = 100
ELLIPSIS = "..."
OPEN = re.compile(r"^<!-- sample: (?P<spec>.+?) -->\n", re.M)
CLOSE = "<!-- /sample -->\n"
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")
# Masked when comparing: what moves from run to run, in the README's figures and in the new output alike.
VOLATILE = [
    (re.compile(r"\b\d+\.\d+ s\b(, stored verdict)?"), "<seconds> s"),
    (re.compile(r"\b0x[0-9a-f]{5,}\b"), "0x<address>"),
    (re.compile(r"^(\S*\s*tools: ).*$", re.M), r"\1<versions>"),
]


@dataclass(frozen=True)
class Sample:
    spec: str  # the marker's text: `arena ARGS; OPTION; ...`
    start: int  # where the block's text starts in README.md (after the opening marker)
    end: int  # where it ends (before the closing marker)

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.spec.split(";")[0])

    @property
    def options(self) -> dict[str, int | bool]:
        options: dict[str, int | bool] = {}
        for option in self.spec.split(";")[1:]:
            name, _, value = option.strip().partition(" ")
            if name not in ("terminal", "head", "rows"):
                raise ValueError(f"README.md: sample `{self.spec}`: unknown option {name!r} "
                                 "(terminal [COLUMNS], head N, rows N)")
            options[name] = int(value) if value else True
        return options


def samples(text: str) -> list[Sample]:
    found = []
    for opening in OPEN.finditer(text):
        end = text.find(CLOSE, opening.end())
        if end < 0:
            raise ValueError(f"README.md:{text.count(chr(10), 0, opening.start()) + 1}: `{opening.group(0).strip()}` "
                             f"has no closing {CLOSE.strip()}")
        found.append(Sample(opening.group("spec"), opening.end(), end))
    return found


def run(sample: Sample, out: Path) -> str:
    """What `arena ARGS` prints, run from the repository root, paths of this machine replaced."""
    argv = sample.argv
    assert argv[0] == "arena", f"README.md: sample `{sample.spec}` does not start with arena"
    extra = ["--out", str(out)] if argv[1] == "report" else []  # never into the checkout's reports/
    command = [sys.executable, "-m", "harness.cli", *argv[1:], *extra]
    env = {k: v for k, v in child_env(PYTHONPATH=str(REPO)).items() if k not in ("COLUMNS", "LINES")}
    columns = sample.options.get("terminal")
    if columns:
        text = in_terminal(command, env, TERMINAL_COLUMNS if columns is True else int(columns))
    else:
        text = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600).stdout
    text = ANSI.sub("", text)  # colours, wherever they come from (a terminal, FORCE_COLOR)
    text = text.replace(str(out), "reports").replace(str(REPO) + "/", "").replace(str(REPO), ".")
    text = text.replace(str(Path.home()), "~")
    return "\n".join(line.rstrip() for line in text.split("\n"))  # rich pads a table's title to its width


def in_terminal(command: list[str], env: dict[str, str], columns: int) -> str:
    import fcntl
    import select
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(command, cwd=REPO, env={**env, "TERM": "xterm-256color"},
                               stdin=subprocess.DEVNULL, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    chunks = []
    try:
        while True:
            if select.select([main], [], [], 1.0)[0]:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the terminal is gone: every process that had it has closed it
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif process.poll() is not None:  # exited, and whatever it left running writes nothing
                break
        process.wait(timeout=600)
    finally:
        os.close(main)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return "\n".join(line.split("\r")[-1] for line in text.split("\n"))  # what a redrawn line ended as


def trim(text: str, options: dict[str, int | bool]) -> str:
    lines = text.rstrip("\n").split("\n")
    if "head" in options and len(lines) > int(options["head"]):
        lines = lines[:int(options["head"])] + [ELLIPSIS]
    if "rows" in options:
        lines = trim_rows(lines, int(options["rows"]))
    return "\n".join(lines) + "\n"


def trim_rows(lines: list[str], keep: int) -> list[str]:
    """Of each run of a table's rows (below its header) and each run of indented lines, the first `keep`."""
    kept: list[str] = []
    run_kind, run_length = "", 0
    for line in lines:
        kind = "table" if line.startswith("│") else "list" if line.startswith("  ") else ""
        run_length = run_length + 1 if kind and kind == run_kind else (1 if kind else 0)
        run_kind = kind
        if kind and run_length == keep + 1:
            kept.append(ELLIPSIS if kind == "table" else "  " + ELLIPSIS)
        if not kind or run_length <= keep:
            kept.append(line)
    return kept


def block(sample: Sample, output: str) -> str:
    return f"```\n$ {sample.spec.split(';')[0].strip()}\n{output}```\n"


def masked(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def test_every_sample_is_what_the_suite_prints() -> None:
    text = README.read_text()
    found = samples(text)
    assert found, f"README.md holds no `<!-- sample: ... -->` blocks: {OPEN.pattern}"
    made = []
    with tempfile.TemporaryDirectory() as out:
        for sample in found:
            made.append(block(sample, trim(run(sample, Path(out) / "reports"), sample.options)))
    if os.environ.get(BLESS) == "1":
        for sample, new in sorted(zip(found, made), key=lambda pair: -pair[0].start):
            text = text[:sample.start] + new + text[sample.end:]
        README.write_text(text)
        return
    drifted, skipped = [], []
    for sample, new in zip(found, made):
        old = text[sample.start:sample.end]
        if masked(old) != masked(new):
            # A route this machine cannot run (no node, no system-call filter) says SKIP where the README shows more.
            if lacking := [line for line in new.splitlines() if line.startswith("SKIP") and line not in old]:
                skipped.append(f"`{sample.spec}`: {lacking[0]}")
                continue
            line = text.count("\n", 0, sample.start) + 1
            drifted.append("".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                        fromfile=f"README.md:{line}", tofile=f"`{sample.spec}` now")))
    if drifted:
        pytest.fail("README.md's samples are no longer what the suite prints:\n" + "\n".join(drifted)
                    + f"\nIf the new output is right, rewrite the samples with: {HOW_TO_BLESS}", pytrace=False)
    if skipped:
        pytest.skip("every other sample matches; this machine skips a route a sample shows: " + "; ".join(skipped))


def test_rows_keeps_the_head_of_each_table_and_list() -> None:
    table = ["title", "┏━┓", "┃ h ┃", "┡━┩", "│ 1 │", "│ 2 │", "│ 3 │", "└─┘", "List:", "  a", "  b", "  c", "end"]
    assert trim("\n".join(table), {"rows": 2}).split("\n")[:-1] == [
        "title", "┏━┓", "┃ h ┃", "┡━┩", "│ 1 │", "│ 2 │", ELLIPSIS, "└─┘", "List:", "  a", "  b", "  " + ELLIPSIS, "end"]
    assert trim("a\nb\nc\n", {"head": 2}) == "a\nb\n...\n"


def test_a_marker_without_its_end_or_with_an_unknown_option_is_named() -> None:
    with pytest.raises(ValueError, match=r"README.md:2: .* has no closing <!-- /sample -->"):
        samples("text\n<!-- sample: arena list -->\n```\n```\n")
    (sample,) = samples("<!-- sample: arena list; tail 3 -->\n<!-- /sample -->\n")
    with pytest.raises(ValueError, match="unknown option 'tail'"):
        _ = sample.options


def test_what_moves_between_runs_is_masked_and_nothing_else() -> None:
    assert masked("PASS  x/y/wasmtime  (0.31 s, stored verdict)") == masked("PASS  x/y/wasmtime  (1.02 s)")
    assert masked("# tools: llvmlite 0.50.0, llvm 22.1.0") == masked("# tools: llvmlite 0.51.0, llvm 23.0.0")
    assert masked("a: tools: wasmtime 50.0.1") == masked("a: tools: wasmtime 51.0.0")
    assert masked("PASS  x/y/wasmtime") != masked("FAIL  x/y/wasmtime")
    assert masked("code: 166 bytes") != masked("code: 168 bytes")
