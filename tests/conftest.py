from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.measure.bench import Workbench
from kernels.kernel import Kernel, all_kernels
from targets.variant_source import Source
from harness.variants import discover
from targets import routes_for
from targets.base import Target

REPO = Path(__file__).resolve().parent.parent
EXPECTED_PAIRS = pytest.StashKey[list]()
WORKBENCH = pytest.StashKey[Workbench]()
LISTINGS = pytest.StashKey[Path]()
EXPECTED_COUNTS = pytest.StashKey[list]()
MACHINE = pytest.StashKey[Any]()


@pytest.fixture(autouse=True)
def _no_stored_verdicts_under_patches(request: pytest.FixtureRequest) -> None:
    """A test that patches the code deciding a verdict must neither read a stored verdict nor store its own."""
    if "monkeypatch" in request.fixturenames:
        from harness.store import STORE_ENV

        request.getfixturevalue("monkeypatch").setenv(STORE_ENV, "off")


@pytest.fixture(scope="session")
def workbench(request: pytest.FixtureRequest) -> Iterator[Workbench]:
    """One per session: the correctness matrix and the benchmarks share its checks and builds."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    # Under pytest-xdist the workers already fill the cores: each checks its own pairs, one at a time.
    bench = Workbench(jobs=1 if xdist_worker(request.config) else None,
                      unhide=capture.global_and_fixture_disabled if capture else None)
    bench.expect(request.config.stash.get(EXPECTED_PAIRS, []))
    bench.expect_counts(request.config.stash.get(EXPECTED_COUNTS, []))
    request.config.stash[WORKBENCH] = bench
    yield bench
    bench.close()


@pytest.fixture(scope="session")
def rounds(request: pytest.FixtureRequest) -> int:
    """Timed rounds per benchmark in this run's profile."""
    from harness.measure.bench import timed_rounds

    return timed_rounds(request.config.getoption("--full"))


@pytest.fixture(scope="session")
def listings_dir(request: pytest.FixtureRequest) -> Path:
    """Where a timed run keeps the listing of every artifact it timed; `arena report` copies it into the report."""
    import time

    # Beside the saved runs (--benchmark-storage), so a run's listings live and go with it.
    storage = str(request.config.getoption("benchmark_storage", None) or "").removeprefix("file://")
    base = Path(storage).resolve() if storage and "://" not in storage else REPO / ".benchmarks"
    directory = base / "listings" / time.strftime(f"%Y%m%d-%H%M%S-{os.getpid()}")
    request.config.stash[LISTINGS] = directory
    return directory


