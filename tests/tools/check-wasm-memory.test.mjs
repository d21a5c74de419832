// @ts-check
// The memory check in `make test` must be able to fail: feed it hand-made
// modules whose memory import is shared or not, bounded or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'check-wasm-memory.mjs');

/** A module with one import section holding `imports` (raw entry bytes). */
function module(/** @type {number[][]} */ imports) {
  const body = [imports.length, ...imports.flat()];
  return Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, body.length, ...body]);
}
const str = (/** @type {string} */ s) => [s.length, ...Buffer.from(s)];
const memory = (/** @type {number[]} */ limits) => [...str('env'), ...str('memory'), 0x02, ...limits];
const func = [...str('env'), ...str('f'), 0x00, 0x00];

function check(/** @type {Buffer} */ bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'brigade-wasm-check-'));
  try {
    const file = join(dir, 'm.wasm');
    writeFileSync(file, bytes);
    return spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a shared memory with a maximum passes', () => {
  const r = check(module([func, memory([0x03, 0x11, 0x80, 0x80, 0x01])]));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /is shared, 1\.0625 MiB initial, 1024 MiB maximum/);
});

test('an unshared memory fails', () => {
  const r = check(module([memory([0x01, 0x11, 0x20])]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /is not shared/);
});

test('a shared memory without a maximum fails', () => {
  const r = check(module([memory([0x02, 0x11])]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /declares no maximum/);
});

test('a module that imports no memory fails', () => {
  const r = check(module([func]));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /imports no memory/);
});
