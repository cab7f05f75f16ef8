// The wasm-v8 route's driver: one node process per built module, one JSON request per stdin line, one JSON
// reply per stdout line. Python (targets/wasm_v8.py) owns the canaries and the checks; this file only
// instantiates the module, places the array past the memory the module declared (as targets/wasm.py does),
// calls the export, and times a copy-and-sort loop with process.hrtime.bigint().
"use strict";

const readline = require("readline");

let instance = null;
let memory = null;
let entry = null;
let base = 0; // byte address past the module's own memory, where the arrays go

class HostImportCalled extends Error {}

function fail(message) {
  return { ok: false, error: message };
}

function ensure(bytes) {
  const have = memory.buffer.byteLength;
  if (base + bytes <= have) return;
  const pages = Math.ceil((base + bytes - have) / 65536);
  memory.grow(pages); // throws a RangeError past the maximum: reported as a failure of this call
}

function load(request) {
  const bytes = Buffer.from(request.wasm, "base64");
  const module = new WebAssembly.Module(bytes);
  const imports = {};
  let imported = null;
  if (request.memory_import) {
    const [mod, field, initial, maximum] = request.memory_import;
    const descriptor = maximum === null ? { initial } : { initial, maximum };
    imported = new WebAssembly.Memory(descriptor);
    imports[mod] = { [field]: imported };
  }
  // Host functions the module imports (console.log for debugging): stubs whose call is the kernel's failure.
  for (const [mod, field, message] of request.host_imports || []) {
    imports[mod] = imports[mod] || {};
    imports[mod][field] = () => {
      throw new HostImportCalled(message);
    };
  }
  instance = new WebAssembly.Instance(module, imports);
  memory = imported || instance.exports[request.memory_export];
  entry = instance.exports[request.entry];
  base = memory.buffer.byteLength;
  return { ok: true, base, node: process.version, v8: process.versions.v8 };
}

// One call on a guarded buffer (canaries included, as int32 bytes); the array starts `offset` bytes in.
function run(request) {
  const data = Buffer.from(request.buffer, "base64");
  ensure(data.length);
  new Uint8Array(memory.buffer, base, data.length).set(data);
  entry(base + request.offset, request.n);
  const out = Buffer.from(new Uint8Array(memory.buffer, base, data.length));
  return { ok: true, buffer: out.toString("base64") };
}

// `repeat` x (copy the unsorted source into the work array; call the export), timed inside JS.
function time(request) {
  const src = Buffer.from(request.values, "base64");
  const n = src.length / 4;
  const bytes = Math.max(4, src.length);
  ensure(2 * bytes);
  const srcAddr = base;
  const workAddr = base + bytes;
  new Uint8Array(memory.buffer, srcAddr, src.length).set(src);
  // Views taken after any growth; the kernel cannot grow memory it does not know about between calls.
  const from = new Int32Array(memory.buffer, srcAddr, n);
  const to = new Int32Array(memory.buffer, workAddr, n);
  const f = entry;
  const started = process.hrtime.bigint();
  for (let r = 0; r < request.repeat; r++) {
    to.set(from);
    f(workAddr, n);
  }
  const elapsed = process.hrtime.bigint() - started;
  const out = Buffer.from(new Uint8Array(memory.buffer, workAddr, src.length));
  return { ok: true, ns: elapsed.toString(), buffer: out.toString("base64") };
}

const handlers = { load, run, time };

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let reply;
  try {
    const request = JSON.parse(line);
    reply = handlers[request.op](request);
  } catch (error) {
    const kind = error instanceof WebAssembly.RuntimeError ? "wasm trap" : error.name || "error";
    reply = fail(error instanceof HostImportCalled ? error.message : `${kind}: ${error.message}`);
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
