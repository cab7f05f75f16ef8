// The wasm-v8 route's driver: one node process per built module, one JSON request per stdin line, one JSON
// reply per stdout line. Python (targets/wasm/v8_route.py) owns the canaries and the checks; this file only
// instantiates the module, places the array past the memory the module declared (as targets/wasm/wasmtime_route.py does),
// calls the export, and runs targets/wasm/driver_wat.py's driver, whose clock (WASI's clock_time_get, read only around the
// kernel's calls) is process.hrtime.bigint() here.
"use strict";

const readline = require("readline");

let memory = null;
let entry = null;
let base = 0; // byte address past the module's own memory, where a single call's arrays go
let loaded = null; // the load request: the module's bytes and imports, which the timing loops' copies are made from
// Timing loops, by id. They run on copies of the module (below), never on the instance single calls use. On each
// copy they take turns in one region past the copy's memory: the clock's 8 bytes, then a cache line on, the pool of
// inputs of the round that runs (made, called and checked within the round, so no loop needs another's pool kept).
let driverModule = null;
let copies = null;
const loops = new Map();
const POOL_AT = 64; // bytes into the region: the pool starts a cache line after the clock's bytes

// WASI's clock_time_get as a driver calls it: nanoseconds, written as a u64 at byte address `at` of `target`'s memory.
function clockFor(target) {
  let view = null;
  return (id, precision, at) => {
    if (view === null || view.buffer !== target.memory.buffer) view = new DataView(target.memory.buffer);
    view.setBigUint64(at, process.hrtime.bigint(), true);
    return 0;
  };
}

class HostImportCalled extends Error {}

function fail(message) {
  return { ok: false, error: message };
}

// Room for `bytes` past `target`'s own memory.
function ensure(target, bytes) {
  const have = target.memory.buffer.byteLength;
  if (target.base + bytes <= have) return;
  const pages = Math.ceil((target.base + bytes - have) / 65536);
  target.memory.grow(pages); // throws a RangeError past the maximum: reported as a failure of this call
}

// An instance of `bytes` with a memory of its own (imported or exported) and stubs for its host imports.
function instantiate(bytes, request) {
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
  const instance = new WebAssembly.Instance(module, imports);
  const own = imported || instance.exports[request.memory_export];
  return { memory: own, entry: instance.exports[request.entry], base: own.buffer.byteLength };
}

function load(request) {
  ({ memory, entry, base } = instantiate(Buffer.from(request.wasm, "base64"), request));
  loaded = request;
  return { ok: true, base, node: process.version, v8: process.versions.v8 };
}

// The module's bytes with a custom section holding `index` appended. V8 shares one compiled module among modules of
// the same bytes (its NativeModule cache), so identical copies would all run one code object at one address; a
// custom section changes no code, only the bytes, so each copy is compiled, and placed, on its own.
function tagged(bytes, index) {
  const name = Buffer.from("arena-copy");
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(String(index))]);
  return Buffer.concat([bytes, Buffer.from([0, body.length]), body]); // section id 0; sizes under 128: one byte each
}

// The copies of the module the timing loops take in turn, one per round; made at the first loop.
function timingCopies(count) {
  if (copies === null) {
    const bytes = Buffer.from(loaded.wasm, "base64");
    copies = Array.from({ length: count }, (_, index) => instantiate(tagged(bytes, index), loaded));
  }
  return copies;
}

// One call on a region of guarded arrays (canaries included). The arguments the kernel's interface declares, in
// order: [offset, null] for an array `offset` bytes into the region (its byte address), [null, value] for a length.
// The result, if any, goes back as text: an i64 comes out of wasm as a BigInt, which JSON cannot carry.
function run(request) {
  const data = Buffer.from(request.buffer, "base64");
  ensure({ memory, base }, data.length);
  new Uint8Array(memory.buffer, base, data.length).set(data);
  const result = entry(...request.arguments.map(([offset, value]) => (offset === null ? value : base + offset)));
  const out = Buffer.from(new Uint8Array(memory.buffer, base, data.length));
  return { ok: true, buffer: out.toString("base64"), result: result === undefined ? null : String(result) };
}

