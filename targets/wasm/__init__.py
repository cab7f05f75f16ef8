"""WebAssembly routes: wasmtime and V8, from hand-written WAT and from compiled C and LLVM IR."""
