"""x86-64 assembly assembled by Keystone (targets.x86.assemble) and run in the Unicorn emulator."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import unicorn
from unicorn import x86_const as x86

from kernels.kernel import Kernel
from targets.variant_source import Source
from kernels.interface import Interface, Outcome
from targets.base import (
    CALLEE_SAVED,
    CANARY_BYTES,
    DEFAULT_INTERFACE,
    Built,
    LimitExceeded,
    OutOfBounds,
    RunError,
    SENTINEL_REGISTERS,
    SENTINELS,
    Target,
    Unavailable,
    as_result,
    clobbered,
    guarded_array,
    unguarded_array,
)
from targets.x86.disasm import decoder
from targets.cpu_features import UNICORN_FEATURES
from targets.fresh import EXPECT_SORTED, LoopOutcome, ReferenceLoop
from targets.native.memory import round_to_page
from targets.x86 import listing_x86
from targets.x86.assemble import (
    PAGE, Assembled, assemble_allowed,
)

# A page of int3: emulation stops when rip reaches it (emu_start's `until`), before anything there runs.
RETURN_ADDRESS = 0x0DEA_D000
STACK_SIZE = 1 << 20
STACK_BASE = 0x7FF0_0000
# Space above the return address stands for the caller's frame, so reading it does not fault.
CALLER_FRAME = 256
# At 4 GiB, with nothing mapped near it: the pages on either side of the array stay unmapped.
ARRAY_BASE = 0x1_0000_0000
# Between two arrays' mappings: a kernel's overrun of one faults long before it could reach the next.
ARRAY_SPACING = 0x1_0000_0000
SLACK_FILL = 0xA5
_ZERO_STACK = bytes(STACK_SIZE)


# ---------------------------------------------------------------------------
# Running

# Every general register but rsp/rdi/rsi starts with a distinct value that is canonical but unmapped, so a
# register used as a pointer before it is set faults at an address that says which register it was. The
# kernel's arguments then go into their System V registers (the interface says which); rdi or rsi carrying
# no argument (a fixed-length kernel has no n) keep a sentinel of their own.
_NO_ARGUMENT = {name: 0x5E00_0000_0000 | (i + 14) << 36 | (i + 14) * 0x0101 for i, name in enumerate(("rdi", "rsi"))}
_REG = {name: getattr(x86, f"UC_X86_REG_{name.upper()}") for name in (*SENTINEL_REGISTERS, "rsp", "rdi", "rsi", "rip")}
_XMM = tuple(getattr(x86, f"UC_X86_REG_XMM{i}") for i in range(16))

_ACCESS = {
    unicorn.UC_MEM_READ_UNMAPPED: "read of unmapped memory",
    unicorn.UC_MEM_WRITE_UNMAPPED: "write to unmapped memory",
    unicorn.UC_MEM_FETCH_UNMAPPED: "fetch from unmapped memory",
    unicorn.UC_MEM_READ_PROT: "read of protected memory",
    unicorn.UC_MEM_WRITE_PROT: "write to read-only memory",
    unicorn.UC_MEM_FETCH_PROT: "fetch from non-executable memory",
}

# Unicorn runs this code at about 100 instructions per microsecond here; a fifth of that leaves a wide margin.
FAST_INSTRUCTIONS_PER_US = 20
FAST_TIMEOUT_FLOOR_US = 200_000
# A wall-clock timeout costs Unicorn a timer thread per run (about a millisecond here), far more than a small
# kernel's whole run: up to this many instructions allowed, the exactly counted run is the cheaper one.
EXACT_COUNT_UP_TO = 1_000_000


def instruction_limit(n: int, cap: int = 2_000_000_000, interface: Interface = DEFAULT_INTERFACE) -> int:
    """Instructions a run may execute: the interface's limit for n (room for slow variants), capped (about
    20 s emulated)."""
    return interface.limits.instructions_for(n, cap)


class UnicornBuilt(Built):
    """One assembled variant with its own emulator: code, return page and stack stay mapped between runs."""

    #: Wall time here is the emulator's speed, not the code's: compare instructions executed instead.
    timing = "emulated"

    def stages(self) -> tuple[dict[str, Any], str]:
        """`arena asm`: the bytes read back beside the source lines (targets.x86.listing_x86)."""
        return listing_x86.stages(self)

    def entry_code(self) -> tuple[bytes, int] | None:
        """The assembled code from the entry to its end: the variant's program."""
        return self.assembled.code[self.assembled.entry:], self.assembled.base + self.assembled.entry

    def __init__(self, source: Source, route: str, assembled: Assembled, max_instructions: int, *,
                 kernel: Kernel | None = None, build_seconds: float = 0.0, load_seconds: float = 0.0,
                 notes: tuple[str, ...] = ()) -> None:
        # Loading is mostly this constructor's work (the emulator, its mappings and hooks): timed here, and added
        # to `load_seconds` the route spent before it.
        started = time.perf_counter()
        super().__init__(source=source, route=route, phases={"build": build_seconds}, kernel=kernel, notes=notes,
                         entry=assembled.entry_label or "")
        self.assembled = assembled
        self.max_instructions = max_instructions
        self._block_sizes: dict[tuple[int, int], int] = {}
        uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
        code = assembled.code
        uc.mem_map(assembled.base, round_to_page(len(code)), unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
        uc.mem_write(assembled.base, code)
        uc.mem_map(RETURN_ADDRESS, PAGE, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
        uc.mem_write(RETURN_ADDRESS, b"\xcc" * PAGE)
        uc.mem_map(STACK_BASE, STACK_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
        # Both hooks fire only on the event, so they cost nothing on an ordinary run.
        uc.hook_add(unicorn.UC_HOOK_MEM_INVALID, self._on_invalid_memory)
        uc.hook_add(unicorn.UC_HOOK_INTR, self._on_interrupt)
        uc.hook_add(unicorn.UC_HOOK_INSN, self._on_syscall, None, 1, 0, x86.UC_X86_INS_SYSCALL)
        self._uc: unicorn.Uc | None = uc
        self._event: str | None = None
        # Each array of the last run: name, address of its element 0, n, element size, mapping base, mapped bytes.
        self._arrays: list[tuple[str, int, int, int, int, int]] = []
        self._rsp_entry = 0
        self._timed: ReferenceLoop | None = None
        self._entry_context: unicorn.UcContext | None = None  # registers as every run starts with them
        self._translation: str | None = None  # what the cached translated blocks were made for (_translated_for)
        self.phases["load"] = load_seconds + time.perf_counter() - started

    @property
    def code_bytes(self) -> int:
        return len(self.assembled.code)

    def listing(self) -> str:
        """The code as Unicorn runs it: address, bytes, instruction, source line."""
        out = []
        base = self.assembled.base
        for insn in decoder().disasm(self.assembled.code, base):
            line = self.assembled.line_at(insn.address - base)
            where = f"  ; line {line + self.source.line_offset}" if line else ""
            out.append(f"{insn.address:#x}  {insn.bytes.hex():<20} {insn.mnemonic} {insn.op_str}{where}".rstrip())
        return "\n".join(out)

    def call(self, values: Any) -> Outcome:
        return self._run(values, counted=False)[0]

    def run_counted(self, values: Sequence[int]) -> tuple[list[int], int]:
        """Run and count the instructions executed, summed per executed block (deterministic, about 30x slower)."""
        outcome, count = self._run(values, counted=True)
        return list(outcome.arrays[0]), count

    def executed(self, values: Any) -> dict[str, int]:
        return {"instructions": self._run(values, counted=True)[1]}

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True,
             expect: int = EXPECT_SORTED) -> Callable[[], None]:
        """Each call is one emulation, so the inputs come from targets.fresh's Python reference, made before the
        emulations and checked after them; the time this measures is the emulator's anyway."""
        interface = self.interface
        timed = self._timed = ReferenceLoop(self.run if interface.is_sort_shaped else self.call, n, shape, seed=seed,
                                            fresh=fresh, expect=expect, interface=interface)
        return lambda: timed.run(repeat)

    def loop_clock(self) -> Callable[[], float] | None:
        return self._timed.clock if self._timed is not None else None

    def loop_outcome(self) -> LoopOutcome:
        if self._timed is None:
            raise RuntimeError(f"{self.route}: loop_outcome() before loop()")
        return self._timed.outcome()

    def close(self) -> None:
        self._uc = None

    # -- one run -------------------------------------------------------------

    def _run(self, values: Any, counted: bool) -> tuple[Outcome, int]:
        uc = self._uc
        if uc is None:
            raise RuntimeError(f"{self.route}: {self.source.name} was closed")
        interface = self.interface
        # Each array in a mapping of its own, 4 GiB apart, ending at the end of its mapping, so a write past its
        # high canaries faults at once; the slack below the low canaries is filled and checked afterwards.
        regions = []
        for i, (argument, elements) in enumerate(zip(interface.arrays, interface.inputs(values))):
            raw = guarded_array(argument, elements)
            mapped = round_to_page(len(raw))
            base = ARRAY_BASE + i * ARRAY_SPACING
            regions.append((argument, elements, raw, base, mapped, mapped - len(raw)))
        addresses = [base + slack + CANARY_BYTES for _, _, _, base, _, slack in regions]
        counts = [len(elements) for _, elements, *_ in regions]
        n = max(counts)
        self._arrays = [(argument.name, at, count, argument.type.size, base, mapped)
                        for (argument, _, _, base, mapped, _), at, count in zip(regions, addresses, counts)]
        limit = instruction_limit(n, self.max_instructions, interface)
        for _, _, _, base, mapped, _ in regions:
            uc.mem_map(base, mapped, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
        total = [0]
        block_hook = None
        arguments = interface.call_arguments(addresses, counts)

        def fill() -> int:
            for _, _, raw, base, _, slack in regions:
                uc.mem_write(base, bytes([SLACK_FILL]) * slack + raw)
            return self._reset(uc, arguments)

        if counted:
            block_hook = uc.hook_add(unicorn.UC_HOOK_BLOCK, self._on_block, total)
            # Hooks are compiled into translated blocks: blocks cached by an uncounted run would not count.
            uc.ctl_flush_tb()
            self._translation = None  # the cache is empty: the counted run's blocks are translated with the hook
        try:
            rsp = self._rsp_entry = fill()
            self._event = None
            entry = self.assembled.base + self.assembled.entry
            try:
                exact = counted or limit <= EXACT_COUNT_UP_TO
                if exact or not self._returned_in_time(uc, entry, limit):
                    # Only an exact count decides a limit: the verdict must not depend on this machine's speed.
                    if not exact:  # the timed attempt ran: start again from the same state
                        rsp = self._rsp_entry = fill()
                        self._event = None
                    # Counting is compiled into translated blocks, like hooks: blocks cached uncounted would
                    # never count (and never stop), and counted ones would slow a later uncounted run. Runs that
                    # count alike share their blocks (a check's thousands of small runs); a change of kind flushes.
                    self._translated_for("count")
                    uc.emu_start(entry, RETURN_ADDRESS, count=limit)
            except unicorn.UcError as exc:
                message = self._fault_message(uc, exc)
                if (lacking := self._not_emulated(uc, exc)) is not None:
                    raise Unavailable(lacking) from None
                raise RunError(message) from None
            self._check_return(uc, rsp, n, limit)
            result = as_result(interface, uc.reg_read(_REG["rax"]) if interface.result else None)
            after = [bytes(uc.mem_read(base, mapped)) for _, _, _, base, mapped, _ in regions]
        finally:
            if block_hook is not None:
                uc.hook_del(block_hook)
                uc.ctl_flush_tb()  # and the next uncounted run must not pay for the hook
                self._translation = None
            for _, _, _, base, mapped, _ in regions:
                uc.mem_unmap(base, mapped)
        only = len(regions) == 1
        arrays = []
        for (argument, elements, _, base, _, slack), at, data in zip(regions, addresses, after):
            arrays.append(unguarded_array(argument, data[slack:], len(elements), only))
            # The highest slack byte that changed, if any: the fill stripped from the end of the slack.
            kept = data[:slack].rstrip(bytes([SLACK_FILL]))
            if kept:
                index = (base + len(kept) - 1 - at) // argument.type.size
                which = "the array" if only else f"array {argument.name}"
                raise OutOfBounds(f"out-of-bounds write below {which}: {argument.name}[{index}] (beyond the canaries)"
                                  " was written", "below")
        return Outcome(result, tuple(arrays)), total[0]

    def _translated_for(self, kind: str) -> None:
        """Drop the translated blocks unless they were translated for runs of this kind ("count": instruction
        counting compiled in; "plain": without)."""
        if self._translation not in (None, kind):
            self._uc.ctl_flush_tb()  # type: ignore[union-attr]
        self._translation = kind

    def _returned_in_time(self, uc: unicorn.Uc, entry: int, limit: int) -> bool:
        """Run without Unicorn's instruction counting (`count=` makes emulation 3-4x slower), bounded by a
        wall-clock time in which `limit` instructions would run five times over; True if the code returned."""
        self._translated_for("plain")
        timeout_us = max(FAST_TIMEOUT_FLOOR_US, limit // FAST_INSTRUCTIONS_PER_US)
        uc.emu_start(entry, RETURN_ADDRESS, timeout=timeout_us)
        return uc.reg_read(_REG["rip"]) == RETURN_ADDRESS

    def _reset(self, uc: unicorn.Uc, arguments: Sequence[int]) -> int:
        """Registers and stack as a caller leaves them; returns rsp at entry."""
        # A zeroed stack each run: a variant that reads stack it never wrote sees the same bytes every time.
        uc.mem_write(STACK_BASE, _ZERO_STACK)
        rsp = STACK_BASE + STACK_SIZE - CALLER_FRAME - 8  # after a `call`: rsp + 8 is 16-byte aligned
        uc.mem_write(rsp, RETURN_ADDRESS.to_bytes(8, "little"))
        if self._entry_context is None:
            for name, value in SENTINELS.items():
                uc.reg_write(_REG[name], value)
            for reg in _XMM:
                uc.reg_write(reg, 0)
            uc.reg_write(x86.UC_X86_REG_EFLAGS, 0x2)
            for name, value in _NO_ARGUMENT.items():
                uc.reg_write(_REG[name], value)
            self._entry_context = uc.context_save()
        else:  # the same registers, and the rest of the CPU's state, in one call instead of thirty-odd writes
            uc.context_restore(self._entry_context)
        uc.reg_write(_REG["rsp"], rsp)
        interface = self.interface
        for register, value in zip(interface.sysv_registers().values(), arguments):
            uc.reg_write(_REG[register], value)
        return rsp

    def _check_return(self, uc: unicorn.Uc, rsp_entry: int, n: int, limit: int) -> None:
        rip = uc.reg_read(_REG["rip"])
        if self._event:
            raise RunError(self._event)
        if rip != RETURN_ADDRESS:
            code = self.assembled.code
            offset = rip - self.assembled.base
            if 0 < offset <= len(code) and code[offset - 1] == 0xF4:
                raise RunError(f"executed hlt at {self._describe(rip - 1)}")
            raise LimitExceeded(f"did not return within {limit:,} instructions (n={n}): infinite loop?")
        rsp = uc.reg_read(_REG["rsp"])
        if rsp != rsp_entry + 8:
            raise RunError(
                f"stack pointer rsp is {rsp - (rsp_entry + 8):+d} bytes off at return ({rsp:#x}, expected"
                f" {rsp_entry + 8:#x}): unbalanced push/pop, or returned through something else than the return address?"
            )
        for name in CALLEE_SAVED:
            got = uc.reg_read(_REG[name])
            if got != SENTINELS[name]:
                raise RunError(clobbered(name, SENTINELS[name], got))

    # -- hooks and messages -------------------------------------------------

    def _on_block(self, uc: unicorn.Uc, address: int, size: int, total: list[int]) -> None:
        key = (address, size)
        count = self._block_sizes.get(key)
        if count is None:
            count = sum(1 for _ in decoder().disasm_lite(bytes(uc.mem_read(address, size)), address))
            self._block_sizes[key] = count
        total[0] += count

    def _on_invalid_memory(
        self, uc: unicorn.Uc, access: int, address: int, size: int, value: int, _data: object
    ) -> bool:
        kind = _ACCESS.get(access, f"memory access of kind {access}")
        rip = uc.reg_read(_REG["rip"])
        if access not in (unicorn.UC_MEM_FETCH_UNMAPPED, unicorn.UC_MEM_FETCH_PROT):
            self._event = f"{kind} at {address:#x} ({size} bytes, {self._region(address)}), by {self._describe(rip)}"
            return False
        self._event = f"{kind} at {address:#x} ({self._region(address)}): a jump or ret went there"
        rsp = uc.reg_read(_REG["rsp"])
        off = rsp - (self._rsp_entry + 8)
        held = next((name for name, value in SENTINELS.items() if value == address), None)
        on_stack = STACK_BASE + 8 <= rsp <= STACK_BASE + STACK_SIZE
        popped = held and on_stack and uc.mem_read(rsp - 8, 8) == address.to_bytes(8, "little")
        if popped and off:
            # What `ret` does after a push without its pop: it returns to the pushed register's value.
            self._event = (
                f"{kind} at {address:#x}, the value {held} held at entry: ret used it as the return address;"
                f" rsp was {off:+d} bytes off at that ret (a push without its pop?)"
            )
        return False

    def _on_interrupt(self, uc: unicorn.Uc, number: int, _data: object) -> None:
        rip = uc.reg_read(_REG["rip"])
        name = {3: "int3 breakpoint", 6: "invalid opcode", 0: "divide error", 13: "general protection fault"}
        self._event = f"CPU exception {number} ({name.get(number, 'interrupt')}) near {self._describe(rip)}"
        uc.emu_stop()

    def _on_syscall(self, uc: unicorn.Uc, _data: object) -> None:
        self._event = f"the kernel made a system call at {self._describe(uc.reg_read(_REG['rip']))}"
        uc.emu_stop()

    def _not_emulated(self, uc: unicorn.Uc, exc: unicorn.UcError) -> str | None:
        """Why the stop is the emulator's, not the code's: a valid AVX instruction (VEX or EVEX, spelled v...)
        that Unicorn's translator has no code for; None for any other stop."""
        if exc.errno != unicorn.UC_ERR_INSN_INVALID or self._event:
            return None
        rip = uc.reg_read(_REG["rip"])
        insn = next(decoder().disasm(bytes(uc.mem_read(rip, 15)), rip, 1), None)
        if insn is None or not insn.mnemonic.startswith("v") or insn.mnemonic in ("verr", "verw"):
            return None
        return (f"Unicorn {unicorn.__version__} cannot emulate {self._describe(rip)}; the code needs a CPU with "
                "AVX, checked natively only")

    def _fault_message(self, uc: unicorn.Uc, exc: unicorn.UcError) -> str:
        if self._event:
            return self._event
        rip = uc.reg_read(_REG["rip"])
        if exc.errno == unicorn.UC_ERR_INSN_INVALID:
            return f"invalid instruction at {self._describe(rip)}"
        return f"emulation stopped: {exc} at {self._describe(rip)}"

    def _describe(self, address: int) -> str:
        """`0x400012: mov dword ptr [rcx], eax (file.s:23)`, as far as it is known."""
        base = self.assembled.base
        offset = address - base
        text = f"{address:#x}"
        if 0 <= offset < len(self.assembled.code):
            window = self.assembled.code[offset : offset + 15]
            insn = next(decoder().disasm(window, address, 1), None)
            text += f": {insn.mnemonic} {insn.op_str}".rstrip() if insn else f": bytes {window[:4].hex(' ')} (undecodable)"
            line = self.assembled.line_at(offset)
            if line:
                text += f" ({self.source.where(line)})"
        return text

    def _region(self, address: int) -> str:
        if address < PAGE:
            return "the null page"
        only = len(self._arrays) == 1
        for name, a, n, size, base, mapped in self._arrays:
            which = "the array" if only else f"array {name}"
            if base - 16 * PAGE <= address < a:
                return f"below {which}: {name}[{(address - a) // size}]"
            if a <= address < a + size * n:
                return f"inside {which}: {name}[{(address - a) // size}]"
            if a + size * n <= address < base + mapped + 16 * PAGE:
                return f"above {which}: {name}[{(address - a) // size}], n={n}"
        if STACK_BASE - 16 * PAGE <= address < STACK_BASE:
            return f"below the {STACK_SIZE >> 20} MiB stack: stack overflow?"
        if STACK_BASE + STACK_SIZE <= address < STACK_BASE + STACK_SIZE + 16 * PAGE:
            return "above the stack: the caller's frame and beyond"
        for name, value in SENTINELS.items():
            if abs(address - value) < 1 << 20:
                return f"near the value {name} held at entry: a register used before it was set?"
        return "not near the array or the stack"


class UnicornX86Target(Target):
    """Keystone assembles, Unicorn runs; every fault and register is inspectable, and instructions can be counted."""

    counts = True
    language = "x86"

    def __init__(self, name: str, description: str, max_instructions: int = 2_000_000_000) -> None:
        super().__init__(name, description)
        self.max_instructions = max_instructions

    def cpu_features(self) -> frozenset[str]:
        return UNICORN_FEATURES

    def features_owner(self) -> str:
        return f"Unicorn {unicorn.__version__} (SSE up to 4.2, no AVX)"

    def refuse(self, source: Source, kernel: Kernel) -> None:
        """What x86-native refuses on sight, this route refuses too, as it runs the same bytes: a system call on a
        path no checked input takes would otherwise pass here while x86-native refuses the file."""
        assemble_allowed(source, kernel)

    def build(self, source: Source, kernel: Kernel) -> UnicornBuilt:
        start = time.perf_counter()
        assembled = assemble_allowed(source, kernel)
        return UnicornBuilt(source, self.name, assembled, self.max_instructions, kernel=kernel,
                            build_seconds=time.perf_counter() - start)

    def versions(self) -> dict[str, str]:
        return {pkg: metadata.version(pkg) for pkg in ("keystone-engine", "unicorn", "capstone")}


ROUTES = [UnicornX86Target("x86-unicorn", "x86-64 assembly assembled by Keystone, run in the Unicorn emulator")]
