"""CPU features: what this machine's CPU has, what Unicorn emulates, and a variant's `requires:` header.

Feature names are the ones compilers and people use (`sse4.1`, `avx2`, `avx512f`, `simd128` for wasm),
not /proc/cpuinfo's spelling (`sse4_1`, `pni`). The machine's set is read from /proc/cpuinfo (no library
needed for one file); the environment variable ARENA_CPU_FEATURES replaces it with a comma-separated
list, so a test (or a user) can see what a CPU without AVX-512 would be told.
"""
from __future__ import annotations

import hashlib
import os
import re
from functools import cache
from pathlib import Path

FEATURES_ENV = "ARENA_CPU_FEATURES"
CPUINFO = Path("/proc/cpuinfo")

# /proc/cpuinfo's names where they differ from the compilers' (`-msse4.1`, `+sse4.1`).
_CPUINFO_NAMES = {"pni": "sse3", "sse4_1": "sse4.1", "sse4_2": "sse4.2", "avx512_vnni": "avx512vnni",
                  "avx512_bf16": "avx512bf16", "avx512_vbmi2": "avx512vbmi2", "avx512_bitalg": "avx512bitalg",
                  "avx512_vpopcntdq": "avx512vpopcntdq", "abm": "lzcnt"}

X86_FEATURES = ("sse", "sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "lzcnt", "bmi1", "bmi2", "avx", "avx2",
                "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512ifma", "avx512vbmi",
                "avx512vbmi2", "avx512vnni", "avx512bf16", "avx512bitalg", "avx512vpopcntdq")
WASM_FEATURES = ("simd128",)
KNOWN_FEATURES = X86_FEATURES + WASM_FEATURES

#: What every x86-64 CPU has: code that needs no more runs on any x86-64 machine (the baseline routes' target).
X86_64_BASELINE = frozenset({"sse", "sse2"})
#: What the wasm engines here run besides the MVP: SIMD (v128) is on by default in wasmtime and V8.
WASM_ENGINE_FEATURES = frozenset({"simd128"})
#: What Unicorn 2.1 emulates: SSE up to 4.2 and the bit-manipulation extras; its translator stops at 256-bit
#: (ymm) and 512-bit (zmm) instructions with UC_ERR_INSN_INVALID, so AVX and later are not claimed.
UNICORN_FEATURES = frozenset({"sse", "sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "lzcnt", "bmi1", "bmi2"})
#: The features the report's header lists: those that decide which vector instructions code may use.
VECTOR_FEATURES = ("sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512bw",
                   "avx512vl", "avx512dq", "avx512vnni")


class UnknownFeature(ValueError):
    """A `requires:` name that is no CPU feature this suite knows."""


def canonical(name: str) -> str:
    """A feature name as this module spells it: lower case, /proc/cpuinfo's aliases resolved."""
    lowered = name.strip().lower()
    return _CPUINFO_NAMES.get(lowered, lowered)


@cache
def _from_cpuinfo(path: Path) -> frozenset[str]:
    try:
        text = path.read_text()
    except OSError:
        return frozenset()
    found = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    return frozenset(canonical(flag) for flag in found.group(1).split()) if found else frozenset()


def host_features(cpuinfo: Path = CPUINFO) -> frozenset[str]:
    """This machine's CPU features (ARENA_CPU_FEATURES, when set, instead of the CPU's own)."""
    override = os.environ.get(FEATURES_ENV)
    if override is not None:
        return frozenset(canonical(f) for f in override.split(",") if f.strip())
    return _from_cpuinfo(cpuinfo)


def host_identity(cpuinfo: Path = CPUINFO) -> str:
    """This machine's CPU model and vector features, for what depends on them (a host-tuned build's cache key
    and stored verdicts): a build for one CPU is never taken for another's."""
    try:
        found = re.search(r"^model name\s*:(.*)$", cpuinfo.read_text(), re.MULTILINE)
    except OSError:
        found = None
    model = found.group(1).strip() if found else "unknown CPU"
    features = host_features(cpuinfo)
    digest = hashlib.sha256(" ".join(sorted(features)).encode()).hexdigest()[:12]
    return f"{model} ({' '.join(vector_features(features))}; all flags {digest})"


def parse_requires(value: str) -> tuple[str, ...]:
    """The features a `requires:` header line lists (commas or spaces between them); UnknownFeature naming
    each name that is none of KNOWN_FEATURES."""
    names = tuple(dict.fromkeys(canonical(n) for n in re.split(r"[,\s]+", value) if n.strip()))
    unknown = [n for n in names if n not in KNOWN_FEATURES]
    if unknown:
        raise UnknownFeature(f"requires: unknown CPU feature {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(KNOWN_FEATURES)}")
    return names


def beyond_baseline(required: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether code needing `required` runs only on CPUs (or engines) with more than the baseline: its results
    then hold for this machine only."""
    return any(name not in X86_64_BASELINE for name in required)


def missing(required: tuple[str, ...], available: frozenset[str]) -> list[str]:
    return [name for name in required if name not in available]


def vector_features(available: frozenset[str] | None = None) -> list[str]:
    """The vector features of this CPU (or of `available`), in VECTOR_FEATURES' order."""
    have = host_features() if available is None else available
    return [name for name in VECTOR_FEATURES if name in have]


def features_line(flags: list[str] | None = None) -> str:
    """The report's line on the CPU's vector features: of the run's machine, its flags as py-cpuinfo saved them
    with the run (this machine's may differ: a report describes the run)."""
    if flags:
        shown = " ".join(vector_features(frozenset(canonical(f) for f in flags))) or "none beyond baseline x86-64"
    else:
        shown = "not saved with this run"
    return (f"CPU vector features: {shown}. Host-tuned rows (built for this CPU, or wasm SIMD) are compared only "
            "among themselves, never with the baseline x86-64 ones.")
