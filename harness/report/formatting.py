"""How times, counts and ratios are written in the terminal, the Markdown report and the page."""
from __future__ import annotations


def fmt_time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def fmt_executed(executed: dict[str, int]) -> str:
    labels = {"instructions": "instr", "wasm_operators": "wasm ops"}
    return ", ".join(f"{v:,} {labels.get(k, k)}" for k, v in executed.items())


def fmt_ratio(ratio: float | None, ci: tuple[float, float] | None, emulated: bool = False) -> str:
    """A ratio to a compiler build: time with its interval, or on the emulator the executed count's."""
    if ratio is None:
        return ""
    if emulated:
        return f"{ratio:.2f}x instr"
    return f"{ratio:.2f}x" + (f" [{ci[0]:.2f}-{ci[1]:.2f}]" if ci else "")
