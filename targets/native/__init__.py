"""Native routes: C and LLVM IR built to machine code, and the sandboxed child that runs it."""
