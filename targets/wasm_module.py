"""Reading a wasm module: its entry and memory as the kernel's interface asks, its host imports, its body
sizes, and what its assembler's, compiler's and traps' messages mean for the file as saved."""
from __future__ import annotations

import re
from collections.abc import Callable

import wasmtime

from kernels.interface import Array
from kernels.kernel import Kernel
from targets.base import BuildError, RunError
from targets.source import Source

def signature(func_type: wasmtime.FuncType) -> str:
    params = ", ".join(str(p) for p in func_type.params)
    results = ", ".join(str(r) for r in func_type.results)
    return f"({params}) -> ({results})"


def describe_extern(extern_type: object) -> str:
    """An export's or import's type as one short phrase, for messages that list what a module has."""
    if isinstance(extern_type, wasmtime.FuncType):
        return signature(extern_type)
    if isinstance(extern_type, wasmtime.MemoryType):
        limits = extern_type.limits
        size = f"{limits.min} page" + ("" if limits.min == 1 else "s")
        return f"memory ({size}, max {limits.max})" if limits.max is not None else f"memory ({size})"
    if isinstance(extern_type, wasmtime.GlobalType):
        return f"global {extern_type.content}"
    if isinstance(extern_type, wasmtime.TableType):
        return "table"
    return type(extern_type).__name__.replace("Type", "").lower()


def _is_entry_type(func_type: wasmtime.FuncType, params: tuple[str, ...], results: tuple[str, ...]) -> bool:
    """The entry's parameters and results come from the kernel's interface (`(param i32 i32)` for a and n)."""
    return tuple(str(p) for p in func_type.params) == params and tuple(str(r) for r in func_type.results) == results


_WAT_LOCATION = re.compile(r"-->\s*<anon>:(\d+):(\d+)")
_SNIPPET_GUTTER = re.compile(r"^(\s*)(\d+)( \|)")


def wat_error_message(source: Source, message: str) -> str:
    """wasmtime's WAT error with `<anon>:line:col` replaced by the file and the line as saved."""
    lines = message.rstrip().split("\n")
    where = _WAT_LOCATION.search(message)
    if not where:
        return f"{source.where()}: {message.strip()}"
    line, column = int(where.group(1)), int(where.group(2))
    cause = lines[0].strip()
    snippet = []
    for text in lines[1:]:
        if _WAT_LOCATION.search(text) or not text.strip(" |"):
            continue
        # The snippet's gutter counts lines of the normalized text; show the saved file's numbers.
        snippet.append(
            _SNIPPET_GUTTER.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + source.line_offset}{m.group(3)}", text)
        )
    body = "\n".join(snippet)
    return f"{source.where(line)}:{column}: {cause}" + (f"\n{body}" if body else "")


def error_causes(message: str) -> list[str]:
    """The `Caused by:` lines of a wasmtime error, without their numbering."""
    tail = message.split("Caused by:", 1)[-1]
    return [re.sub(r"^\d+:\s*", "", line.strip()) for line in tail.split("\n") if line.strip()]


def module_error_message(source: Source, message: str) -> str:
    """A binary module that failed to parse, validate or compile, in one line."""
    causes = error_causes(message)
    head = message.split("\n", 1)[0].strip()
    function = re.search(r"wasm\[\d+\]::function\[(\d+)\]::(\S+)", head)
    cause = re.sub(r"^Invalid input WebAssembly code at offset (\d+): (.*)$", r"\2 (at byte \1)", causes[-1])
    where = f" in function {function.group(2)}" if function else ""
    return f"{source.where()}: invalid wasm module{where}: {cause}"


def trap_message(trap: wasmtime.Trap) -> str:
    """A trap's cause, its detail and the innermost wasm frame, on one line."""
    causes = error_causes(trap.message)
    cause = causes[-1] if causes else trap.message.strip()
    detail = "; ".join(causes[:-1])
    text = f"{cause} ({detail})" if detail else cause
    frames = trap.frames
    if frames:
        frame = frames[0]
        # Names come from the module's name section, demangled by wasmtime: `$f` shows as `float`.
        name = frame.func_name or f"wasm function {frame.func_index}"
        text += f" in {name} at module byte 0x{frame.module_offset:x}"
    return text


