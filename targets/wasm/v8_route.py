"""WebAssembly run by Node's V8, the runtime of the original AI-versus-WAT experiments.

One `node` process per built module (targets/wasm/v8_driver.js), spoken to in JSON
lines, so checking 844 inputs starts one process, not 844. The array is placed
past the module's own memory as on the wasmtime route, and the canaries are
checked here in Python with the same code. The timing loop is the wasmtime
route's driver module (targets/wasm/driver_wat.py), instantiated in V8 against the
kernel's memory and export, so inputs are made and outputs checked inside wasm,
and only the kernel's calls are timed, by the driver's clock, which JavaScript
provides as `process.hrtime.bigint()`. As on the wasmtime route, a timing loop
runs on COPIES compiled copies of the module, one per round in turn, and single
calls on an instance of their own.

V8 has no fuel, so a runaway loop could only be caught by a wall-clock limit.
A module therefore runs on V8 only after it passed every correctness input on
the wasmtime route with the same bytes (AI-written WAT on `wasmtime`,
compiler-built wasm on its `wasm-*` route); otherwise this route reports that
route's verdict and message. When `node` is not on PATH the route is skipped
with that reason (verdict `skip`).
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import wasmtime

from kernels.kernel import Kernel
from targets.variant_source import Source
from targets import get_route
from kernels.interface import Array, Outcome
from targets.base import (
    Built,
    BuildError,
    LimitExceeded,
    RunError,
    Target,
    Unavailable,
    as_int32,
    as_result,
    lay_out,
    read_layout,
    share_cores,
)
from targets import listing, shaped
from targets.cache import cached_bytes
from targets.fresh import EXPECT_SORTED, SHAPE_CODES, LoopOutcome, outcome, pool_capacity, seed_state
from targets.wasm.driver_wat import wat_driver
from targets.wasm.module_reading import find_entry, find_memory, function_body_size, host_call_message, host_function_imports, host_import_notes, wat_error_message
from targets.wasm.wasmtime_route import COPIES

DRIVER = Path(__file__).with_name("v8_driver.js")
LOAD_SECONDS = 30.0
# Per call: a module that passed on wasmtime sorts a million nearly sorted values in well under a second.
RUN_SECONDS = 20.0


def node_path() -> str:
    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not on PATH: the V8 routes need Node.js (16 or newer) to run WebAssembly")
    return node


@cache
def node_version() -> str:
    try:
        node = node_path()
    except Unavailable:
        return "not found"
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()


class NodeProcess:
    """A `node v8_driver.js` child and its request/response lines, each with a deadline."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [node_path(), str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._pending = b""

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(message).encode() + b"\n")
            process.stdin.flush()
        except BrokenPipeError:
            raise RunError(f"node exited (status {process.poll()}): {self._stderr()}") from None
        deadline = time.monotonic() + timeout
        fd = process.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise LimitExceeded(f"did not return within {timeout:g} s in V8 (node killed): infinite loop?")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    process.wait()
                    raise RunError(f"node exited (status {process.returncode}): {self._stderr()}")
                self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read().decode("utf-8", "replace").strip()[-2000:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class V8Built(Built):
    timing = "wasm"
    runtime_state = frozenset({"runtime_versions", "seconds_per_sort"})

    @property
    def substrate(self) -> str:
        return "V8 (node), SIMD128" if self.for_this_machine else "V8 (node)"

    def __init__(self, source: Source, route: str, binary: bytes, entry: str, memory: dict[str, Any], *,
                 kernel: Kernel | None = None, phases: dict[str, float] | None = None, notes: tuple[str, ...] = (),
                 host_tuned: bool = False) -> None:
        super().__init__(source=source, route=route, phases=dict(phases or {}), kernel=kernel, notes=notes,
                         host_tuned=host_tuned, entry=entry)
        self.binary = binary
        self._memory = memory
        self._node: NodeProcess | None = None
        self.runtime_versions: dict[str, str] = {}
        self._timed: _Counts | None = None
        self._loop_ids = itertools.count()
        #: Seconds per call of the last `loop` call, as measured inside node (the Python round trip excluded).
        self.seconds_per_sort: float | None = None

    @property
    def code_bytes(self) -> int | None:  # type: ignore[override]
        return function_body_size(self.binary, self.entry)

    def start(self) -> None:
        started = time.perf_counter()
        node = NodeProcess()
        reply = node.request(
            {"op": "load", "wasm": base64.b64encode(self.binary).decode(), "entry": self.entry, **self._memory},
            LOAD_SECONDS,
        )
        if not reply["ok"]:
            node.close()
            raise BuildError(f"{self.source.where()}: V8 could not instantiate the module: {reply['error']}")
        self.runtime_versions = {"node": reply["node"], "v8": reply["v8"]}
        self._node = node
        self.phases["load"] = self.phases.get("load", 0.0) + time.perf_counter() - started

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        if self._node is None:
            self.start()
        assert self._node is not None
        try:
            reply = self._node.request(message, RUN_SECONDS)
        except (LimitExceeded, RunError):
            self._node = None  # killed or dead: the next call starts a fresh process
            raise
        if not reply["ok"]:
            # A trap may leave globals and memory half-updated: a fresh instance for the next call.
            self._node.close()
            self._node = None
            raise RunError(reply["error"])
        return reply

    def call(self, values: Any) -> Outcome:
        interface = self.interface
        region, offsets, counts = lay_out(interface, values)
        arguments = interface.call_arguments(offsets, counts)
        # Each argument as the node driver fills it: [offset into the region, None] for an array, [None, n] else.
        shape = [[value, None] if isinstance(a, Array) else [None, value]
                 for a, value in zip(interface.arguments, arguments)]
        reply = self._call({"op": "run", "buffer": base64.b64encode(region).decode(), "arguments": shape})
        bits = None if reply.get("result") is None else int(reply["result"])
        return read_layout(interface, base64.b64decode(reply["buffer"]), offsets, counts, as_result(interface, bits))

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True,
             expect: int = EXPECT_SORTED) -> Callable[[], None]:
        """targets.wasm.driver_wat's driver module, instantiated in node against this module's memory and export, makes
        the inputs, calls the kernel and checks the outputs inside wasm, timing the calls alone. The timed
        callable makes one round trip to node; `loop_clock` and `seconds_per_sort` are the driver's measure.

        Node compiles the module COPIES times, each copy with its own code, instance, memory and driver, and the
        rounds take the copies in turn, the generator's stream going on from one to the next: where V8 puts the
        code moves a short kernel's time from one process to the next, and a row's rounds then hold that spread
        instead of one process's draw."""
        timed = self._timed = _Counts(next(self._loop_ids), n, shape)
        is_shaped = shaped.supported(self.interface)
        # A kernel of another shape: targets.shaped's driver, records of every array, and the results back.
        layout = ({"entry_bytes": shaped.offsets(self.interface, n)[1], "results": shaped.SLOTS * repeat}
                  if is_shaped else {})
        timed.shaped = is_shaped
        self._call({
            "op": "loop", "id": timed.id, "n": n,
            "driver": _driver_b64(shaped.wat_driver(self.interface) if is_shaped else wat_driver(self.interface)),
            "shape": SHAPE_CODES[shape],
            "capacity": shaped.capacity(self.interface, n, repeat) if is_shaped else pool_capacity(n, repeat),
            "repeat": repeat, "expect": expect, "fresh": fresh, "state": str(seed_state(seed, n, shape)),
            "copies": COPIES, **layout,
        })
        assert self._node is not None
        share_cores(self._node.process.pid)  # its rounds on the cores the comparison runs on, as every route's
        request = {"op": "drive", "id": timed.id}

        def run() -> None:
            reply = self._call(request)
            seconds = int(reply["ns"]) / 1e9
            self.seconds_per_sort = seconds / max(repeat, 1)
            timed.seconds += seconds
            timed.calls += repeat
            timed.bad += reply["bad"]
            timed.copy = reply["copy"]
            if is_shaped:  # every call's result against the reference, on the round's inputs made again
                answers = base64.b64decode(reply["results"])
                timed.bad += shaped.check_results(self.interface, n, int(reply["before"]), repeat, fresh, answers)
                timed.last_result = shaped.last_result(answers)

        return run

    def loop_clock(self) -> Callable[[], float] | None:
        timed = self._timed
        return (lambda: timed.seconds) if timed is not None else None

    def stages(self) -> tuple[dict[str, Callable[[Any, Target], listing.Rendered]], str]:
        """`arena asm`: TurboFan's machine code (the default), and the module as WAT."""
        return {"native": _v8_native, "wat": listing.wasm_text}, "native"

    def loop_outcome(self) -> LoopOutcome:
        timed = self._timed
        if timed is None:
            raise RuntimeError(f"{self.route}: loop_outcome() before loop()")
        reply = self._call({"op": "outcome", "id": timed.id})
        if timed.shaped:  # the last call's record, as the round left it
            if not timed.calls:
                return LoopOutcome(0, 0, [], [])
            last = shaped.last_call(self.interface, timed.n, int(reply["last"]), timed.last_result,
                                    base64.b64decode(reply["buffer"]))
            return LoopOutcome(timed.calls, timed.bad, *last)
        output = list(as_int32(base64.b64decode(reply["buffer"])))
        return outcome(timed.shape, timed.n, timed.calls, timed.bad, int(reply["last"]), output)

    def close(self) -> None:
        if self._node is not None:
            self._node.close()
            self._node = None


