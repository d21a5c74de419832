// @ts-check
// Web Workers that stop answering or die: hardTimeoutMs terminates a worker
// stuck in its handler, a worker terminated from outside is detected, each
// job ends with exactly one outcome, the pool keeps its size, the shared
// memory the dead thread held is freed, terminate() ends every worker, and
// running out of shared memory ends a job, not the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inPackagePage, browserAndServer } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const session = browserAndServer(['--dir', root]);

/**
 * Runs `scenario` in a fresh page; `STUCK_SOURCE` in it is the handlers
 * module's source text.
 * @template T @param {(brigade: any) => Promise<T>} scenario @returns {Promise<T>}
 */
function inPage(scenario) {
  const src = scenario.toString().replaceAll('STUCK_SOURCE', JSON.stringify(STUCK));
  return inPackagePage(session.browser, session.url, /** @type {any} */ ({ toString: () => src }));
}

/** Handlers that never give their worker back. */
const STUCK = `
export function spin(_, info) { info.progress('spinning'); for (;;) {} }
export async function spinLater() { await new Promise((r) => setTimeout(r, 5)); for (;;) {} }
export function ignoreSignal() { return new Promise(() => {}); }
export function hang(_, info) { info.progress('hanging'); return new Promise(() => {}); }
export const double = (x) => 2 * x;
export function hoard(n) { const all = []; for (let i = 0; i < n; i++) all.push(new Uint8Array(2e8)); return all; }
`;

test('hardTimeoutMs: a while(true) handler has its worker terminated, and the pool serves 100 more jobs with as many workers', async () => {
  const r = await inPage(async ({ Pool, TimeoutError, WorkerLostError }) => {
    const pool = await Pool.create({ workers: 3, hardTimeoutMs: 200, handlers: STUCK_SOURCE });
    const t0 = performance.now();
    const outcome = async (p) => {
      try {
        return `resolved ${await p}`;
      } catch (e) {
        return {
          error: e instanceof TimeoutError && e.name,
          cause: e.cause instanceof WorkerLostError && e.cause.name,
          message: e.message,
          jobId: e.jobId,
          ms: Math.round(performance.now() - t0),
        };
      }
    };
    const [sync, later] = await Promise.all([outcome(pool.run('spin', null)), outcome(pool.run('spinLater', null))]);
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('double', i)));
    // A job's own limit beats the pool's (on a warm pool, so the job starts at once).
    const started = performance.now();
    const perJob = await outcome(pool.run('spin', null, { hardTimeoutMs: 50 }));
    perJob.ms = Math.round(performance.now() - started);
    // An async handler that ignores its signal is ended at the limit without
    // a kill: its worker was free all along.
    const ignored = await outcome(pool.run('ignoreSignal', null));
    const s = pool.stats();
    const after = { workers: pool.workers, live: s.workers, timedOut: s.timedOut, lost: s.lost };
    await pool.terminate();
    return { sync, later, perJob, sum: values.reduce((a, b) => a + b, 0), ignored, after };
  });
  for (const o of [r.sync, r.later, r.perJob]) {
    assert.equal(o.error, 'TimeoutError', JSON.stringify(o));
    assert.equal(o.cause, 'WorkerLostError', JSON.stringify(o));
    assert.match(o.message, /ran past its hardTimeoutMs: worker \d+ was terminated and replaced/);
  }
  assert.ok(r.perJob.ms >= 50 && r.perJob.ms < 200, `the job with hardTimeoutMs 50 ended before the pool's 200: ${JSON.stringify(r)}`);
  assert.equal(r.sum, 2 * 4950, 'the 100 jobs after the kills all ran');
  assert.equal(r.ignored.error, 'TimeoutError');
  assert.equal(r.ignored.cause, false, 'an async handler is ended by its signal, not killed');
  assert.deepEqual(r.after, { workers: 3, live: 3, timedOut: 4, lost: 0 });
});

