// The wasm-v8 route's driver: one node process per built module, one JSON request per stdin line, one JSON
// reply per stdout line. Python (targets/wasm/v8_route.py) owns the canaries and the checks; this file only
// instantiates the module, places the array past the memory the module declared (as targets/wasm/wasmtime_route.py does),
// calls the export, and runs targets/wasm/driver_wat.py's driver, whose clock (WASI's clock_time_get, read only around the
// kernel's calls) is process.hrtime.bigint() here.
"use strict";

const readline = require("readline");

let instance = null;
let memory = null;
let entry = null;
let base = 0; // byte address past the module's own memory, where the arrays go
// Timing loops, by id. They take turns in one region past the module's memory: the clock's 8 bytes, then a
// cache line on, the pool of inputs of the round that runs (made, called and checked within the round, so no
// loop needs another's pool kept). `top` is past the region: single calls go above it.
let driverModule = null;
const loops = new Map();
const POOL_AT = 64; // bytes into the region: the pool starts a cache line after the clock's bytes
let top = 0;
let clockView = null;

// WASI's clock_time_get as the driver calls it: nanoseconds, written as a u64 at byte address `at`.
function clockTimeGet(id, precision, at) {
  if (clockView === null || clockView.buffer !== memory.buffer) clockView = new DataView(memory.buffer);
  clockView.setBigUint64(at, process.hrtime.bigint(), true);
  return 0;
}

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

// One call on a region of guarded arrays (canaries included). The arguments the kernel's interface declares, in
// order: [offset, null] for an array `offset` bytes into the region (its byte address), [null, value] for a length.
// The result, if any, goes back as text: an i64 comes out of wasm as a BigInt, which JSON cannot carry.
function run(request) {
  const data = Buffer.from(request.buffer, "base64");
  const at = Math.max(top, base); // above the timing loops' work arrays, which outlive this call
  ensure(at - base + data.length);
  new Uint8Array(memory.buffer, at, data.length).set(data);
  const result = entry(...request.arguments.map(([offset, value]) => (offset === null ? value : at + offset)));
  const out = Buffer.from(new Uint8Array(memory.buffer, at, data.length));
  return { ok: true, buffer: out.toString("base64"), result: result === undefined ? null : String(result) };
}

// The timing loop: targets/wasm/driver_wat.py's driver module (sent as bytes) imports this module's memory and export, and
// makes the inputs, calls the kernel (timed) and checks the outputs inside wasm; JS only sets the generator's
// state, and reads the count of bad calls and the calls' nanoseconds. Loops are kept apart, so a callable made
// earlier (fresh inputs, say) still runs its own loop after another (repeated inputs) was set up on the module.

function loop(request) {
  driverModule = driverModule || new WebAssembly.Module(Buffer.from(request.driver, "base64"));
  const driver = new WebAssembly.Instance(driverModule, {
    kernel: { memory, entry },
    wasi_snapshot_preview1: { clock_time_get: clockTimeGet },
  });
  // A sort's input is n int32; a kernel of another shape's (targets/shaped.py) is a record of its arrays, and its
  // round stores every call's int64 result and digest (`results` int64 words) past the pool.
  const entryBytes = request.entry_bytes || 4 * Math.max(request.n, 1);
  const resultBytes = 8 * (request.results || 0);
  let capacity = request.capacity;
  for (;;) { // as many inputs as the module's maximum memory leaves room for, at least one
    try {
      ensure(POOL_AT + capacity * entryBytes + resultBytes);
      break;
    } catch (error) {
      if (!(error instanceof RangeError) || capacity === 1) throw error;
      capacity = Math.max(1, Math.floor(capacity / 2));
    }
  }
  top = Math.max(top, base + POOL_AT + capacity * entryBytes + resultBytes);
  const resultsAt = resultBytes ? base + POOL_AT + capacity * entryBytes : 0;
  if (resultBytes) driver.exports.results_at.value = resultsAt;
  const seed = BigInt(request.state); // wraps to the i64 with the same bits
  driver.exports.state.value = seed;
  driver.exports.clock_at.value = base;
  loops.set(request.id, {
    round: driver.exports.round, state: driver.exports.state, last: driver.exports.last,
    elapsed: driver.exports.elapsed, seed, capacity, n: request.n, repeat: request.repeat, shape: request.shape,
    expect: request.expect, fresh: request.fresh ? 1 : 0, lastState: 0n, lastOutput: Buffer.alloc(0), resultsAt,
    entryBytes, results: request.results || 0,
  });
  return { ok: true, capacity };
}

function noLoop(request) {
  return fail(`no timing loop ${request.id} in this node process (it was restarted, or never set up)`);
}

// One call of the timed callable: one round of `repeat` calls; the driver times the calls alone.
function drive(request) {
  const t = loops.get(request.id);
  if (t === undefined) return noLoop(request);
  if (!t.fresh) t.state.value = t.seed; // every call of the callable gets the first input again
  const before = t.elapsed.value;
  const from = BigInt.asUintN(64, t.state.value).toString(); // the round's first input's state
  const bad = t.round(base + POOL_AT, t.capacity, t.n, t.repeat, t.shape, t.expect, t.fresh);
  const elapsed = t.elapsed.value - before;
  // The last call's input state and output, kept before another loop's round reuses the pool.
  // A sort's last entry, or a kernel of another shape's last record (its results go back below).
  const last = base + POOL_AT + t.entryBytes * (t.capacity - 1);
  t.lastOutput = Buffer.from(new Uint8Array(memory.buffer, last, t.resultsAt ? t.entryBytes : 4 * t.n));
  t.lastState = t.last.value;
  const reply = { ok: true, ns: elapsed.toString(), bad, before: from };
  if (t.resultsAt) reply.results = Buffer.from(new Uint8Array(memory.buffer, t.resultsAt, 8 * t.results)).toString("base64");
  return reply;
}

// The state the last input was made from, and the output of the loop's last call.
function outcome(request) {
  const t = loops.get(request.id);
  if (t === undefined) return noLoop(request);
  return { ok: true, last: BigInt.asUintN(64, t.lastState).toString(), buffer: t.lastOutput.toString("base64") };
}

const handlers = { load, run, loop, drive, outcome };

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