@dataclass
class _Counts:
    id: int
    n: int
    shape: str
    calls: int = 0
    bad: int = 0
    seconds: float = 0.0  # the kernel's calls, by the driver's clock
    shaped: bool = False  # a kernel of another shape's loop (targets.shaped)
    last_result: int = 0
    copy: int | None = None  # the index of the module's copy the last round ran on


@cache
def _driver_b64(text: str) -> str:
    return base64.b64encode(wasmtime.wat2wasm(text)).decode()


# --- what `arena asm` shows (targets.listing) ---


# V8 prints its own code only in its own syntax; the bytes column is read back and disassembled like every other
# listing, so V8's code diffs line for line against Cranelift's.
_V8_INSTRUCTION = re.compile(r"^0x[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s")
V8_FLAGS = ("--no-liftoff", "--no-wasm-lazy-compilation", "--print-wasm-code")


def v8_functions(binary: bytes, node: str) -> list[tuple[str, bytes]]:
    """(name, machine code) of every wasm function TurboFan compiles for `binary`."""
    def compile_module(work: Path) -> bytes:
        module = work / "module.wasm"
        module.write_bytes(binary)
        done = subprocess.run([node, *V8_FLAGS, "-e", "new WebAssembly.Module(require('fs').readFileSync("
                               "process.argv[1]))", str(module)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BuildError(f"node could not compile the module: {done.stderr.strip()[-500:]}")
        return done.stdout.encode()

    # TurboFan's code for one module and one node: printed once, then read from the cache.
    printed = cached_bytes("listing", ("v8", node_version(), *V8_FLAGS, binary), compile_module).decode()
    functions: list[tuple[str, bytes]] = []
    for block in printed.split("--- WebAssembly code ---")[1:]:
        fields = dict(re.findall(r"^(name|kind|compiler): (.*)$", block, re.MULTILINE))
        code = b"".join(bytes.fromhex(m.group(1)) for line in block.splitlines()
                        if (m := _V8_INSTRUCTION.match(line)))
        if fields.get("kind") == "wasm function" and code:
            functions.append((fields.get("name", "?"), code))
    return functions


def _v8_native(built: V8Built, route: Target) -> listing.Rendered:
    try:
        node = node_path()
    except Unavailable:  # the route's own error when node is missing
        node = ""
    if not node:
        raise BuildError(f"{route.name}: node not found on PATH")
    raw: list[str] = []
    plain: list[str] = []
    size = None
    for name, code in v8_functions(built.binary, node):
        full, body = listing.disassemble_function(code, 0, {0: name})
        raw += [f"{name}:  # {len(code)} bytes", *full, ""]
        plain += [f"{name}:", *body]
        if name == built.entry:
            size = len(code)
    return listing.Rendered("x86", "\n".join(raw), flags=f"node {' '.join(V8_FLAGS)}: TurboFan, the tier the timed loop "
                    "reaches; addresses are offsets", code_bytes=size, filtered=plain, code=plain,
                    notes=["V8's own listing is re-read from its bytes column and disassembled by capstone"],
                    extra_versions={"capstone": metadata.version("capstone")})


class V8Target(Target):
    """A wasm module in V8; the bytes come from the wasmtime route that checked them first (`gate`)."""

    not_run = "not run on V8"

    def __init__(self, name: str, description: str, language: str, gate: str) -> None:
        super().__init__(name, description)
        self.language = language
        self.gate = gate

    @property  # type: ignore[override]
    def host_tuned(self) -> bool:
        """A compiled route's module is what runs here: SIMD where that route compiled with it."""
        return self.language != "wat" and get_route(self.gate).host_tuned  # type: ignore[arg-type]

    def cpu_features(self) -> frozenset[str]:
        return get_route(self.gate).cpu_features()  # type: ignore[arg-type]

    def received_flags(self) -> list[str]:
        """A compiled route's module runs here: what its compiler received (-target-feature +simd128, ...)."""
        return [] if self.language == "wat" else get_route(self.gate).received_flags()  # type: ignore[arg-type]

    def features_owner(self) -> str:
        return get_route(self.gate).features_owner()  # type: ignore[arg-type]

    def binary(self, source: Source, kernel: Kernel) -> tuple[bytes, tuple[str, ...]]:
        """The module's bytes, and what the gate route adapted to build them (a C file's own prototype)."""
        if self.language == "wat":
            try:
                return bytes(wasmtime.wat2wasm(source.text)), ()
            except wasmtime.WasmtimeError as exc:
                raise BuildError(wat_error_message(source, str(exc))) from None
        gate = get_route(self.gate).build(source, kernel)  # the compiled route's cache makes this cheap
        try:
            return bytes(gate.binary), tuple(n for n in gate.notes if "host import" not in n)  # type: ignore[attr-defined]
        finally:
            gate.close()

    def build(self, source: Source, kernel: Kernel) -> V8Built:
        started = time.perf_counter()
        node_path()
        binary, gate_notes = self.binary(source, kernel)
        module = wasmtime.Module(wasmtime.Engine(), binary)  # only to read exports and imports the same way
        entry = find_entry(source, kernel, module)
        memory_export, memory_import = find_memory(source, module)
        memory: dict[str, Any] = {"memory_export": memory_export, "memory_import": None}
        if memory_import is not None:
            module_name, field, memory_type = memory_import
            memory["memory_import"] = [module_name, field, memory_type.limits.min, memory_type.limits.max]
        # Host functions get stubs in node too; a call throws this message back as the run's failure.
        memory["host_imports"] = [[m, f, host_call_message(m, f, t)] for m, f, t in host_function_imports(module)]
        built = V8Built(source, self.name, binary, entry, memory, kernel=kernel, host_tuned=self.host_tuned,
                        notes=(*gate_notes, *host_import_notes(module)),
                        phases={"build": time.perf_counter() - started})
        built.start()
        return built

    def versions(self) -> dict[str, str]:
        return {"node": node_version()}


ROUTES = [
    V8Target("wasm-v8", "WebAssembly text run by Node's V8 (after passing on wasmtime)", "wat", "wasmtime"),
    V8Target(
        "wasm-clang-O3-v8", "the wasm module of wasm-clang-O3 run by Node's V8 (after passing there)", "c",
        "wasm-clang-O3",
    ),
    V8Target(
        "wasm-clang-O3-simd-v8", "the wasm module of wasm-clang-O3-simd run by Node's V8 (after passing there)", "c",
        "wasm-clang-O3-simd",
    ),
    V8Target(
        "wasm-llvm-O3-v8", "the wasm module of wasm-llvm-O3 run by Node's V8 (after passing there)", "llvm",
        "wasm-llvm-O3",
    ),
]
