"""Numbers in x86 assembly respelled so Keystone reads them alike whatever its lexer's radix.

Keystone 0.9.2 reads a number that starts with 1-9 in the lexer's default
radix, which is hexadecimal once any option is set (keystone-engine/keystone#438,
#571) and left uninitialized without one (#528): then it is whatever the heap
held, so what a process assembled before can turn `add rdi, 16` into adding
0x16. Numbers spelled `0x...`, `0b...` or with a leading 0 take another path
through the lexer and read the same in either radix. `radix_free` rewrites each
number the assembler would see into `0x` form, with the value the file's dialect
gives it: GAS (Intel or AT&T) as LLVM reads it in decimal, NASM as NASM does
(`0200` is decimal there, `101b` binary, `$0ff` hex).

Text inside quotes, identifiers (`r8d`, `.L2`, `xmm10`) and GAS's numeric local
labels (`1:`, `1b`, `2f`, which Keystone refuses in either radix) stay as written.
"""
from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z_.@?][\w.$@?]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_]*")
# A decimal fraction or exponent: a float, which the hexadecimal radix cannot read at all (the lexer hangs).
_FLOAT = re.compile(r"[0-9]+(?:\.[0-9]*(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)(?![\w.])")
_LABEL_COLON = re.compile(r"\s*:(?!:)")
_GAS_LOCAL_REFERENCE = re.compile(r"[0-9]+[bf]")
_NASM_DOLLAR_HEX = re.compile(r"\$[0-9][0-9A-Fa-f_]*")

_NASM_PREFIX = {"0x": 16, "0h": 16, "0d": 10, "0t": 10, "0o": 8, "0q": 8, "0b": 2, "0y": 2}
_NASM_SUFFIX = {"h": 16, "d": 10, "t": 10, "o": 8, "q": 8, "b": 2, "y": 2}


def radix_free(line: str, syntax: str) -> str:
    """`line` (comments already stripped) with every number in `0x` form; `syntax` is "intel", "att" or "nasm"."""
    out: list[str] = []
    i = 0
    statement_start = True  # only labels so far on this line: a number followed by `:` defines a local label
    while i < len(line):
        c = line[i]
        if c in "\"'":
            end = _closing_quote(line, i)
            out.append(line[i:end])
            i = end
            continue
        if syntax == "nasm" and (m := _NASM_DOLLAR_HEX.match(line, i)):
            value = _int(m.group(0)[1:], 16)
            out.append(m.group(0) if value is None else hex(value))
            i = m.end()
            statement_start = False
            continue
        m = _IDENTIFIER.match(line, i)
        if m:
            out.append(m.group(0))
            i = m.end()
            statement_start = statement_start and bool(_LABEL_COLON.match(line, i))
            continue
        if c.isdigit():
            float_match = _FLOAT.match(line, i)
            m = float_match or _NUMBER.match(line, i)
            assert m is not None
            token = m.group(0)
            label = statement_start and _LABEL_COLON.match(line, m.end())
            if label or (syntax != "nasm" and _GAS_LOCAL_REFERENCE.fullmatch(token)):
                out.append(token)
            elif float_match:
                out.append(float(token).hex())
            else:
                value = _nasm_value(token) if syntax == "nasm" else _gas_value(token)
                out.append(token if value is None else hex(value))
            i = m.end()
            statement_start = bool(label)
            continue
        out.append(c)
        if not (c.isspace() or c == ":"):
            statement_start = False
        i += 1
    return "".join(out)


def _closing_quote(line: str, start: int) -> int:
    """The index after the quoted text starting at `start`; an unclosed quote is one character (GAS's `'a`)."""
    quote = line[start]
    i = start + 1
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            return i + 1
        i += 1
    return start + 1


def _int(digits: str, base: int) -> int | None:
    try:
        return int(digits, base) if digits else None
    except ValueError:
        return None


def _gas_value(token: str) -> int | None:
    """The value LLVM's lexer gives `token` in decimal radix, where the radix decides it; None where it does not
    (0-led numbers read alike in either radix) or where the token is no number (Keystone then says so itself)."""
    if token[0] == "0":
        return None
    lowered = token.lower()
    if lowered.endswith("h"):
        return _int(lowered[:-1], 16)
    return _int(lowered, 10) if lowered.isdigit() else None


def _nasm_value(token: str) -> int | None:
    """The value NASM gives `token`: a prefix (0x, 0d, 0o, 0b and their synonyms), else a suffix, else decimal,
    even with a leading 0; underscores separate digits."""
    lowered = token.lower().replace("_", "")
    if len(lowered) > 2 and (base := _NASM_PREFIX.get(lowered[:2])):
        return _int(lowered[2:], base)
    if lowered[-1] in _NASM_SUFFIX and not lowered.isdigit():
        return _int(lowered[:-1], _NASM_SUFFIX[lowered[-1]])
    return _int(lowered, 10)