# --- reading a binary module -------------------------------------------------------------------------------


def _leb_u32(data: bytes | bytearray, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def function_body_size(binary: bytes | bytearray, export_name: str) -> int | None:
    """Bytes in the code section body of an exported function; None if the module imports a table or global.

    Imported functions (host imports the route stubs) come first in the function
    index space and have no body: the code section starts after them.
    """
    try:
        if binary[:4] != b"\0asm":
            return None
        pos = 8
        index: int | None = None
        imported_functions = 0
        bodies: list[int] = []
        while pos < len(binary):
            section, pos = binary[pos], pos + 1
            size, pos = _leb_u32(binary, pos)
            end = pos + size
            if section == 2:
                count, p = _leb_u32(binary, pos)
                for _ in range(count):
                    for _name in range(2):
                        length, p = _leb_u32(binary, p)
                        p += length
                    if binary[p] == 0:  # a function: its type index, and one more index before the bodies
                        _, p = _leb_u32(binary, p + 1)
                        imported_functions += 1
                        continue
                    if binary[p] != 2:
                        return None
                    flags, p = _leb_u32(binary, p + 1)
                    _, p = _leb_u32(binary, p)
                    if flags & 1:
                        _, p = _leb_u32(binary, p)
                    if flags & 8:
                        _, p = _leb_u32(binary, p)
            elif section == 7:
                count, p = _leb_u32(binary, pos)
                for _ in range(count):
                    length, p = _leb_u32(binary, p)
                    name = bytes(binary[p : p + length]).decode("utf-8", "replace")
                    kind, p = binary[p + length], p + length + 1
                    item, p = _leb_u32(binary, p)
                    if kind == 0 and name == export_name:
                        index = item
            elif section == 10:
                count, p = _leb_u32(binary, pos)
                for _ in range(count):
                    body, p = _leb_u32(binary, p)
                    bodies.append(body)
                    p += body
            pos = end
        if index is None or not 0 <= index - imported_functions < len(bodies):
            return None
        return bodies[index - imported_functions]
    except (IndexError, ValueError):
        return None


# --- the built module --------------------------------------------------------------------------------------


def _exports_listing(module: wasmtime.Module) -> str:
    items = [f"{e.name}: {describe_extern(e.type)}" for e in module.exports]
    return ", ".join(items) if items else "nothing"


def find_entry(source: Source, kernel: Kernel, module: wasmtime.Module) -> str:
    """The export to call: named like the kernel, else the only export of the entry's type."""
    funcs = {e.name: e.type for e in module.exports if isinstance(e.type, wasmtime.FuncType)}
    params, results = kernel.interface.wasm_params(), kernel.interface.wasm_results()
    required = f"({', '.join(params)}) -> ({', '.join(results)})"
    meaning = ", ".join("byte address of " + a.name if isinstance(a, Array) else a.name
                        for a in kernel.interface.arguments)
    for name in kernel.entry_candidates():
        if name in funcs and _is_entry_type(funcs[name], params, results):
            return name
    # A function named like the kernel but of another type is a mistake to report, not a reason to run another one.
    for name in kernel.entry_candidates():
        if name in funcs:
            raise BuildError(
                f"{source.where()}: export {name!r} has type {signature(funcs[name])}; "
                f"the kernel needs {required} ({meaning}); it exports: {_exports_listing(module)}"
            )
    typed = [name for name, ty in funcs.items() if _is_entry_type(ty, params, results)]
    if len(typed) == 1:
        return typed[0]
    if typed:
        raise BuildError(
            f"{source.where()}: {len(typed)} exported functions have type {required} "
            f"({', '.join(typed)}) and none is named {kernel.name!r}: name the entry {kernel.name!r}"
        )
    raise BuildError(
        f"{source.where()}: no exported function {kernel.name!r} and none of type {required}; "
        f"it exports: {_exports_listing(module)}"
    )


class HostImportCalled(RunError):
    """The kernel called a host function its module imports; the route gives a kernel only its memory."""


def host_call_message(module_name: str, field: str, func_type: wasmtime.FuncType) -> str:
    return (
        f"the kernel called {module_name}.{field} {signature(func_type)}, a host function the module imports: "
        "a kernel runs with its memory only (the import may stay if the sort never calls it)"
    )


def host_stub(module_name: str, field: str, func_type: wasmtime.FuncType) -> Callable[..., object]:
    """Stands in for a host function (console.log for debugging): a call is this variant's failure, by name."""

    def called(*_args: object) -> object:
        raise HostImportCalled(host_call_message(module_name, field, func_type))

    return called


def host_function_imports(module: wasmtime.Module) -> list[tuple[str, str, wasmtime.FuncType]]:
    return [(i.module, i.name, i.type) for i in module.imports if isinstance(i.type, wasmtime.FuncType)]


def host_import_notes(module: wasmtime.Module) -> tuple[str, ...]:
    found = host_function_imports(module)
    if not found:
        return ()
    names = ", ".join(f"{m}.{f} {signature(t)}" for m, f, t in found)
    return (f"host import(s) {names} stubbed: a call would fail the check, naming it",)


def find_memory(
    source: Source, module: wasmtime.Module
) -> tuple[str | None, tuple[str, str, wasmtime.MemoryType] | None]:
    """The exported memory's name, or the memory import the route must provide. Imported functions are
    stubbed by the routes (host_stub); any other import (a table, a global) cannot be provided."""
    memory_imports = []
    others = []
    for imp in module.imports:
        if isinstance(imp.type, wasmtime.MemoryType):
            memory_imports.append((imp.module, imp.name, imp.type))
        elif isinstance(imp.type, wasmtime.FuncType):
            continue
        else:
            others.append(f"{imp.module}.{imp.name}: {describe_extern(imp.type)}")
    if others:
        raise BuildError(
            f"{source.where()}: the module imports {', '.join(others)}; a kernel may import its memory and "
            "host functions it never calls, nothing else"
        )
    if len(memory_imports) > 1:
        raise BuildError(f"{source.where()}: the module imports {len(memory_imports)} memories; a kernel uses one")
    if memory_imports:
        module_name, field, memory_type = memory_imports[0]
        if memory_type.is_64 or memory_type.is_shared:
            raise BuildError(
                f"{source.where()}: the imported memory is 64-bit or shared; the kernel uses a plain 32-bit memory"
            )
        _check_growable(source, f"{module_name}.{field}", memory_type)
        return None, memory_imports[0]
    memories = [e for e in module.exports if isinstance(e.type, wasmtime.MemoryType)]
    if not memories:
        raise BuildError(
            f"{source.where()}: the module neither exports nor imports a memory, so the array has nowhere to go: "
            f'add (memory (export "memory") 1); it exports: {_exports_listing(module)}'
        )
    if len(memories) > 1:
        names = ", ".join(e.name for e in memories)
        raise BuildError(f"{source.where()}: the module exports {len(memories)} memories ({names}); a kernel uses one")
    memory_type = memories[0].type
    assert isinstance(memory_type, wasmtime.MemoryType)
    _check_growable(source, repr(memories[0].name), memory_type)
    return memories[0].name, None


def _check_growable(source: Source, label: str, memory_type: wasmtime.MemoryType) -> None:
    # The array always lives past the declared pages, so a memory that cannot grow can never hold it.
    limits = memory_type.limits
    if limits.max is not None and limits.max <= limits.min:
        raise BuildError(
            f"{source.where()}: memory {label} has a maximum of {limits.max} page(s), all declared, "
            "so it cannot grow to hold the array past the module's own memory: raise or drop the maximum"
        )