// The timing loop: targets/wasm/driver_wat.py's driver module (sent as bytes) imports a copy's memory and export, and
// makes the inputs, calls the kernel (timed) and checks the outputs inside wasm; JS only sets the generator's
// state, and reads the count of bad calls and the calls' nanoseconds. Loops are kept apart, so a callable made
// earlier (fresh inputs, say) still runs its own loop after another (repeated inputs) was set up on the module.
// A loop has a driver on every copy; its rounds take the copies in turn, the generator's state going on from one
// copy's round to the next copy's, so the rounds' inputs are one stream whichever copies run them.

// One loop's driver on one copy, with a pool as large as the copy's maximum memory leaves room for (at least one).
function driverOn(target, request, entryBytes, resultBytes) {
  const driver = new WebAssembly.Instance(driverModule, {
    kernel: { memory: target.memory, entry: target.entry },
    wasi_snapshot_preview1: { clock_time_get: clockFor(target) },
  });
  let capacity = request.capacity;
  for (;;) {
    try {
      ensure(target, POOL_AT + capacity * entryBytes + resultBytes);
      break;
    } catch (error) {
      if (!(error instanceof RangeError) || capacity === 1) throw error;
      capacity = Math.max(1, Math.floor(capacity / 2));
    }
  }
  const resultsAt = resultBytes ? target.base + POOL_AT + capacity * entryBytes : 0;
  if (resultBytes) driver.exports.results_at.value = resultsAt;
  driver.exports.clock_at.value = target.base;
  const { round, state, last, elapsed } = driver.exports;
  return { target, capacity, resultsAt, round, state, last, elapsed };
}

function loop(request) {
  driverModule = driverModule || new WebAssembly.Module(Buffer.from(request.driver, "base64"));
  // A sort's input is n int32; a kernel of another shape's (targets/shaped.py) is a record of its arrays, and its
  // round stores every call's int64 result and digest (`results` int64 words) past the pool.
  const entryBytes = request.entry_bytes || 4 * Math.max(request.n, 1);
  const resultBytes = 8 * (request.results || 0);
  const drivers = timingCopies(request.copies).map((target) => driverOn(target, request, entryBytes, resultBytes));
  const seed = BigInt.asIntN(64, BigInt(request.state)); // the i64 with the same bits
  loops.set(request.id, {
    drivers, turn: 0, seed, state: seed, n: request.n, repeat: request.repeat, shape: request.shape,
    expect: request.expect, fresh: request.fresh ? 1 : 0, lastState: 0n, lastOutput: Buffer.alloc(0),
    entryBytes, results: request.results || 0,
  });
  return { ok: true, capacity: Math.min(...drivers.map((d) => d.capacity)) };
}

function noLoop(request) {
  return fail(`no timing loop ${request.id} in this node process (it was restarted, or never set up)`);
}

// One call of the timed callable: one round of `repeat` calls on the loop's next copy; the driver times the calls
// alone. `copy` in the reply is the copy's index.
function drive(request) {
  const t = loops.get(request.id);
  if (t === undefined) return noLoop(request);
  const copy = t.turn % t.drivers.length;
  const d = t.drivers[copy];
  t.turn += 1;
  const from = t.fresh ? t.state : t.seed; // not fresh: every call of the callable gets the first input again
  d.state.value = from;
  const before = d.elapsed.value;
  const at = d.target.base + POOL_AT;
  const bad = d.round(at, d.capacity, t.n, t.repeat, t.shape, t.expect, t.fresh);
  const elapsed = d.elapsed.value - before;
  t.state = d.state.value;
  // The last call's input state and output, kept before another loop's round reuses the pool.
  // A sort's last entry, or a kernel of another shape's last record (its results go back below).
  const buffer = d.target.memory.buffer;
  t.lastOutput = Buffer.from(new Uint8Array(buffer, at + t.entryBytes * (d.capacity - 1), d.resultsAt ? t.entryBytes : 4 * t.n));
  t.lastState = d.last.value;
  const reply = { ok: true, ns: elapsed.toString(), bad, before: BigInt.asUintN(64, from).toString(), copy };
  if (d.resultsAt) reply.results = Buffer.from(new Uint8Array(buffer, d.resultsAt, 8 * t.results)).toString("base64");
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