test('hard kills do not add up in the shared memory: a killed thread\'s stack goes to the next one', async () => {
  const r = await inPage(async ({ Pool, TimeoutError }) => {
    const glue = await import('/web/pkg/brigade_wasm.js');
    const pool = await Pool.create({ workers: 2, hardTimeoutMs: 20, handlers: STUCK_SOURCE });
    const killed = async () => {
      const t0 = performance.now();
      const e = await pool.run('spin', null).catch((err) => err);
      if (!(e instanceof TimeoutError)) throw new Error(`expected a TimeoutError, got ${e}`);
      return performance.now() - t0;
    };
    const ms = [];
    // As in the lost-worker test: the figure is what kills add after some.
    // (Each kill takes about a second: the browser ends a Web Worker
    // running JavaScript up to 2 s after terminate().)
    for (let i = 0; i < 5; i++) ms.push(await killed());
    await new Promise((res) => setTimeout(res, 300));
    const before = glue.__brigadeMemoryBytesForTests();
    const KILLS = 20;
    for (let i = 0; i < KILLS; i++) ms.push(await killed());
    await new Promise((res) => setTimeout(res, 300));
    const grown = glue.__brigadeMemoryBytesForTests() - before;
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('double', i)));
    const s = pool.stats();
    await pool.terminate();
    return {
      grownPerKill: grown / KILLS,
      slowest: Math.max(...ms),
      sum: values.reduce((a, b) => a + b, 0),
      stats: { workers: s.workers, timedOut: s.timedOut, lost: s.lost },
    };
  });
  console.log(`memory grown per hard kill: ${(r.grownPerKill / 1024).toFixed(1)} KiB (20 kills after 5); slowest job, queue wait included: ${Math.round(r.slowest)} ms`);
  // A kill ends its job at once. The browser ends the killed Web Worker up
  // to 2 s later (one running JavaScript); then its stack is kept whole for
  // the next thread (wasm/src/stacks.rs) and its replacement starts, so a
  // job may wait that long for a worker when both were killed. With the
  // replacement started at the kill, or the stack freed to the allocator,
  // the memory grew by 200 to 750 KiB a kill.
  assert.ok(r.grownPerKill <= 16 * 1024, `memory grew ${r.grownPerKill} bytes per kill`);
  assert.equal(r.sum, 2 * 4950);
  assert.deepEqual(r.stats, { workers: 2, timedOut: 25, lost: 0 });
});

test('a Web Worker terminated from outside: its job ends with WorkerLostError, the pool replaces it and frees its memory', async () => {
  const r = await inPage(async ({ Pool, WorkerLostError }) => {
    const glue = await import('/web/pkg/brigade_wasm.js');
    const pool = await Pool.create({ workers: 2, handlers: STUCK_SOURCE });
    const kill = Symbol.for('brigade.test.terminateWorker');
    // Each job's worker is terminated once its handler runs (it reported
    // progress): it waits in its event loop then, outside the module. A
    // worker ended while inside the module's code could leave a lock held
    // (see gate.rs), which is why the pool's own kills go through its gate.
    const stuck = async () => {
      let running;
      const hanging = new Promise((res) => {
        running = res;
      });
      const p = pool.run('hang', null, { onProgress: () => running() }).catch((e) => e);
      await hanging;
      const [{ worker }] = pool.running();
      const t0 = performance.now();
      pool[kill](worker);
      const e = await p;
      return { e, ms: performance.now() - t0 };
    };
    const first = await stuck();
    // The memory only grows (in 64 KiB pages): read after some losses, so
    // that the figure is what losses add once the allocator has the room a
    // worker's start needs.
    const WARM = 10;
    const KILLS = 40;
    const detections = [];
    for (let i = 0; i < WARM; i++) detections.push((await stuck()).ms);
    // Every gone worker is reaped before each figure is read.
    await new Promise((res) => setTimeout(res, 200));
    const before = glue.__brigadeMemoryBytesForTests();
    for (let i = 0; i < KILLS; i++) detections.push((await stuck()).ms);
    await new Promise((res) => setTimeout(res, 200));
    const grown = glue.__brigadeMemoryBytesForTests() - before;
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('double', i)));
    const s = pool.stats();
    await pool.terminate();
    return {
      first: [first.e instanceof WorkerLostError, first.e.name, first.e.message, typeof first.e.jobId, first.e.kind],
      slowest: Math.max(...detections),
      grownPerKill: grown / KILLS,
      sum: values.reduce((a, b) => a + b, 0),
      stats: { workers: s.workers, lost: s.lost, adds: s.submitted === s.succeeded + s.failed + s.canceled + s.timedOut + s.panicked + s.lost },
    };
  });
  assert.deepEqual(r.first.slice(0, 2), [true, 'WorkerLostError']);
  assert.match(r.first[2], /^worker \d+ was lost while running the job \(its Web Worker ended\)$/);
  assert.deepEqual(r.first.slice(3), ['number', 'hang']);
  assert.ok(r.slowest < 2000, `each loss detected within 2 s (slowest ${r.slowest} ms)`);
  assert.equal(r.sum, 2 * 4950);
  assert.deepEqual(r.stats, { workers: 2, lost: 51, adds: true });
  // A dead thread's 2 MiB stack is kept whole for the next thread
  // (wasm/src/stacks.rs), its thread-local storage freed and its slot's
  // histograms dropped; what stays is what its heap objects held. Were the
  // stacks not freed, it would be over 2 MiB a loss; freed to the allocator,
  // other threads' allocations split them and it was 200 to 630 KiB.
  console.log(`memory grown per lost Web Worker: ${(r.grownPerKill / 1024).toFixed(1)} KiB (40 losses after 11); slowest detection ${Math.round(r.slowest)} ms`);
  assert.ok(r.grownPerKill <= 16 * 1024, `memory grew ${r.grownPerKill} bytes per lost worker`);
});

