"""The report's two pictures for report.md: time per call against n on each substrate, and every row's time at
n = 128.

Drawing them takes longer than the rest of a report, so each is drawn in a forked worker while the caller writes
the other files (`start_plots`); `Plots.wait()` raises what a worker raised. A process that runs other threads
(a pytest-xdist worker, say) draws them in place instead, since a fork copies a lock another thread may hold;
so does one that cannot make a pool of processes.
"""
from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness.report.analysis import Analysis, Row
from harness.report.colours import distinct

# File name -> what it shows, as report.md names it.
PICTURES = {"time_vs_n.png": "time per call against n", "bars_n128.png": "time per call at n = 128, by kernel"}


def _growth(kernel_name: str) -> str:
    """`fixed` (one length), `quadratic` (its cost on random inputs has an n² term), or `other`, by the
    kernel's interface; `other` for a kernel this checkout does not know."""
    from kernels.kernel import UnknownName, get_kernel

    try:
        interface = get_kernel(kernel_name).interface
    except UnknownName:
        return "other"
    assert interface is not None
    if interface.fixed_length is not None:
        return "fixed"
    return "quadratic" if dict(interface.cost.per_shape).get("random", interface.cost.default).c2 else "other"


def _timed(analysis: Analysis) -> tuple[list[Row], dict[str, str]]:
    """The rows the pictures show (random inputs, timed natively or on an engine, of a kernel whose length
    varies: a fixed-size sort is one point, shown in the tables) and each kernel's growth."""
    shapes = {name: _growth(name) for name in {r.kernel for r in analysis.rows}}
    rows = [r for r in analysis.rows if r.shape == "random" and r.timing != "emulated" and shapes[r.kernel] != "fixed"]
    return rows, shapes


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def time_vs_n(analysis: Analysis, directory: Path) -> None:
    plt = _pyplot()
    timed, shapes = _timed(analysis)
    substrates = sorted({r.substrate for r in timed}) or [""]
    # One panel per substrate: like compares with like, and each panel stays readable.
    fig, axes = plt.subplots(1, len(substrates), figsize=(6.5 * len(substrates), 6), squeeze=False)
    for ax, substrate in zip(axes[0], substrates):
        here = [r for r in timed if r.substrate == substrate]
        labels = sorted({r.label for r in here})
        for label, colour in zip(labels, distinct(len(labels))):
            series = sorted((r.n, r.median) for r in here if r.label == label)
            ai = any(r.origin == "ai" for r in here if r.label == label)
            ax.plot([n for n, _ in series], [t * 1e6 for _, t in series], marker="o", linestyle="--" if ai else "-",
                    label=label, color=colour)
        quadratic = [r for r in here if shapes[r.kernel] == "quadratic"]
        if quadratic:  # the reference line only where the kernel's cost model grows as n²
            n0, t0 = min((r.n, r.median) for r in quadratic)
            ns = sorted({r.n for r in quadratic})
            ax.plot(ns, [t0 * 1e6 * (n / n0) ** 2 for n in ns], "k:", linewidth=1, label="n² growth")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (int32 elements, random)")
        ax.set_ylabel("µs per call")
        ax.set_title(f"{substrate}: time per call against n (dashed: AI-written)", fontsize=9)
        ax.legend(fontsize=6, loc="upper left")
        ax.grid(True, which="both", alpha=0.3)
    # Fixed margins, in inches: tight_layout would draw the figure once more only to find them.
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.2 / width, bottom=0.6 / height, top=1 - 0.35 / height,
                        wspace=0.9 * len(substrates) / width)
    fig.savefig(directory / "time_vs_n.png", dpi=100)
    plt.close(fig)


def bars_at_128(analysis: Analysis, directory: Path) -> None:
    """Every row's time at n = 128, one panel per kernel: kernels differ in time by orders of magnitude, and
    one axis would flatten the fast ones to nothing."""
    plt = _pyplot()
    timed, _ = _timed(analysis)
    kernels = sorted({r.kernel for r in timed if r.n == 128}) or [""]
    panels = [sorted((r for r in timed if r.n == 128 and r.kernel == k), key=lambda r: r.median) for k in kernels]
    heights = [max(1.5, 0.3 * len(bars) + 0.9) for bars in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, kernel, bars in zip(axes[:, 0], kernels, panels):
        ax.barh([r.label for r in bars], [r.median * 1e6 for r in bars], xerr=[r.iqr * 1e6 / 2 for r in bars],
                color=["tab:orange" if r.origin == "ai" else "tab:blue" for r in bars])
        ax.set_title(f"{kernel} at n = 128, random: µs per call (bar: median, whisker: IQR/2; orange: AI-written)",
                     fontsize=8)
        ax.invert_yaxis()
    width, height = fig.get_size_inches()
    # Room on the left for the longest label (at the default 10-point font, about 0.075 in a character).
    longest = max((len(r.label) for bars in panels for r in bars), default=0)
    fig.subplots_adjust(left=min(0.6, (0.3 + 0.075 * longest) / width), right=1 - 0.2 / width,
                        bottom=0.4 / height, top=1 - 0.35 / height, hspace=0.9 / max(1.0, height / len(panels)))
    fig.savefig(directory / "bars_n128.png", dpi=110)
    plt.close(fig)


DRAWINGS: tuple[Callable[[Analysis, Path], None], ...] = (time_vs_n, bars_at_128)


@dataclass
class Plots:
    """The pictures being drawn: `wait()` until they are in place, raising what a drawing raised."""

    pool: ProcessPoolExecutor | None = None
    futures: list[Future[None]] = field(default_factory=list)

    def wait(self) -> None:
        try:
            for future in self.futures:
                future.result()
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)


def start_plots(analysis: Analysis, directory: Path) -> Plots:
    """Start drawing every picture into `directory`: in forked workers, one per picture, where this process runs
    no other thread and can make a pool; else here, before returning."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        try:
            pool = ProcessPoolExecutor(max_workers=len(DRAWINGS), mp_context=multiprocessing.get_context("fork"))
        except (ImportError, OSError):  # no working semaphores (a container without /dev/shm, say)
            pass
        else:
            return Plots(pool, [pool.submit(draw, analysis, directory) for draw in DRAWINGS])
    for draw in DRAWINGS:
        draw(analysis, directory)
    return Plots()
