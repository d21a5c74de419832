#!/usr/bin/env node
// @ts-check
// Checks that a built .wasm imports a *shared* memory with a declared maximum,
// by reading its import section. Without both, Web Workers cannot share the
// module's memory (the page fails with "#<Memory> could not be cloned") or
// running out of memory is not a clear, bounded error.
//
// Usage: check-wasm-memory.mjs <file.wasm>; exits 1 with a reason on failure.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: check-wasm-memory.mjs <file.wasm>');
  process.exit(2);
}
const bytes = readFileSync(file);
let pos = 0;

function u8() {
  if (pos >= bytes.length) throw new Error('unexpected end of module');
  return bytes[pos++];
}
function leb() {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = u8();
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}
function name() {
  const len = leb();
  const s = bytes.subarray(pos, pos + len).toString('utf8');
  pos += len;
  return s;
}
function limits() {
  const flags = u8();
  const min = leb();
  const max = flags & 0x01 ? leb() : undefined;
  return { shared: (flags & 0x02) !== 0, min, max };
}

/** @returns {{ module: string, field: string, shared: boolean, min: number, max?: number } | null} */
function findMemoryImport() {
  if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error('not a WebAssembly module');
  pos = 8;
  while (pos < bytes.length) {
    const id = u8();
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const module = name();
        const field = name();
        const kind = u8();
        if (kind === 0x00) leb(); // function: type index
        else if (kind === 0x01) { u8(); limits(); } // table: reftype, limits
        else if (kind === 0x02) return { module, field, ...limits() };
        else if (kind === 0x03) { u8(); u8(); } // global: valtype, mutability
        else if (kind === 0x04) { u8(); leb(); } // tag: attribute, type index
        else throw new Error(`unknown import kind ${kind}`);
      }
      return null;
    }
    pos = end;
  }
  return null;
}

const mem = findMemoryImport();
const fail = (/** @type {string} */ why) => {
  console.error(`check-wasm-memory: ${file}: ${why}`);
  process.exit(1);
};
if (!mem) fail('imports no memory (link with --import-memory --shared-memory)');
else if (!mem.shared) fail(`memory ${mem.module}.${mem.field} is not shared (link with --shared-memory)`);
else if (mem.max === undefined) fail(`memory ${mem.module}.${mem.field} declares no maximum (link with --max-memory)`);
else {
  const mib = (/** @type {number} */ pages) => (pages * 65536) / 2 ** 20;
  console.log(
    `check-wasm-memory: ok: ${mem.module}.${mem.field} is shared, ${mib(mem.min)} MiB initial, ${mib(mem.max)} MiB maximum`,
  );
}