test('terminate() ends every Web Worker, stuck ones included, and then every call rejects with PoolClosedError', async () => {
  const r = await inPage(async ({ Pool }) => {
    const held = async () =>
      (await navigator.locks.query()).held.map((l) => l.name).filter((n) => n.startsWith('brigade-worker-'));
    const gone = new Set();
    globalThis.addEventListener('brigade:worker-gone', (e) => gone.add(e.detail));
    // The first pool starts the page's timer thread, a Web Worker that stays.
    await (await Pool.create({ workers: 1 })).terminate();
    await new Promise((res) => setTimeout(res, 100));
    const baseline = await held();
    const pool = await Pool.create({ workers: 3, handlers: STUCK_SOURCE });
    let names = [];
    for (let i = 0; i < 500 && names.length < baseline.length + 3; i++) {
      await new Promise((res) => setTimeout(res, 10));
      names = await held();
    }
    const tokens = names.filter((n) => !baseline.includes(n)).map((n) => Number(n.slice(n.lastIndexOf('-') + 1)));
    let spinning;
    const running = new Promise((res) => {
      spinning = res;
    });
    const outcome = (p) =>
      p.then(
        () => 'resolved',
        (e) => `${e.name}${e.cause ? ` (cause ${e.cause.name})` : ''}`,
      );
    const stuck = [outcome(pool.run('spin', null, { onProgress: () => spinning() })), outcome(pool.run('ignoreSignal', null))];
    await running;
    while (pool.pending < 2) await new Promise((res) => setTimeout(res, 2));
    await pool.terminate();
    const goneAtTerminate = tokens.filter((t) => gone.has(t)).length;
    const calls = [];
    for (const call of [() => pool.run('double', 1), () => pool.submit('double', 1), () => pool.trySubmit('double', 1)]) {
      try {
        calls.push(`resolved ${await call()}`);
      } catch (e) {
        calls.push(e.name);
      }
    }
    // The page holds each lock for a moment as it is granted.
    await new Promise((res) => setTimeout(res, 100));
    return { tokens: tokens.length, goneAtTerminate, left: await held(), baseline, stuck: await Promise.all(stuck), calls };
  });
  assert.equal(r.tokens, 3, `the pool's 3 Web Workers each hold their lock: ${JSON.stringify(r)}`);
  assert.equal(r.goneAtTerminate, 3, 'all 3 are gone when terminate() resolves');
  assert.deepEqual(r.left, r.baseline, 'no Web Worker of the pool is left, nor a replacement');
  assert.deepEqual(r.stuck, ['AbortError (cause WorkerLostError)', 'AbortError']);
  assert.deepEqual(r.calls, ['PoolClosedError', 'PoolClosedError', 'PoolClosedError']);
});

test('an allocation the shared memory cannot hold ends its job with a clear error, and the page and pool go on', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1, handlers: STUCK_SOURCE });
    const outcome = async (p) => {
      try {
        return `ok ${await p}`;
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    };
    const started = performance.now();
    // 1.2 GB of handler output, copied into a memory of at most 1 GiB.
    const output = await outcome(pool.run('hoard', 6));
    const after = await outcome(pool.run('double', 21));
    // 1.2 GB of job input, copied in on the page.
    const input = await outcome(pool.run('echo', new Float64Array(1.5e8)).then((v) => v.length));
    const again = await outcome(pool.run('double', 2));
    // The page answered all along: a timer set now fires at once.
    const tick = await new Promise((res) => {
      const t0 = performance.now();
      setTimeout(() => res(performance.now() - t0), 0);
    });
    const s = pool.stats();
    await pool.terminate();
    return { output, after, input, again, tick, workers: s.workers, ms: performance.now() - started };
  });
  assert.match(r.output, /^PanicError: out of memory: an allocation of \d+ bytes does not fit in the shared WebAssembly memory$/);
  assert.equal(r.after, 'ok 42');
  assert.match(r.input, /^RangeError: out of memory: an allocation of 1200000000 bytes does not fit in the shared WebAssembly memory$/);
  assert.equal(r.again, 'ok 4');
  assert.equal(r.workers, 1);
  assert.ok(r.tick < 1000, `the page's event loop answered in ${r.tick} ms`);
});