@pytest.fixture(scope="session")
def machine_watch(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Set up when the first timed benchmark starts: the machine-wide timing lock, then the watch over the machine
    (harness.measure.machine) until the last one ends."""
    from harness.measure.machine import MachineWatch, noise_meter
    from harness.measure.timing_lock import MachineBusy, TimingLock

    config = request.config
    run = config.getoption("benchmark_save") or config.getoption("benchmark_autosave") or "unsaved"
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        with capture.global_and_fixture_disabled():
            print(message, flush=True)

    lock = TimingLock(str(run), wait=not config.getoption("--no-wait"), say=say)
    try:
        lock.acquire()
    except MachineBusy as exc:
        pytest.exit(f"arena: {exc}", returncode=pytest.ExitCode.INTERRUPTED)
    try:
        watch = MachineWatch(noise_meter())
        watch.lock = {"waited": round(lock.waited, 1), "waited_for": lock.waited_for}
        config.stash[MACHINE] = watch
        watch.start()
        yield watch
        watch.finish()
    finally:
        lock.release()


@pytest.fixture(autouse=True)
def _timing_watched(request: pytest.FixtureRequest) -> None:
    """A timed benchmark waits for the machine: checked and counted first (that may run beside another run's
    timing), then timed under the lock. Untimed runs (--benchmark-disable) never wait."""
    if "benchmark" not in request.fixturenames or request.getfixturevalue("benchmark").disabled:
        return
    params = getattr(request.node, "callspec", None)
    case = params.params.get("bench_case") if params else None
    if case is not None:
        bench = request.getfixturevalue("workbench")
        if bench.checked(*case.pair).passed and case.route.counts:
            bench.executed(case)
    watch = request.getfixturevalue("machine_watch")
    # The timed blocks are timed together, ahead of their benchmarks (harness.measure.blocks.time_blocks): the watch
    # counts each in the interval its rounds ran in.
    request.getfixturevalue("workbench").on_timing = watch.timing
    watch.before_benchmark(case.id if case is not None else request.node.nodeid)


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: list[Any], output_json: dict[str, Any]) -> None:
    """Saved runs carry what pytest-benchmark alone would lose: the variants that failed and were not timed."""
    from harness.report.analysis import run_metadata

    bench = config.stash.get(WORKBENCH, None)
    failures = [r.as_json() for r in bench.failures()] if bench else []
    output_json["arena"] = run_metadata(failures, full=config.getoption("--full"))
    # Every check of a supplied file, passed ones too: the report's first section says what was adapted.
    output_json["arena"]["supplied"] = [r.as_json() for r in bench.reports() if r.origin == "supplied"] if bench else []
    # With the profile, what `arena gate` needs to pair this run with an earlier one of the same selection.
    output_json["arena"]["selection"] = {
        "sizes": list(bench_sizes(config)),
        "variants": sorted(str(Path(d).resolve()) for d in config.getoption("--variants")),
        "origin": config.getoption("--origin"),
    }
    # Each variant's source, kept in the cache: `arena gate` builds this run's code again beside a later run's.
    from harness.measure.retime import save_sources

    output_json["arena"]["sources"] = save_sources(config.getoption("--variants"), config.getoption("--origin"))
    listings = config.stash.get(LISTINGS, None)
    if listings is not None and listings.is_dir():
        output_json["arena"]["listings"] = str(listings)
        output_json["arena"]["listing_problems"] = bench.listing_problems if bench else []
    watch = config.stash.get(MACHINE, None)
    if watch is not None:
        output_json["arena"]["machine"] = watch.as_json()
BAD_INPUTS = REPO / "tests" / "bad_inputs"


def nth_input(shape: str, n: int, index: int, seed: int | None = None) -> list[int]:
    """The input the generator makes for call number `index` (from 0) of a loop seeded with `seed` (SEED)."""
    from targets.fresh import SEED, fill, seed_state

    state = seed_state(SEED if seed is None else seed, n, shape)
    for _ in range(index + 1):
        values, state = fill(shape, n, state)
    return values


def arena(*args: str) -> subprocess.CompletedProcess[str]:
    """`arena ARGS` as a user runs it, from this checkout (the `arena` on PATH may be another one)."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=REPO, timeout=300
    )


def arena_check_together(paths: Sequence[Path]
                         ) -> tuple[subprocess.CompletedProcess[str], dict[str, list[dict[str, Any]]]]:
    """`arena check --json` on several files at once, as a user checks them: one process, not one per file.
    Returns the process and its records by file name."""
    import json

    result = arena("check", *map(str, paths), "--json")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        by_name.setdefault(Path(record.get("path", "")).name, []).append(record)
    return result, by_name


def matrix(config: pytest.Config) -> list[tuple[Kernel, Source, Target]]:
    """Every (kernel, variant, route) pair: the repo's variants and those of any --variants DIR."""
    extra = [Path(d) for d in config.getoption("--variants")]
    return [
        (kernel, source, route)
        for kernel in all_kernels().values()
        for source in discover(kernel, extra, config.getoption("--origin"))
        for route in routes_for(source.language)
    ]


def xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


