"""Long phases say how far they are (harness.progress), and work for skipped benchmarks is never done."""
from __future__ import annotations

import io

from harness.measure.bench import EMULATED_MAX_N, BenchCase, Workbench, skipped
from harness.progress import phase
from harness.variants import discover
from kernels.insertion_sort import KERNEL
from targets import get_route


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_a_phase_is_one_line() -> None:
    out = io.StringIO()
    with phase("checking", 3, stream=out) as shown:
        for _ in range(3):
            shown.advance()
        shown.note = "2 from the store"
    (line,) = out.getvalue().splitlines()
    assert line.startswith("checking: 3/3 in ") and line.endswith(" s (2 from the store)")


def test_on_a_terminal_a_phase_draws_a_bar_with_the_time_left() -> None:
    out = Terminal()
    with phase("counting executed work", 4, stream=out) as shown:
        shown.advance(2)
    text = out.getvalue()
    assert "\x1b[" in text and "2/4" in text and "left" in text  # drawn by rich, with its estimate
    assert "counting executed work: 2/4 in " in text.rstrip().splitlines()[-1]  # and the closing line


def test_emulated_cases_above_their_largest_n_are_neither_counted_nor_announced() -> None:
    source = next(s for s in discover(KERNEL) if s.name == "insertion_sort" and s.language == "c")
    big, small, native = (BenchCase(KERNEL, source, get_route(route), n, "random")
                          for route, n in (("c-gcc-O3-unicorn", 2 * EMULATED_MAX_N), ("c-gcc-O3-unicorn", EMULATED_MAX_N),
                                           ("c-gcc-O3", 2 * EMULATED_MAX_N)))
    assert skipped(big) and not skipped(small) and not skipped(native)
    bench = Workbench(jobs=1)
    bench.expect_counts([big, small, native])
    assert bench._count_pending == [small]  # c-gcc-O3 counts nothing; the big emulated case is skipped
