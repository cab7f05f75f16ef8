"""The C kernel as the user wrote it: the entry's own prototype, read with pycparser, and whether it can run.

Tutorials and chatbots write `void insertion_sort(int arr[], int n)`, not the
contract's `void insertion_sort(int32_t *a, size_t n)` (the kernel's Interface
gives the contract). When the difference is only integer types that carry the
values (an element type that is a signed 32-bit int; any integer type for a
length), the routes call the function through its own prototype, with a note
naming the difference. On x86-64 System V and on
wasm32 such a function reads the same registers (or i32 parameters) as the
contract's, so the timing loops that call the entry by address stay valid.
An n type too narrow for the contract's n is a skip with the reason; an
element type that would change the values (long, unsigned, float) is an error.
A `main` beside the kernel is compiled under another name, so the module the
harness loads never exports one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pycparser import CParser, c_ast
from pycparser.c_parser import ParseError

from kernels.interface import Array, Interface
from targets.base import BuildError, Unavailable
from targets.source import Source

USER_MAIN = "arena_user_main"
# Names the parser must know as types to read a prototype; their sizes come from INTEGER_MAX below.
TYPEDEFS = "".join(
    f"typedef int {name};\n"
    for name in ("int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
                 "size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t")
)
# The largest value of each integer type as the x86-64 (LP64) routes see it.
INTEGER_MAX = {
    "char": 2**7 - 1, "signed char": 2**7 - 1, "unsigned char": 2**8 - 1, "int8_t": 2**7 - 1, "uint8_t": 2**8 - 1,
    "short": 2**15 - 1, "unsigned short": 2**16 - 1, "int16_t": 2**15 - 1, "uint16_t": 2**16 - 1,
    "int": 2**31 - 1, "unsigned int": 2**32 - 1, "int32_t": 2**31 - 1, "uint32_t": 2**32 - 1,
    "long": 2**63 - 1, "unsigned long": 2**64 - 1, "long long": 2**63 - 1, "unsigned long long": 2**64 - 1,
    "int64_t": 2**63 - 1, "uint64_t": 2**64 - 1, "size_t": 2**64 - 1, "ssize_t": 2**63 - 1,
    "ptrdiff_t": 2**63 - 1, "intptr_t": 2**63 - 1, "uintptr_t": 2**64 - 1,
}
# Each element or result type of the contract under the spellings that are the same type on every route (LP64).
SPELLINGS = {
    "i8": {"signed char", "int8_t", "char"}, "u8": {"unsigned char", "uint8_t"},
    "i32": {"int", "int32_t"}, "u32": {"unsigned int", "uint32_t"},
    "i64": {"long", "long long", "int64_t"}, "u64": {"unsigned long", "unsigned long long", "uint64_t"},
}


@dataclass(frozen=True)
class Prototype:
    name: str
    declaration: str  # what the harness declares ahead of the source and gives cffi as cdef
    notes: tuple[str, ...] = ()
    renames_main: bool = False


def _canonical(names: list[str]) -> str:
    """`unsigned` -> `unsigned int`, `long int` -> `long`, `signed` -> `int`: one spelling per type."""
    words = [w for w in names if w not in ("signed",)] or ["int"]
    unsigned = "unsigned" in words
    words = [w for w in words if w != "unsigned"]
    if len(words) > 1 and "int" in words:
        words.remove("int")
    base = " ".join(words) or "int"
    if "signed" in names and base == "char":
        return "signed char"
    return f"unsigned {base}" if unsigned else base


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def _definition_params(text: str, name: str) -> tuple[str, str] | None:
    """The return type and the parameter list of the definition of `name`, as written."""
    found = re.search(rf"(?m)^[ \t]*((?:[A-Za-z_]\w*[\s\*]+)*?){re.escape(name)}\s*\(([^()]*)\)\s*\{{", text)
    if not found:
        return None
    ret = " ".join(w for w in found.group(1).split() if w not in ("static", "inline", "extern", "__inline__"))
    return ret or "int", found.group(2)


def _type_names(node: c_ast.Node) -> list[str] | None:
    return list(node.type.names) if isinstance(node, c_ast.TypeDecl) and isinstance(node.type, c_ast.IdentifierType) else None


@lru_cache(maxsize=256)
def prototype(text: str, where: str, name: str, interface: Interface) -> Prototype:
    """How to call `name` in `text` (comments included): the contract's prototype, or the user's own."""
    renames_main = re.search(r"\bmain\s*\(", _strip_comments(text)) is not None
    main_note = (f"its main() is compiled as {USER_MAIN}() so the loaded module exports none",) if renames_main else ()
    contract = interface.c_prototype(name) + ";"
    found = _definition_params(_strip_comments(text), name)
    if found is None:
        return Prototype(name, contract, main_note, renames_main)
    ret, params = found
    try:
        unit = CParser().parse(f"{TYPEDEFS}{ret} {name}({params});", filename=where)
    except ParseError:
        return Prototype(name, contract, main_note, renames_main)  # the compiler's message says more
    decl = unit.ext[-1]
    args = decl.type.args.params if decl.type.args else []
    if len(args) != len(interface.arguments) or not all(isinstance(a, c_ast.Decl) for a in args):
        return Prototype(name, contract, main_note, renames_main)
    declared, differs = [], []
    for param, wanted in zip(args, interface.arguments):
        if isinstance(wanted, Array):
            is_pointer = isinstance(param.type, (c_ast.PtrDecl, c_ast.ArrayDecl))
            element = _type_names(param.type.type) if is_pointer else None
            if element is None:
                return Prototype(name, contract, main_note, renames_main)
            element_type = _canonical(element)
            if element_type not in SPELLINGS[wanted.element] and interface.is_sort_shaped:
                raise BuildError(
                    f"{where}: {name} sorts {element_type} elements; the kernel's are signed 32-bit ints "
                    f"({contract.rstrip(';')}): a {element_type} array would not hold the same values"
                )
            if element_type not in SPELLINGS[wanted.element]:
                raise BuildError(
                    f"{where}: {name} takes {element_type} elements in {wanted.name}; the kernel's are "
                    f"{wanted.type.c} ({contract.rstrip(';')}): a {element_type} array would not hold the same values"
                )
            # int32_t is int on every route, and cffi's callers hand over an int32_t pointer: declare that spelling.
            const = "" if wanted.written else "const "
            declared.append(f"{const}{wanted.type.c} *{param.name or wanted.name}")
            continue
        names = _type_names(param.type)
        if names is None:
            return Prototype(name, contract, main_note, renames_main)
        n_type = _canonical(names)
        if n_type not in INTEGER_MAX:
            raise BuildError(f"{where}: {name} takes {wanted.name} as {n_type}; the kernel passes {wanted.name} "
                             f"as an integer ({contract})")
        largest = interface.largest_length
        if INTEGER_MAX[n_type] < largest:
            raise Unavailable(
                f"{where}: {name} takes {wanted.name} as {n_type}, at most {INTEGER_MAX[n_type]:,}; the kernel's "
                f"{wanted.name} goes to {largest:,}, beyond that type's range"
            )
        if n_type != "size_t":
            differs.append(f"{wanted.name} is {n_type}, not size_t")
        declared.append(f"{n_type} {param.name or wanted.name}")
    ret_type = _canonical(ret.split()) if ret != "void" else "void"
    if interface.result is not None:
        if ret_type not in SPELLINGS[interface.result]:
            raise BuildError(f"{where}: {name} returns {ret_type}; the kernel returns "
                             f"{contract.split(' ', 1)[0]} ({contract.rstrip(';')})")
        ret_type = contract.split(" ", 1)[0]  # the contract's spelling of the same type
    if not differs and (ret_type == "void" or interface.result is not None):
        return Prototype(name, contract, main_note, renames_main)
    declaration = f"{ret_type} {name}({', '.join(declared)});"
    written = f"{ret} {name}({' '.join(params.split())})"
    if ret_type != "void" and interface.result is None:
        differs.append(f"it returns {ret_type}, which is ignored")
    note = f"called through its own prototype {written}" + (f": {'; '.join(differs)}" if differs else "")
    return Prototype(name, declaration, (note, *main_note), renames_main)


# Headers a freestanding wasm32 clang has of its own; any other means the file was written against a libc.
FREESTANDING_HEADERS = {"stddef.h", "stdint.h", "stdbool.h", "limits.h", "stdarg.h", "float.h", "stdalign.h",
                        "stdnoreturn.h", "iso646.h", "stdatomic.h", "inttypes.h"}


def hosted_headers(text: str) -> list[str]:
    """libc headers the file includes (stdio.h for its main's printf): the wasm routes then compile against
    wasi-libc's headers; the kernel never calls into libc, and wasm-ld drops main with what it calls."""
    included = re.findall(r'(?m)^\s*#\s*include\s*[<"]([^>"]+)[>"]', _strip_comments(text))
    return [h for h in included if h not in FREESTANDING_HEADERS]


def for_source(source: Source, entry: str, interface: Interface) -> Prototype:
    return prototype(source.text, str(source.path), entry, interface)


def wrapped(source: Source, entry: str, interface: Interface, prologue: str, wrapper_line: str) -> str:
    """The text the compiler gets: our prologue with the entry's prototype, then the user's file with its own
    line numbers (main renamed out of the way), then `wrapper_line`."""
    proto = for_source(source, entry, interface)
    path = str(source.path).replace("\\", "\\\\").replace('"', '\\"')
    main_off = f"#define main {USER_MAIN}\n" if proto.renames_main else ""
    main_on = "\n#undef main" if proto.renames_main else ""
    return (
        prologue.format(signature=proto.declaration) + main_off
        + f'#line {1 + source.line_offset} "{path}"\n{source.text}{main_on}{wrapper_line}'
    )