# First: pytest-xdist's own hook reads the xdist_group marks set here to name each test's group.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Benchmarks that will be skipped say so before the session builds, checks or counts anything for them.
    Under pytest-xdist (`--dist loadgroup`), the tests of one (variant, route) pair share a worker, which
    checks and builds that pair once."""
    from harness.measure.bench import skipped

    for item in items:
        params = getattr(item, "callspec", None)
        if params is None:
            continue
        if "bench_case" in params.params:
            case = params.params["bench_case"]
            if why := skipped(case):
                item.add_marker(pytest.mark.skip(reason=why))
            item.add_marker(pytest.mark.xdist_group(name="/".join(x.name for x in case.pair)))
        if "variant_route" in params.params:
            item.add_marker(pytest.mark.xdist_group(name="/".join(x.name for x in params.params["variant_route"])))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Announce the selected tests' pairs (after -k and friends) to the session's workbench, which checks
    them all at once, in parallel, and counts the selected benchmarks' executed work ahead. An xdist worker
    does not know ahead which tests it will run: it checks each pair when a test first needs it."""
    if xdist_worker(session.config):
        return
    for item in session.items:
        params = getattr(item, "callspec", None)
        if params is None:
            continue
        if "variant_route" in params.params:
            session.config.stash.setdefault(EXPECTED_PAIRS, []).append(params.params["variant_route"])
        if "bench_case" in params.params and item.get_closest_marker("skip") is None:
            case = params.params["bench_case"]
            session.config.stash.setdefault(EXPECTED_PAIRS, []).append(case.pair)
            session.config.stash.setdefault(EXPECTED_COUNTS, []).append(case)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant_route" in metafunc.fixturenames:
        pairs = matrix(metafunc.config)
        metafunc.parametrize(
            "variant_route", pairs, ids=[f"{k.name}/{s.name}/{r.name}" for k, s, r in pairs], scope="module"
        )
    if "bench_case" in metafunc.fixturenames:
        _parametrize_bench_cases(metafunc)


def bench_sizes(config: pytest.Config, full: bool | None = None) -> tuple[int, ...]:
    from harness.measure.bench import FULL_SIZES, QUICK_SIZES

    if config.getoption("--sizes"):
        return tuple(int(n) for n in config.getoption("--sizes").split(","))
    return FULL_SIZES if (config.getoption("--full") if full is None else full) else QUICK_SIZES


def _bench_cases(config: pytest.Config, full: bool | None = None) -> list[Any]:
    """The benchmarks of this run's profile: the quick one (the default) times fewer shapes than --full or --sizes."""
    from harness.measure.bench import QUICK_EVERY_SHAPE_AT, bench_cases

    full = config.getoption("--full") if full is None else full
    quick = not full and not config.getoption("--sizes")
    return bench_cases([Path(d) for d in config.getoption("--variants")], bench_sizes(config, full),
                       config.getoption("--origin"), every_shape_at=QUICK_EVERY_SHAPE_AT if quick else None)


def _parametrize_bench_cases(metafunc: pytest.Metafunc) -> None:
    cases = _bench_cases(metafunc.config)
    metafunc.parametrize("bench_case", cases, ids=[c.id for c in cases])


@pytest.fixture
def saved_figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every matplotlib figure saved while the test runs, kept (drawn) after saving, to look at its axes."""
    from matplotlib.figure import Figure

    saved: list[Any] = []
    original = Figure.savefig

    def keep(self: Any, *args: Any, **kwargs: Any) -> None:
        saved.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def timed_outcome(built: Any, n: int, repeat: int, rounds: int = 1, fresh: bool = True) -> Any:
    """`rounds` rounds of `built`'s timing loop at n (random input, the suite's SEED, `repeat` calls a round), and
    what the loop saw (targets.fresh.LoopOutcome): its calls, its wrong outputs, its last input and output."""
    from targets.fresh import SEED

    run = built.loop(n, "random", repeat, seed=SEED, fresh=fresh)
    for _ in range(rounds):
        run()
    return built.loop_outcome()
