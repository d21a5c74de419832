// @ts-check
// The JavaScript API in headless Chromium, call by call. Each test runs its
// scenario inside the page (page.evaluate) against the package built into
// web/pkg, served with the isolation headers by scripts/serve.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inPackagePage, browserAndServer } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const session = browserAndServer(['--dir', root]);

/**
 * Runs `scenario` in a fresh page with the package loaded as `brigade`; fails
 * on any page error or console error but those `allow` matches.
 * @template T
 * @param {(brigade: any) => Promise<T>} scenario
 * @param {{ allow?: RegExp }} [options] console errors a test expects
 * @returns {Promise<T>}
 */
function inPage(scenario, options) {
  return inPackagePage(session.browser, session.url, scenario, options);
}

test('bad options reject with TypeError or RangeError naming the option', async () => {
  const r = await inPage(async ({ Pool }) => {
    const out = [];
    for (const options of [
      { workers: 0 },
      { workers: 'two' },
      { queue: -1 },
      { retry: { attempts: 0 } },
      { rateLimit: { burst: 2 } },
      { timeoutMs: -5 },
      { wrokers: 2 },
      { handlers: 'data:text/javascript,throw new Error("broken module")' },
      { handlers: 'export const answer = 42;' },
      { handlers: 42 },
      { saturationWindowMs: 0 },
    ]) {
      try {
        await Pool.create(options);
        out.push('created');
      } catch (e) {
        out.push(`${e.name}: ${e.message}`);
      }
    }
    return out;
  });
  assert.match(r[0], /^RangeError: option "workers" must be between 1 and 256/);
  assert.match(r[1], /^TypeError: option "workers" must be a number/);
  assert.match(r[2], /^RangeError: option "queue"/);
  assert.match(r[3], /^RangeError: option "retry.attempts"/);
  assert.match(r[4], /^TypeError: option "rateLimit.perSecond" is required/);
  assert.match(r[5], /^RangeError: option "timeoutMs"/);
  assert.match(r[6], /^TypeError: unknown option "wrokers"/);
  assert.match(r[7], /^TypeError: option "handlers": the module data:text\/javascript,.* could not be imported: broken module/);
  assert.match(r[8], /^TypeError: option "handlers": the module \(source text\) exports no functions/);
  assert.match(r[9], /^TypeError: option "handlers" must be a URL or the source text of an ES module/);
  assert.match(r[10], /^RangeError: option "saturationWindowMs"/);
});

test('a handlers module that 404s, does not parse or is a bare file name: Pool.create rejects naming it', async () => {
  const r = await inPage(
    async ({ Pool }) => {
      const out = [];
      for (const handlers of [
        './no-such-handlers.js',
        'data:text/javascript,export function f( {',
        'export function f( {',
        'handlers.js',
        'lib/handlers.mjs',
      ]) {
        try {
          await Pool.create({ handlers });
          out.push('created');
        } catch (e) {
          out.push(`${e.name}: ${e.message}`);
        }
      }
      // The page still makes pools.
      const pool = await Pool.create({ workers: 1 });
      out.push(String(await pool.run('square', 3)));
      await pool.terminate();
      return out;
    },
    { allow: /404|Failed to load resource/ },
  );
  assert.match(r[0], /^TypeError: option "handlers": the module http:\/\/[^ ]+\/no-such-handlers\.js could not be imported: /);
  assert.match(r[1], /^SyntaxError: option "handlers": the module data:text\/javascript,export function f\( \{ could not be imported: /);
  assert.match(r[2], /^SyntaxError: option "handlers": the module \(source text\) could not be imported: /);
  assert.equal(
    r[3],
    'TypeError: option "handlers": "handlers.js" is a file name, not a URL or module source; write "./handlers.js" (relative to the page) or new URL("handlers.js", import.meta.url)',
  );
  assert.match(r[4], /^TypeError: option "handlers": "lib\/handlers\.mjs" is a file name/);
  assert.equal(r[5], '9');
});

test('built-in kinds run on the workers and typed arrays cross as typed arrays', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2 });
    const echo = await pool.run('echo', { a: [1, 'two', null], bytes: new Uint8Array([1, 2, 3]) });
    const rgba = new Uint8ClampedArray(8 * 4 * 4).fill(100);
    const thumb = await pool.run('thumbnail', { width: 8, height: 4, rgba, maxSide: 4 });
    const m = await pool.run('mandelbrot', { x: -2, y: -1, width: 3, height: 3, scale: 1, maxIter: 50 });
    return {
      echo: { a: echo.a, bytes: echo.bytes instanceof Uint8Array ? Array.from(echo.bytes) : 'not a Uint8Array' },
      square: await pool.run('square', 12),
      sha: await pool.run('sha256', 'abc'),
      shaBytes: await pool.run('sha256', new TextEncoder().encode('abc')),
      primes: await pool.run('primes', { below: 100 }),
      thumb: { width: thumb.width, height: thumb.height, len: thumb.rgba.length, px: thumb.rgba[0] },
      mandel: m instanceof Uint16Array ? Array.from(m) : 'not a Uint16Array',
      spin: typeof (await pool.run('spin', { ms: 5 })),
      sleep: await pool.run('sleep', { ms: 5 }),
    };
  });
  assert.deepEqual(r.echo, { a: [1, 'two', null], bytes: [1, 2, 3] });
  assert.equal(r.square, 144);
  assert.equal(r.sha, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(r.shaBytes, r.sha);
  assert.equal(r.primes, 25);
  assert.deepEqual(r.thumb, { width: 4, height: 2, len: 4 * 2 * 4, px: 100 });
  assert.equal(r.mandel.length, 9);
  assert.deepEqual([r.mandel[0], r.mandel[2], r.mandel[4]], [1, 50, 50], 'c = -2-i escapes at once; -i and -1 stay');
  assert.equal(r.spin, 'number');
  assert.equal(r.sleep, null);
});

test('bad job input and unknown kinds fail with clear errors', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1 });
    const out = [];
    for (const [kind, input] of [['nope', 1], ['primes', 'x'], ['echo', () => 1]]) {
      try {
        await pool.run(kind, input);
        out.push('ok');
      } catch (e) {
        out.push(`${e.name}: ${e.message}`);
      }
    }
    return out;
  });
  assert.match(r[0], /^TypeError: unknown job kind "nope"; this pool runs: /);
  assert.match(r[1], /^JobError: primes: input needs \{ below: a number >= 0 \}/);
  assert.match(r[2], /^DataCloneError: input: a function \(anonymous\) cannot be cloned$/);
});

test('backpressure: with queue 2 and 2 busy workers the 5th trySubmit throws and submit waits for room', async () => {
  const r = await inPage(async ({ Pool, QueueFullError }) => {
    const until = async (what, f) => {
      const end = performance.now() + 20_000;
      while (!f()) {
        if (performance.now() > end) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const pool = await Pool.create({ workers: 2, queue: 2 });
    const events = [];
    pool.addEventListener('full', () => events.push('full'));
    const results = pool.results()[Symbol.asyncIterator]();
    // Jobs that end only when aborted: nothing frees a place in the queue
    // until the test does, however slowly the workers start.
    const first = new AbortController();
    const rest = new AbortController();
    const sleep = (ctl) => pool.trySubmit('sleep', { ms: 60_000 }, { signal: ctl.signal });
    sleep(first);
    sleep(rest);
    await until('both workers run', () => pool.stats().busy === 2);
    sleep(rest);
    sleep(rest);
    let fifth;
    try {
      pool.trySubmit('echo', 5);
      fifth = 'accepted';
    } catch (e) {
      fifth = e instanceof QueueFullError ? e.name : `wrong error ${e}`;
    }
    let freed = false;
    let atSubmit;
    const submitted = pool.submit('echo', 6).then(() => {
      atSubmit = { freed, canceled: pool.stats().canceled };
    });
    await new Promise((r) => setTimeout(r, 100));
    const pendingWhileFull = atSubmit === undefined;
    freed = true;
    first.abort();
    await submitted;
    const firstOut = await results.next();
    rest.abort();
    return { fifth, pendingWhileFull, atSubmit, first: firstOut.value.error.name, events };
  });
  assert.equal(r.fifth, 'QueueFullError');
  assert.equal(r.pendingWhileFull, true, 'submit waits while the queue is full');
  assert.deepEqual(r.atSubmit, { freed: true, canceled: 1 }, 'submit resolved once a job ended and made room');
  assert.equal(r.first, 'AbortError');
  assert.ok(r.events.includes('full'));
});

test('run() and submit() share the queue: 5,000 run() calls through a queue of 4 and 100 submits each get their own outcome', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2, queue: 4 });
    const runs = Array.from({ length: 5000 }, (_, i) => pool.run('square', i));
    const submitted = [];
    for (let i = 1; i <= 100; i++) submitted.push([await pool.submit('echo', -i), -i]);
    const values = await Promise.all(runs);
    pool.close();
    const streamed = [];
    for await (const rec of pool.results()) streamed.push([rec.id, rec.value]);
    return { squares: values.every((v, i) => v === i * i), submitted, streamed };
  });
  assert.equal(r.squares, true, 'every run() resolved to its own output');
  const byId = (/** @type {[number, number][]} */ a) => [...a].sort((x, y) => x[0] - y[0]);
  assert.deepEqual(byId(r.streamed), byId(r.submitted), 'results() carries exactly the submitted jobs');
  assert.deepEqual(
    r.submitted.map(([id]) => id),
    Array.from({ length: 100 }, (_, i) => 5001 + i),
    'ids follow submission order without gaps',
  );
});

test('without Atomics.waitAsync the results loop falls back to awaiting the pool, and nothing is lost', async () => {
  const r = await inPage(async ({ Pool }) => {
    const waitAsync = Atomics.waitAsync;
    // @ts-ignore: as in a browser that lacks it, while the pool is made
    delete Atomics.waitAsync;
    let pool;
    try {
      pool = await Pool.create({ workers: 2, queue: 4 });
    } finally {
      Atomics.waitAsync = waitAsync;
    }
    const runs = await Promise.all(Array.from({ length: 500 }, (_, i) => pool.run('square', i)));
    for (let i = 0; i < 50; i++) await pool.submit('echo', i);
    pool.close();
    let streamed = 0;
    for await (const rec of pool.results()) streamed += rec.ok ? 1 : 0;
    return { squares: runs.every((v, i) => v === i * i), streamed };
  });
  assert.equal(r.squares, true, 'every run() resolved to its own output');
  assert.equal(r.streamed, 50, 'results() carried every submitted job');
});

test('AbortSignal, as fetch: a queued job rejects at once with the reason and never runs; a running one once it stops', async () => {
  const r = await inPage(async ({ Pool }) => {
    const until = async (what, f) => {
      const end = performance.now() + 20_000;
      while (!f()) {
        if (performance.now() > end) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const pool = await Pool.create({ workers: 1, queue: 4 });
    const ran = [];
    pool.addEventListener('result', (e) => ran.push(e.detail.value));
    const busyCtl = new AbortController();
    const busy = pool.run('sleep', { ms: 60_000 }, { signal: busyCtl.signal }).catch((e) => `${e.constructor.name} ${e.name}`);
    const queuedCtl = new AbortController();
    const queued = pool.run('echo', 'never', { signal: queuedCtl.signal });
    await until('one job runs and one waits', () => {
      const s = pool.stats();
      return s.busy === 1 && s.queued === 1;
    });
    const reason = new Error('user clicked stop');
    queuedCtl.abort(reason);
    // Within one turn of the event loop, while the worker is still busy.
    const q = await Promise.race([
      queued.then(
        () => 'resolved',
        (e) => (e === reason ? 'rejected with the reason' : `rejected with ${e}`),
      ),
      new Promise((res) => setTimeout(() => res('still pending'), 0)),
    ]);
    const stillBusy = pool.stats().busy;
    busyCtl.abort();
    const busyEnded = await busy;
    const runningCtl = new AbortController();
    const t0 = performance.now();
    const running = pool.run('sleep', { ms: 10_000 }, { signal: runningCtl.signal });
    await until('it runs', () => pool.stats().busy === 1);
    runningCtl.abort('stop');
    const run = await running.then(
      () => 'resolved',
      (e) => e,
    );
    const ms = performance.now() - t0;
    const pre = new AbortController();
    pre.abort('already');
    const early = await pool.run('echo', 1, { signal: pre.signal }).catch((e) => e);
    await pool.onIdle();
    return { q, stillBusy, busyEnded, run, ms, early, ran, stats: pool.stats() };
  });
  assert.equal(r.q, 'rejected with the reason');
  assert.equal(r.stillBusy, 1, 'the running job was still running when the queued one settled');
  assert.equal(r.busyEnded, 'DOMException AbortError', 'no reason given: a DOMException named AbortError');
  assert.equal(r.run, 'stop');
  assert.ok(r.ms < 5000, `the running job stopped early (${r.ms} ms)`);
  assert.equal(r.early, 'already');
  assert.deepEqual(r.ran, [], 'the queued job never ran');
  assert.equal(r.stats.canceled, 3);
});

test('timeouts, retries and panics', async () => {
  const r = await inPage(async ({ Pool, PanicError, TimeoutError, JobError }) => {
    const pool = await Pool.create({ workers: 2, retry: { attempts: 3, baseMs: 1, maxMs: 2 } });
    const t = await pool.run('sleep', { ms: 10_000 }, { timeoutMs: 50 }).catch((e) => e);
    const f = await pool.run('fail', { message: 'boom' }).catch((e) => e);
    const p = await pool.run('panic', { message: 'kernel bug' }).catch((e) => e);
    const after = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run('square', i)));
    return {
      timeout: [t instanceof TimeoutError, t.name],
      fail: [f instanceof JobError, f.message],
      panic: [p instanceof PanicError, p instanceof Error, p.message],
      after: after.every((v, i) => v === i * i),
      retried: pool.stats().retried,
    };
  });
  assert.deepEqual(r.timeout, [true, 'TimeoutError']);
  assert.deepEqual(r.fail, [true, 'boom']);
  assert.deepEqual(r.panic, [true, true, 'kernel bug']);
  assert.equal(r.after, true, 'the next 100 jobs after a panic succeed');
  assert.equal(r.retried, 2, 'fail was retried twice (3 attempts)');
});

test('JavaScript handlers run on the workers: sync, async, throwing, timed out, aborted, retried', async () => {
  const r = await inPage(async ({ Pool, JobError, TimeoutError, AbortError }) => {
    const handlers = new URL('/tests/pages/handlers.js', location.href);
    const pool = await Pool.create({ workers: 1, handlers, retry: { attempts: 3, baseMs: 1, maxMs: 2 } });
    const caught = (/** @type {Promise<unknown>} */ p) => p.then(() => null, (e) => e);
    const boom = await caught(pool.run('boom', 'x'));
    const timedOut = await caught(pool.run('waitForAbort', null, { timeoutMs: 50 }));
    const ctl = new AbortController();
    const aborted = caught(pool.run('waitForAbort', null, { signal: ctl.signal }));
    setTimeout(() => ctl.abort(new Error('stop now')), 30);
    const abort = await aborted;
    const notData = await caught(pool.run('notData', null));
    const flaky = pool.submit('flaky', null);
    await flaky;
    pool.close();
    const records = [];
    for await (const rec of pool.results()) records.push(rec);
    const inline = await Pool.create({ workers: 2, handlers: 'export const triple = (x) => x * 3;' });
    return {
      double: await (async () => {
        const p = await Pool.create({ workers: 2, handlers });
        const out = {
          double: await Promise.all([1, 2, 3, 4].map((n) => p.run('double', n))),
          where: await p.run('where', null),
          later: await p.run('later', { ms: 30, value: 'done' }),
          sum: await p.run('sum', new Uint8Array([1, 2, 3])),
          builtin: await p.run('square', 9),
        };
        await p.drain();
        return out;
      })(),
      boom: [boom instanceof JobError, boom.name, boom.message, String(boom.stack).includes('handlers.js')],
      timedOut: timedOut instanceof TimeoutError,
      abort: [abort instanceof Error && !(abort instanceof AbortError), abort.message],
      aborts: await (async () => {
        const p = await Pool.create({ workers: 1, handlers });
        await p.run('double', 1); // the worker has imported the module
        await caught(p.run('waitForAbort', null, { timeoutMs: 20 }));
        return p.run('abortsSeen', null);
      })(),
      notData: [notData instanceof JobError, notData.message],
      flaky: records.map((rec) => [rec.kind, rec.ok, rec.value, rec.attempts]),
      triple: await inline.run('triple', 5),
    };
  });
  assert.deepEqual(r.double, { double: [2, 4, 6, 8], where: 'worker', later: 'done', sum: 6, builtin: 81 });
  assert.deepEqual(r.boom, [true, 'JobError', 'boom: cannot handle "x"', true]);
  assert.equal(r.timedOut, true);
  assert.deepEqual(r.abort, [true, 'stop now']);
  assert.equal(r.aborts, 1, "the handler's signal was aborted at the timeout");
  assert.equal(r.notData[0], true);
  assert.match(r.notData[1], /^output: a function \(anonymous\) cannot be cloned \(returned by handler "notData"\)$/);
  assert.deepEqual(r.flaky, [['flaky', true, 3, 3]], 'two failures, retried, third attempt succeeds');
  assert.equal(r.triple, 15);
});

test('rayonThreads: mandelbrot renders its rows on a rayon pool and matches the plain computation', async () => {
  const r = await inPage(async ({ Pool }) => {
    const input = { x: -2.2, y: -1.2, width: 120, height: 90, scale: 0.027, maxIter: 200, parallel: true };
    /** The same escape-time loop, computed on the page. */
    const expected = new Uint16Array(input.width * input.height);
    for (let j = 0; j < input.height; j++) {
      for (let i = 0; i < input.width; i++) {
        const cr = input.x + i * input.scale;
        const ci = input.y + j * input.scale;
        let zr = 0;
        let zi = 0;
        let n = 0;
        while (n < input.maxIter && zr * zr + zi * zi <= 4) {
          const t = zr * zr - zi * zi + cr;
          zi = 2 * zr * zi + ci;
          zr = t;
          n++;
        }
        expected[j * input.width + i] = n;
      }
    }
    const bad = await Pool.create({ rayonThreads: -1 }).catch((e) => `${e.name}: ${e.message}`);
    const pool = await Pool.create({ workers: 2, rayonThreads: 2 });
    const outs = await Promise.all([0, 1, 2].map(() => pool.run('mandelbrot', input)));
    return {
      bad,
      same: outs.map((m) => m instanceof Uint16Array && m.length === expected.length && m.every((v, k) => v === expected[k])),
      inside: expected.filter((v) => v === input.maxIter).length,
    };
  });
  assert.match(r.bad, /^RangeError: option "rayonThreads" must be between 0 and 256/);
  assert.deepEqual(r.same, [true, true, true]);
  assert.ok(r.inside > 100, 'the view holds part of the set');
});

test('rate limit spaces job starts', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2, rateLimit: { perSecond: 50, burst: 1 } });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 11 }, (_, i) => pool.run('echo', i)));
    return { ms: performance.now() - t0, waits: pool.stats().rateLimitedWaits };
  });
  assert.ok(r.ms >= 190, `11 starts at 50/s take at least 200 ms, took ${r.ms}`);
  assert.ok(r.waits >= 8, `rate-limited waits ${r.waits}`);
});

test('group: the first failure aborts the rest and wait() rejects with it', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 3 });
    const g = pool.group();
    const slow = [g.go('sleep', { ms: 10_000 }), g.go('sleep', { ms: 10_000 })];
    await new Promise((r) => setTimeout(r, 50));
    g.go('fail', { message: 'first failure' });
    const t0 = performance.now();
    const err = await g.wait().catch((e) => e);
    const siblings = await Promise.all(slow.map((p) => p.catch((e) => e.name)));
    const ok = pool.group({ limit: 2 });
    const vals = [1, 2, 3, 4].map((i) => ok.go('square', i));
    return {
      err: [err.name, err.message],
      ms: performance.now() - t0,
      siblings,
      values: await ok.wait(),
      each: await Promise.all(vals),
    };
  });
  assert.deepEqual(r.err, ['JobError', 'first failure']);
  assert.ok(r.ms < 5000, `siblings were aborted, not waited for (${r.ms} ms)`);
  assert.deepEqual(r.siblings, ['AbortError', 'AbortError']);
  assert.deepEqual(r.values, [1, 4, 9, 16]);
  assert.deepEqual(r.each, [1, 4, 9, 16]);
});

test('group: the first failure cancels its siblings in the workers while the page is blocked', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2 });
    /** @type {Record<string, any>[]} */
    const records = [];
    pool.addEventListener('error', (e) => records.push(/** @type {CustomEvent} */ (e).detail));
    const g = pool.group();
    const sleeper = g.go('sleep', { ms: 10_000 });
    g.go('sleep', { ms: 200 });
    const failing = g.go('fail', { message: 'boom' }); // starts when the 200 ms sleep ends
    const squares = [1, 2, 3].map((i) => g.go('square', i));
    // Both sleeps are running (the workers are up) and the rest are queued.
    while (pool.running().length < 2) await new Promise((r) => setTimeout(r, 5));
    // The page's thread is busy for 1.5 s: whatever cancels the siblings
    // meanwhile happens in the workers.
    const t0 = performance.now();
    while (performance.now() - t0 < 1500);
    const err = await g.wait().catch((e) => e);
    const sib = await Promise.all([sleeper, ...squares].map((p) => p.catch((e) => e)));
    const failed = await failing.catch((e) => e);
    const byKind = (k) => records.filter((x) => x.kind === k);
    return {
      err: [err.name, err.message, err === failed],
      siblings: sib.map((e) => [e.name, e.message, e.cause === failed]),
      sleeperRunMs: byKind('sleep').find((x) => x.error)?.runMs,
      squaresStarted: byKind('square').map((x) => x.startedAt),
      signal: g.signal.aborted,
    };
  });
  assert.deepEqual(r.err, ['JobError', 'boom', true]);
  for (const s of r.siblings) assert.deepEqual(s, ['AbortError', 'canceled by the first failure in its group', true]);
  assert.ok(r.sleeperRunMs < 1000, `the sleeper was canceled at the failure, ~200 ms in, not when the page was free (ran ${r.sleeperRunMs} ms)`);
  assert.deepEqual(r.squaresStarted, [null, null, null], 'the queued siblings never started');
  assert.equal(r.signal, true);
});

test('resize, stats, metricsText, events, close, drain and terminate', async () => {
  const r = await inPage(async ({ Pool, PoolClosedError }) => {
    const pool = await Pool.create({ workers: 1, queue: 8 });
    const seen = { result: 0, error: 0, idle: 0 };
    for (const k of Object.keys(seen)) pool.addEventListener(k, () => (seen[k] += 1));
    pool.resize(3);
    // Long enough for the two new Web Workers to start on a loaded machine.
    const sleeping = [0, 1, 2].map(() => pool.run('sleep', { ms: 2000 }));
    let busy = 0;
    const end = performance.now() + 20_000;
    while (busy < 3 && performance.now() < end) {
      busy = pool.stats().busy;
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sleeping);
    await pool.run('fail', {}).catch(() => {});
    // With result/error listeners, results() keeps what ends after its first
    // call: start reading before submitting.
    const results = [];
    const reading = (async () => {
      for await (const res of pool.results()) results.push(res.ok);
    })();
    for (let i = 0; i < 5; i++) await pool.submit('echo', i);
    const doomed = await Promise.all([pool.submit('sleep', { ms: 100 })]);
    pool.close();
    const closed = await pool.run('echo', 1).catch((e) => e instanceof PoolClosedError);
    await reading;
    await pool.drain();
    const s = pool.stats();
    const t = await Pool.create({ workers: 1, queue: 8 });
    const queued = [0, 1, 2].map(() => t.run('sleep', { ms: 1000 }).catch((e) => e.name));
    await new Promise((r) => setTimeout(r, 50));
    const gone = await t.terminate().then(() => 'resolved');
    const after = await t.run('echo', 1).catch((e) => e.name);
    return {
      gone,
      after,
      busy,
      closed,
      results,
      doomed: doomed.length,
      seen,
      s,
      adds: s.submitted === s.succeeded + s.failed + s.canceled + s.timedOut + s.panicked,
      text: pool.metricsText(),
      terminated: await Promise.all(queued),
    };
  });
  assert.equal(r.busy, 3, 'resize(3) ran three jobs at once');
  assert.equal(r.closed, true);
  assert.equal(r.results.length, 6);
  assert.ok(r.adds, JSON.stringify(r.s));
  assert.equal(r.s.submitted, 10);
  assert.equal(r.s.failed, 1);
  assert.ok(r.s.run.p50 > 0 && r.s.run.p99 >= r.s.run.p50);
  assert.ok(r.seen.result >= 8 && r.seen.error === 1 && r.seen.idle >= 1, JSON.stringify(r.seen));
  assert.match(r.text, /brigade_pool_jobs_total\{outcome="submitted"\} 10/);
  assert.deepEqual(r.terminated, ['AbortError', 'AbortError', 'AbortError']);
  assert.equal(r.gone, 'resolved', 'terminate() resolves once the workers are gone');
  assert.equal(r.after, 'PoolClosedError');
});

test('stats().saturationSeries: 1 while both workers sleep, 0 once they are done', async () => {
  const r = await inPage(async ({ Pool }) => {
    const windowMs = 50;
    const pool = await Pool.create({ workers: 2, saturationWindowMs: windowMs });
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    // The window before the current one, 3+ windows into a phase, lies
    // wholly inside it: its saturation is exact.
    const settled = () => pause(4 * windowMs).then(() => pool.stats());
    // The jobs end when the test aborts them, not after a time: however
    // slowly the workers start, both are busy until then.
    const stop = new AbortController();
    const sleep = () => pool.run('sleep', { ms: 60_000 }, { signal: stop.signal }).catch((e) => e.name);
    const sleeping = [0, 1].map(sleep);
    let start = pool.stats();
    const end = performance.now() + 20_000;
    while (start.busy < 2) {
      if (performance.now() > end) throw new Error('both workers never ran at once');
      start = (await pause(5), pool.stats());
    }
    const busy = await settled();
    stop.abort();
    const ended = await Promise.all(sleeping);
    const idle = await settled();
    const later = await settled();
    pool.terminate();
    return { start, busy, ended, idle, later };
  });
  assert.deepEqual(r.ended, ['AbortError', 'AbortError']);
  const prev = (s) => s.saturationSeries[s.saturationSeries.length - 2];
  assert.equal(prev(r.busy), 1, JSON.stringify(r.busy.saturationSeries));
  assert.equal(prev(r.idle), 0, JSON.stringify(r.idle.saturationSeries));
  assert.equal(r.idle.saturationWindowMs, 50);
  // `saturation` is busy ÷ alive time since the pool started: it climbs
  // while both workers are busy and falls while they idle. (How it compares
  // across phases depends on how long the workers took to start.)
  assert.ok(r.busy.saturation > r.start.saturation, JSON.stringify(r));
  assert.ok(r.later.saturation > 0 && r.later.saturation < r.idle.saturation, JSON.stringify(r));
});

test('exactly once: 100,000 jobs with failures, 1,000 panics and cancellations from the page; the pool keeps its workers', async () => {
  const r = await inPage(async ({ Pool }) => {
    const N = 100_000;
    const pool = await Pool.create({ workers: 2, queue: 256 });
    const seen = new Uint8Array(N + 1);
    let dup = 0;
    let ok = 0;
    let failed = 0;
    let panicked = 0;
    let canceled = 0;
    const consume = (async () => {
      for await (const res of pool.results()) {
        if (seen[res.id]) dup += 1;
        seen[res.id] = 1;
        if (res.ok) ok += 1;
        else if (res.error.name === 'AbortError') canceled += 1;
        else if (res.error.name === 'PanicError') panicked += 1;
        else failed += 1;
      }
    })();
    const aborters = [];
    for (let i = 1; i <= N; i++) {
      const ctl = i % 101 === 0 ? new AbortController() : undefined;
      // Every 100th job panics (1,000 in all; none of them is aborted).
      const kind = i % 100 === 0 ? 'panic' : i % 97 === 0 ? 'fail' : 'echo';
      const input = kind === 'panic' ? { message: `panic ${i}` } : i;
      const id = await pool.submit(kind, input, ctl ? { signal: ctl.signal } : undefined);
      if (ctl) aborters.push(() => ctl.abort());
      if (id !== i) throw new Error(`ids are issued in order: ${id} != ${i}`);
      if (i % 5000 === 0) aborters.splice(0).forEach((a) => a());
    }
    aborters.forEach((a) => a());
    const live = pool.stats().workers;
    pool.close();
    await consume;
    let missing = 0;
    for (let i = 1; i <= N; i++) if (!seen[i]) missing += 1;
    const stats = pool.stats();
    return { dup, missing, ok, failed, panicked, canceled, total: ok + failed + panicked + canceled, stats, workers: pool.workers, live };
  });
  assert.equal(r.dup, 0, 'no id got two results');
  assert.equal(r.missing, 0, 'every id got a result');
  assert.equal(r.total, 100_000);
  assert.ok(r.failed > 900, `failures ${r.failed}`);
  assert.equal(r.panicked, 1000, 'every 100th job panicked');
  assert.equal(r.stats.submitted, 100_000);
  assert.equal(r.stats.succeeded, r.ok);
  assert.equal(r.stats.panicked, 1000);
  assert.deepEqual([r.workers, r.live], [2, 2], 'the panics cost no worker');
});

test('transfer: listed ArrayBuffers are detached once the input is copied in, as postMessage does; a bad list is refused', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1, queue: 1 });
    const bytes = new Uint8Array([1, 2, 3]);
    const echoed = await pool.run('echo', bytes, { transfer: [bytes.buffer] });
    const big = new Float64Array(1000).fill(0.5);
    const id = pool.trySubmit('echo', big, { transfer: [big.buffer] });
    const errs = [];
    for (const transfer of ['x', [new Uint8Array(2)], [bytes.buffer], (() => { const b = new ArrayBuffer(4); return [b, b]; })()]) {
      try {
        await pool.run('echo', 1, { transfer });
        errs.push('accepted');
      } catch (e) {
        errs.push(`${e.name}: ${e.message}`);
      }
    }
    await pool.drain();
    return { echoed: [...echoed], detached: [bytes.buffer.detached, bytes.byteLength, big.buffer.detached], id: typeof id, errs };
  });
  assert.deepEqual(r.echoed, [1, 2, 3]);
  assert.deepEqual(r.detached, [true, 0, true]);
  assert.equal(r.id, 'number');
  assert.deepEqual(r.errs, [
    'TypeError: option "transfer" must be an array of ArrayBuffers, got "x"',
    'TypeError: option "transfer": item 0 must be an ArrayBuffer, got [object Uint8Array]',
    'DataCloneError: option "transfer": ArrayBuffer 0 is detached',
    'DataCloneError: option "transfer": ArrayBuffer 1 is listed twice',
  ]);
});

test('results carry startedAt and endedAt on the page clock; running() lists busy workers; stats have buckets', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2, queue: 4 });
    // Warm both workers, so their start-up is not in the times below.
    await Promise.all([pool.run('sleep', { ms: 1 }), pool.run('sleep', { ms: 1 })]);
    const before = performance.now();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await pool.submit('sleep', { ms: 150 }));
    const end = performance.now() + 10_000;
    let running = pool.running();
    while (running.length < 2 && performance.now() < end) {
      await new Promise((res) => setTimeout(res, 5));
      running = pool.running();
    }
    const seenAt = performance.now();
    pool.close();
    const results = [];
    for await (const res of pool.results()) results.push(res);
    const after = performance.now();
    return { before, after, seenAt, ids, running, results, stats: pool.stats(), idle: pool.running() };
  });
  // The third sleep waits for a worker: it starts when one of the first two ends.
  const byId = new Map(r.results.map((x) => [x.id, x]));
  const [a, b, c] = r.ids.map((id) => byId.get(id));
  // The workers' clocks are the page's (each thread reads performance.now()
  // from its own time origin, which browsers coarsen): allow 2 ms of skew.
  const skew = 2;
  for (const x of [a, b, c]) {
    assert.ok(x.startedAt >= r.before - skew && x.endedAt <= r.after + skew, `within the run: ${JSON.stringify(x)} ${JSON.stringify([r.before, r.after])}`);
    assert.ok(Math.abs(x.endedAt - x.startedAt - x.runMs) < 0.5, 'endedAt - startedAt = runMs');
    assert.ok(x.runMs >= 145, `slept: ${x.runMs}`);
  }
  assert.ok(c.startedAt >= Math.min(a.endedAt, b.endedAt) - 2, 'the third started after a worker freed');
  assert.ok(c.queuedMs >= 100, `the third waited in the queue: ${c.queuedMs}`);
  assert.equal(r.running.length, 2, JSON.stringify(r.running));
  assert.deepEqual(r.running.map((x) => x.worker).sort(), [0, 1]);
  for (const x of r.running) {
    const done = byId.get(x.id);
    assert.ok(done, `running id ${x.id} is a submitted job`);
    assert.equal(done.worker, x.worker, 'the worker it ran on');
    assert.ok(Math.abs(done.startedAt - x.startedAt) < 20, `same start: ${done.startedAt} vs ${x.startedAt}`);
    assert.ok(x.startedAt <= r.seenAt);
  }
  assert.deepEqual(r.idle, [], 'nothing runs once every result is out');
  const w = r.stats.run;
  assert.equal(w.count, 5);
  assert.ok(w.max >= 145);
  assert.equal(w.buckets.length, 16);
  assert.ok(w.buckets.every((x, i) => i === 0 || (x.le > w.buckets[i - 1].le && x.count >= w.buckets[i - 1].count)));
  const le250 = w.buckets.find((x) => x.le === 250);
  assert.equal(le250?.count, 5, 'every run took at most 250 ms');
  assert.equal(w.buckets.find((x) => x.le === 100)?.count, 2, 'two runs of about 1 ms');
});

test('a job whose signal aborts while it waits for room rejects at once with the reason and never runs', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1, queue: 1 });
    const seen = [];
    pool.addEventListener('result', (e) => seen.push(e.detail.value));
    await pool.submit('sleep', { ms: 300 }); // the worker
    await pool.submit('sleep', { ms: 1 }); // the queue's one slot
    const ctl = new AbortController();
    const waiting = pool.submit('echo', 'late', { signal: ctl.signal });
    ctl.abort('changed my mind');
    const outcome = await waiting.then(
      (id) => `queued as ${id}`,
      (e) => `rejected: ${e}`,
    );
    await pool.onIdle();
    const s = pool.stats();
    return { outcome, seen, s };
  });
  assert.equal(r.outcome, 'rejected: changed my mind');
  assert.equal(r.seen.includes('late'), false, 'it never ran');
  // The pool may already have been taking it when the signal aborted; then
  // it ends there canceled, before it starts.
  assert.equal(r.s.succeeded + r.s.canceled, r.s.submitted);
  assert.equal(r.s.succeeded, 2);
});

test('one abort listener per signal at most, and none once 10,000 jobs with signals have ended', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2, queue: 64 });
    const ctl = new AbortController();
    const count = { now: 0, most: 0, adds: 0 };
    const add = ctl.signal.addEventListener.bind(ctl.signal);
    const remove = ctl.signal.removeEventListener.bind(ctl.signal);
    ctl.signal.addEventListener = (...a) => {
      count.now += 1;
      count.adds += 1;
      count.most = Math.max(count.most, count.now);
      return add(...a);
    };
    ctl.signal.removeEventListener = (...a) => {
      count.now -= 1;
      return remove(...a);
    };
    const runs = [];
    const reading = (async () => {
      let n = 0;
      for await (const _ of pool.results()) n += 1;
      return n;
    })();
    for (let i = 0; i < 5000; i++) {
      await pool.submit('echo', i, { signal: ctl.signal });
      runs.push(pool.run('echo', i, { signal: ctl.signal }));
    }
    await Promise.all(runs);
    pool.close();
    return { n: await reading, count };
  });
  assert.equal(r.n, 5000);
  assert.equal(r.count.most, 1, `listeners on the signal at once: ${r.count.most}`);
  assert.equal(r.count.now, 0, 'none left once every job ended');
  assert.ok(r.count.adds >= 1);
});

test('a wrong kind is a TypeError naming it, and the pool then runs a job', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1 });
    const out = [];
    for (const call of [
      () => pool.run(123, 1),
      () => pool.submit(undefined, 1),
      () => pool.trySubmit({ kind: 'echo' }, 1),
      () => pool.run('no-such-kind', 1),
      () => pool.run('echo', 1, { timeoutMS: 5 }),
      () => pool.cancel('7'),
    ]) {
      try {
        await call();
        out.push('no error');
      } catch (e) {
        out.push(`${e.name}: ${e.message}`);
      }
    }
    return { out, after: await pool.run('echo', 'still here') };
  });
  assert.match(r.out[0], /^TypeError: argument "kind" must be a job kind \(a string\), got number 123/);
  assert.match(r.out[1], /^TypeError: argument "kind" must be a job kind \(a string\), got undefined/);
  assert.match(r.out[2], /^TypeError: argument "kind" must be a job kind/);
  assert.match(r.out[3], /^TypeError: unknown job kind "no-such-kind"; this pool runs: echo, sleep/);
  assert.match(r.out[4], /^TypeError: unknown job option "timeoutMS"/);
  assert.match(r.out[5], /^TypeError: argument "id" must be a job id/);
  assert.equal(r.after, 'still here');
});

test('after a trap in the module, calls reject with PoolClosedError instead of hanging', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1 });
    await pool.run('echo', 1);
    const glue = await import('/web/pkg/brigade_wasm.js');
    let trap;
    try {
      glue.__brigadeTrapForTests();
    } catch (e) {
      trap = `${e.constructor.name}: ${e.message}`;
    }
    const settle = (p) =>
      Promise.race([
        Promise.resolve(p).then(
          (v) => `resolved ${v}`,
          (e) => `${e.name}: ${e.message} (cause: ${e.cause?.constructor?.name})`,
        ),
        new Promise((res) => setTimeout(() => res('hung'), 3000)),
      ]);
    const after = [];
    for (const call of [() => pool.run('echo', 2), () => pool.stats(), () => pool.submit('echo', 3)]) {
      try {
        after.push(await settle(call()));
      } catch (e) {
        after.push(`${e.name}: ${e.message} (cause: ${e.cause?.constructor?.name})`);
      }
    }
    return { trap, after };
    // A worker that starts after the deliberate trap says so.
  }, { allow: /RuntimeError: unreachable|Module terminated/ });
  assert.match(r.trap ?? '', /RuntimeError/);
  for (const a of r.after) assert.match(a, /^PoolClosedError: the pool is closed: its WebAssembly module trapped/, JSON.stringify(r.after));
});

test('events fire for every job with nobody reading results(), which then keeps nothing; idle, onIdle, getters, for await, await using', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 2, queue: 4 });
    const seen = { result: 0, error: 0, idle: 0 };
    for (const k of Object.keys(seen)) pool.addEventListener(k, () => (seen[k] += 1));
    const idleAtStart = await Promise.race([pool.onIdle().then(() => 'idle'), new Promise((r) => setTimeout(() => r('waiting'), 50))]);
    for (let i = 0; i < 200; i++) await pool.submit(i % 10 === 0 ? 'fail' : 'echo', i % 10 === 0 ? { message: 'no' } : i);
    const gauges = { size: pool.size, pending: pool.pending, workers: pool.workers, capacity: pool.capacity };
    await pool.onIdle();
    const afterIdle = { ...seen };
    pool.close();
    // Every outcome went out as an event and nobody read results(): nothing
    // was kept for it.
    const late = [];
    for await (const x of pool.results()) late.push(x);
    // for await over the pool is results(); `await using` closes and drains.
    // (Node 20, which runs this file, cannot parse `await using`: the
    // browser compiles that part.)
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    const disposal = new AsyncFunction(
      'Pool',
      `let count = 0;
      let pool;
      let reading;
      {
        await using p = await Pool.create({ workers: 1 });
        pool = p;
        reading = (async () => {
          for await (const _ of p) count += 1;
        })();
        for (let i = 0; i < 5; i++) await p.submit('echo', i);
      }
      await reading;
      return { count, closed: pool.closed, busy: pool.pending };`,
    );
    const disposed = await disposal(Pool);
    return { idleAtStart, gauges, afterIdle, late: late.length, ...disposed };
  });
  assert.equal(r.idleAtStart, 'idle', 'a new pool is idle');
  assert.equal(r.afterIdle.result, 180, 'one result event per job that succeeded');
  assert.equal(r.afterIdle.error, 20, 'one error event per job that failed');
  // Each time the producer fell behind the workers, the pool went idle.
  assert.ok(r.afterIdle.idle >= 1, `idle events: ${r.afterIdle.idle}`);
  assert.equal(r.gauges.workers, 2);
  assert.equal(r.gauges.capacity, 4);
  assert.ok(r.gauges.size >= 0 && r.gauges.size <= 4 && r.gauges.pending >= 0 && r.gauges.pending <= 2, JSON.stringify(r.gauges));
  assert.equal(r.late, 0, 'results() keeps nothing from before its first call while events are heard');
  assert.equal(r.count, 5, 'for await over the pool read every result, and await using drained it');
  assert.equal(r.closed, true);
});

test('job errors carry jobId and kind; a handler error is the cause, with its name, message, stack and own data', async () => {
  const r = await inPage(async ({ Pool, JobError, PanicError, TimeoutError }) => {
    const handlers = new URL('/tests/pages/handlers.js', location.href);
    const pool = await Pool.create({ workers: 1, handlers });
    const caught = (p) => p.then(() => null, (e) => e);
    const boom = await caught(pool.run('boom', 'x'));
    const panic = await caught(pool.run('panic', { message: 'oh no' }));
    const slow = await caught(pool.run('sleep', { ms: 5_000 }, { timeoutMs: 20 }));
    const nested = await caught(pool.run('nested', 'x'));
    const c = nested.cause;
    const coded = await caught(pool.run('coded', 'y'));
    const own = coded.cause;
    return {
      coded: [own.name, own.message, own.code, own.detail, 'callback' in own, Object.keys(own).sort()],
      nested: [nested.name, c?.name, c?.message, c?.cause?.name, c?.cause?.message, c?.cause?.cause?.code],
      boom: [boom instanceof JobError, boom.jobId, boom.kind, boom.cause?.name, boom.cause?.message, String(boom.cause?.stack).includes('handlers.js')],
      panic: [panic instanceof PanicError, panic.jobId, panic.kind],
      slow: [slow instanceof TimeoutError, slow.jobId, slow.kind],
    };
  });
  assert.deepEqual(r.boom, [true, 1, 'boom', 'RangeError', 'boom: cannot handle "x"', true]);
  assert.deepEqual(r.panic, [true, 2, 'panic']);
  assert.deepEqual(r.slow, [true, 3, 'sleep']);
  assert.deepEqual(r.nested, ['JobError', 'Error', 'outer', 'RangeError', 'no x', 42], 'the cause chain crossed');
  assert.deepEqual(
    r.coded,
    ['TypeError', 'bad y', 'E42', { retryable: false, at: [1, 2] }, false, ['code', 'detail']],
    'own data properties crossed; a function did not',
  );
});

test('job data: every type structured clone carries round-trips through echo and a JavaScript handler; a function input is refused with its path', async () => {
  const r = await inPage(async ({ Pool }) => {
    // Where a and b differ ('' if nowhere): types and prototypes, Object.is
    // (NaN, -0), typed arrays and views by element, holes, key order, Map and
    // Set order, an Error's name, own message, stack and cause.
    const difference = (a, b, at = '$') => {
      if (typeof a !== typeof b) return `${at}: ${typeof a} vs ${typeof b}`;
      if (typeof a !== 'object' || a === null || b === null) {
        return Object.is(a, b) ? '' : `${at}: ${String(a)} vs ${String(b)}`;
      }
      const tag = Object.prototype.toString.call(a);
      if (tag !== Object.prototype.toString.call(b)) return `${at}: ${tag} vs ${Object.prototype.toString.call(b)}`;
      const [pa, pb] = [Object.getPrototypeOf(a), Object.getPrototypeOf(b)];
      if (pa !== pb && !(pa === null && pb === Object.prototype)) return `${at}: prototypes differ`;
      if (ArrayBuffer.isView(a) || tag === '[object ArrayBuffer]') {
        const bytes = (v) => (ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v));
        const [x, y] = [bytes(a), bytes(b)];
        if (x.length !== y.length || x.some((byte, i) => byte !== y[i])) return `${at}: bytes differ`;
        if (ArrayBuffer.isView(a) && tag !== '[object DataView]') {
          for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${at}[${i}]: ${a[i]} vs ${b[i]}`;
        }
        return '';
      }
      switch (tag) {
        case '[object Date]':
          return Object.is(a.getTime(), b.getTime()) ? '' : `${at}: ${a.getTime()} vs ${b.getTime()}`;
        case '[object RegExp]':
          return `${a}` === `${b}` && a.lastIndex === b.lastIndex ? '' : `${at}: ${a} vs ${b}`;
        case '[object Number]':
        case '[object String]':
        case '[object Boolean]':
        case '[object BigInt]':
          return difference(a.valueOf(), b.valueOf(), `${at}.valueOf()`);
        case '[object Map]':
        case '[object Set]': {
          const [x, y] = [[...a], [...b]];
          if (x.length !== y.length) return `${at}: size ${x.length} vs ${y.length}`;
          for (let i = 0; i < x.length; i++) {
            const d = difference(x[i], y[i], `${at}.entries()[${i}]`);
            if (d) return d;
          }
          return '';
        }
        case '[object Error]':
          for (const k of ['name', 'message', 'stack']) if (a[k] !== b[k]) return `${at}.${k}: ${a[k]} vs ${b[k]}`;
          for (const k of ['message', 'cause']) if (Object.hasOwn(a, k) !== Object.hasOwn(b, k)) return `${at}: own ${k} differs`;
          return difference(a.cause, b.cause, `${at}.cause`);
        case '[object Array]':
          if (a.length !== b.length) return `${at}: length ${a.length} vs ${b.length}`;
      }
      const [ka, kb] = [Object.keys(a), Object.keys(b)];
      if (ka.join('\0') !== kb.join('\0')) return `${at}: keys ${JSON.stringify(ka)} vs ${JSON.stringify(kb)}`;
      for (const k of ka) {
        const d = difference(a[k], b[k], `${at}[${JSON.stringify(k)}]`);
        if (d) return d;
      }
      return '';
    };
    const buf = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
    const holes = [1, , 3];
    holes.length = 6;
    const nullProto = Object.assign(Object.create(null), { x: 1 });
    const values = [
      ['undefined', undefined],
      ['null', null],
      ['booleans', [true, false]],
      ['numbers', [1.5, NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, 5e-324]],
      ['bigints', [0n, -42n, 2n ** 64n, -(2n ** 200n) + 1n]],
      ['strings', ['', 'héllo 🌍', 'a\uD800b', '\uDC00\uD800']],
      ['Dates', [new Date(1_700_000_000_123), new Date(NaN)]],
      ['RegExp', /a+\/b/giu],
      ['primitive wrappers', [new Number(-0), new String('s'), new Boolean(false), Object(10n ** 30n)]],
      ['Int8Array', new Int8Array([-128, 127])],
      ['Uint8Array', new Uint8Array([0, 255])],
      ['Uint8ClampedArray', new Uint8ClampedArray([0, 128, 255])],
      ['Int16Array', new Int16Array([-32768, 32767])],
      ['Uint16Array', new Uint16Array([0, 65535])],
      ['Int32Array', new Int32Array([-2147483648, 2147483647])],
      ['Uint32Array', new Uint32Array([0, 4294967295])],
      ['Float32Array', new Float32Array([1.5, -0, NaN, Infinity])],
      ['Float64Array', new Float64Array([1.5, -0, NaN, -Infinity])],
      ['BigInt64Array', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
      ['BigUint64Array', new BigUint64Array([0n, 2n ** 64n - 1n])],
      ['typed array over part of a buffer', new Uint16Array(buf, 2, 2)],
      ['ArrayBuffer', buf],
      ['DataView', new DataView(buf, 1, 4)],
      ['array with holes', holes],
      ['huge sparse array', Object.assign([], { 4294967294: 'last' })],
      ['object', { a: 1, u: undefined, n: null, 2: 'two', 'two words': { deep: [{ x: [1] }] } }],
      ['null-prototype object', nullProto],
      ['own __proto__ key', JSON.parse('{"__proto__": {"x": 1}}')],
      ['symbol keys are dropped', { [Symbol('s')]: 1, kept: 2 }],
      ['Map', new Map([[1, 'a'], [{ k: 1 }, [2]], [NaN, undefined], [2n, new Date(0)]])],
      ['Set', new Set([1, '1', undefined, { a: 1 }, 5n])],
      ['Error', new Error('boom')],
      ['Error without a message', new Error()],
      ['RangeError with a cause', new RangeError('r', { cause: { code: 7, when: new Date(0) } })],
      ['TypeError caused by a SyntaxError', new TypeError('outer', { cause: new SyntaxError('inner') })],
      ['Error subclass', new (class MyError extends Error {})('mine')],
    ];
    if (typeof globalThis.Float16Array === 'function') {
      values.push(['Float16Array', new globalThis.Float16Array([1.5, -0, NaN, 65504])]);
    }
    values.push(['all of it nested', { list: values.map(([, v]) => v), byName: new Map(values) }]);

    const handlers = new URL('/tests/pages/handlers.js', location.href);
    const pool = await Pool.create({ workers: 2, handlers });
    const out = { count: values.length, echo: [], handler: [] };
    for (const [name, v] of values) {
      const want = structuredClone(v);
      for (const [via, kind] of [['echo', 'echo'], ['handler', 'same']]) {
        try {
          const d = difference(await pool.run(kind, v), want);
          if (d) out[via].push(`${name}: ${d}`);
        } catch (e) {
          out[via].push(`${name}: ${e.name}: ${e.message}`);
        }
      }
    }
    const refusal = (p) => p.then(() => 'accepted', (e) => ({ name: e.name, message: e.message }));
    out.fn = await refusal(pool.run('echo', { items: [0, 1, 2, { when: () => 1 }] }));
    out.fnToHandler = await refusal(pool.run('same', [new Map([['k', Symbol('v')]])]));
    out.output = await refusal(pool.run('notData', null));
    out.after = await pool.run('echo', 'still serving');
    await pool.drain();
    return out;
  });
  assert.ok(r.count >= 37, `${r.count} values`);
  assert.deepEqual(r.echo, [], 'through the echo kind');
  assert.deepEqual(r.handler, [], 'through a JavaScript handler on a worker');
  assert.match(r.fn.message, /^input\.items\[3\]\.when: a function \(when\) cannot be cloned$/);
  assert.match(r.fnToHandler.message, /^input\[0\]\.get\("k"\): Symbol\(v\) cannot be cloned$/);
  assert.match(r.output.message, /^output: a function \(anonymous\) cannot be cloned/);
  assert.equal(r.after, 'still serving');
});

test('progress: a handler (and mandelbrot) reports values that reach onProgress and progress events before the result', async () => {
  const r = await inPage(async ({ Pool }) => {
    const handlers = new URL('/tests/pages/handlers.js', location.href);
    const pool = await Pool.create({ workers: 2, handlers });
    const order = [];
    const seen = [];
    const value = await pool.run('steps', { n: 5 }, { onProgress: (v) => order.push(`step ${v.step}/${v.of}`) });
    order.push(`result ${value}`);
    pool.addEventListener('progress', (e) => seen.push([e.detail.kind, e.detail.value.step, typeof e.detail.id]));
    const ids = [await pool.submit('steps', { n: 3 }), await pool.submit('steps', { n: 2 })];
    await pool.onIdle();
    const bad = await pool.run('steps', { n: 1, bad: true }).catch((e) => [e.name, e.cause?.name, e.message]);
    // Nobody asks: the handler's reports go nowhere, and nothing fails.
    const quiet = await Pool.create({ workers: 1, handlers });
    const alone = await quiet.run('steps', { n: 3 });
    const stepEvents = seen.slice();
    // A built-in Rust kind reports too: mandelbrot, the share of rows done.
    const shares = [];
    const image = await pool.run(
      'mandelbrot',
      { x: -2, y: -1, width: 40, height: 60, scale: 0.05, maxIter: 100 },
      { onProgress: (v) => shares.push(v) },
    );
    shares.push(`result of ${image.length}`);
    return { order, seen: stepEvents, ids, bad, alone, shares, mandelbrotEvents: seen.length - stepEvents.length };
  });
  assert.deepEqual(r.order, ['step 1/5', 'step 2/5', 'step 3/5', 'step 4/5', 'step 5/5', 'result 5']);
  assert.equal(r.seen.length, 5, JSON.stringify(r.seen));
  assert.ok(r.seen.every(([kind, , id]) => kind === 'steps' && id === 'number'));
  assert.deepEqual(r.seen.map(([, step]) => step).sort(), [1, 1, 2, 2, 3]);
  assert.equal(r.bad[0], 'JobError');
  assert.equal(r.bad[1], 'TypeError', 'reporting a value that cannot be cloned throws in the handler');
  assert.match(r.bad[2], /^progress: a function/);
  assert.equal(r.alone, 3);
  assert.equal(r.shares.length, 21, JSON.stringify(r.shares));
  assert.deepEqual(r.shares.slice(-2), [1, 'result of 2400']);
  assert.equal(r.mandelbrotEvents, 20, 'and as progress events');
  assert.ok(r.shares.slice(0, 20).every((v, i, a) => typeof v === 'number' && (i === 0 || a[i - 1] < v)), 'rising');
});

test('option limits and defaults come from the module, and the JSDoc and index.d.ts say the same', async () => {
  const rules = await inPage(async ({ Pool }) => {
    await Pool.create({ workers: 1 });
    const { optionRulesOf } = await import('/web/pkg/api/module.js');
    const r = optionRulesOf();
    const tooMany = await Pool.create({ workers: r.workers.max + 1 }).catch((e) => `${e.name}: ${e.message}`);
    return { ...r, tooMany };
  });
  assert.match(rules.tooMany, new RegExp(`^RangeError: option "workers" must be between 1 and ${rules.workers.max}`));
  const dts = readFileSync(join(root, 'wasm', 'npm', 'index.d.ts'), 'utf8');
  const jsdoc = readFileSync(join(root, 'wasm', 'js', 'api', 'options.js'), 'utf8');
  /** The comment on `prop` in interface `iface` of index.d.ts. */
  const dtsDoc = (iface, prop) => {
    const body = dts.slice(dts.indexOf(`export interface ${iface} {`));
    const m = body.match(new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${prop}\\?:`));
    assert.ok(m, `index.d.ts documents ${iface}.${prop}`);
    return m[1].replace(/\s*\*\s*/g, ' ');
  };
  /** The text of `@property ... [prop]` in the JSDoc typedef `type`. */
  const jsDoc = (type, prop) => {
    const body = jsdoc.slice(jsdoc.indexOf(`@typedef {object} ${type}`));
    const m = body.match(new RegExp(`@property \\{[^}]*\\} \\[${prop}\\]((?:(?!@property|@typedef)[\\s\\S])*)`));
    assert.ok(m, `options.js documents ${type}.${prop}`);
    return m[1].replace(/\s*\*\s*/g, ' ');
  };
  const cases = [
    ['RetryOptions', 'attempts', 'retry.attempts'],
    ['RetryOptions', 'baseMs', 'retry.baseMs'],
    ['RetryOptions', 'maxMs', 'retry.maxMs'],
    ['RateLimitOptions', 'burst', 'rateLimit.burst'],
    ['PoolOptions', 'saturationWindowMs', 'saturationWindowMs'],
    ['PoolOptions', 'rayonThreads', 'rayonThreads'],
  ];
  for (const [iface, prop, key] of cases) {
    for (const [where, text] of [
      ['index.d.ts', dtsDoc(iface, prop)],
      ['options.js', jsDoc(iface, prop)],
    ]) {
      assert.match(text, new RegExp(`\\(default ${rules[key].default}\\b`), `${where} ${iface}.${prop}: default ${rules[key].default}`);
    }
  }
  for (const [iface, prop, key] of [
    ['PoolOptions', 'workers', 'workers'],
    ['PoolOptions', 'rayonThreads', 'rayonThreads'],
    ['RetryOptions', 'attempts', 'retry.attempts'],
  ]) {
    for (const text of [dtsDoc(iface, prop), jsDoc(iface, prop)]) {
      assert.match(text, new RegExp(`\\b${rules[key].max}\\b`), `${iface}.${prop}: at most ${rules[key].max}`);
    }
  }
});

test('a trap while calls wait (in the backlog, the queue, on a worker) settles every one of them', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1, queue: 1 });
    const settle = (p) =>
      Promise.race([
        Promise.resolve(p).then(
          (v) => `resolved ${v}`,
          (e) => `${e.name}`,
        ),
        new Promise((res) => setTimeout(() => res('hung'), 5000)),
      ]);
    const calls = [
      pool.run('sleep', { ms: 60_000 }), // on the worker
      pool.run('echo', 1), // in the queue
      pool.run('echo', 2), // waiting for room
      pool.submit('echo', 3),
      pool.onIdle(),
    ];
    while (pool.running().length === 0) await new Promise((res) => setTimeout(res, 5));
    const glue = await import('/web/pkg/brigade_wasm.js');
    try {
      glue.__brigadeTrapForTests();
    } catch {
      // The trap, as a worker's trap reaches the page: its Worker's error
      // event, which api/module.js hears.
    }
    globalThis.dispatchEvent(new CustomEvent('brigade:worker-error', { detail: 'trap' }));
    return Promise.all(calls.map(settle));
    // A worker that starts after the deliberate trap says so; a task of the
    // page's executor that runs after it meets the trap again.
  }, { allow: /unreachable|Module terminated/ });
  assert.deepEqual(r, ['PoolClosedError', 'PoolClosedError', 'PoolClosedError', 'PoolClosedError', 'resolved undefined']);
});

test('bad group options, BigInt and symbol arguments get errors that name them', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1 });
    const out = [];
    for (const call of [
      () => pool.group({ signal: { aborted: true, reason: 'junk' } }),
      () => pool.group({ signal: 42 }),
      () => pool.group({ limti: 2 }),
      () => pool.run(10n, 1),
      () => pool.cancel(5n),
      () => pool.resize(Symbol('n')),
      () => pool.resize('2'),
      () => Pool.create({ workers: 2n }),
      () => Pool.create({ retry: { attemps: 5 } }),
      () => pool.run('primes', { below: 2e9 }),
      () => pool.run('primes', { below: 2 ** 32 + 100 }),
    ]) {
      try {
        await call();
        out.push('no error');
      } catch (e) {
        out.push(`${e.name}: ${e.message}`);
      }
    }
    return { out, after: await pool.run('primes', { below: 100 }) };
  });
  const [junk, num, typo, kind, id, sym, str, big, nested, huge, wrap] = r.out;
  assert.match(junk, /^TypeError: option "group.signal" must be an AbortSignal/);
  assert.match(num, /^TypeError: option "group.signal" must be an AbortSignal, got 42/);
  assert.match(typo, /^TypeError: unknown option "group.limti"/);
  assert.match(kind, /^TypeError: argument "kind" must be a job kind \(a string\), got bigint 10n/);
  assert.match(id, /^TypeError: argument "id" must be a job id \(a number\), got 5n/);
  assert.match(sym, /^TypeError: resize\(n\): n must be a number, got Symbol\(n\)/);
  assert.match(str, /^TypeError: resize\(n\): n must be a number, got "2"/);
  assert.match(big, /^TypeError: option "workers" must be a number, got 2n/);
  assert.match(nested, /^TypeError: unknown option "retry.attemps"/);
  assert.match(huge, /^JobError: primes: below must be at most 100000000/);
  assert.match(wrap, /^JobError: primes: below must be at most 100000000/);
  assert.equal(r.after, 25);
});

test('a mandelbrot render stops at its timeout; resize() of a closed pool is PoolClosedError', async () => {
  const r = await inPage(async ({ Pool }) => {
    const pool = await Pool.create({ workers: 1 });
    const t0 = performance.now();
    // Most of this view is inside the set: every pixel there runs 65,535 iterations.
    const input = { x: -1, y: -0.5, width: 200, height: 200, scale: 0.005, maxIter: 65535 };
    const stopped = await pool.run('mandelbrot', input, { timeoutMs: 50 }).catch((e) => e.name);
    const ms = performance.now() - t0;
    const after = await pool.run('mandelbrot', { ...input, width: 4, height: 4, maxIter: 10 });
    await pool.terminate();
    const resized = (() => {
      try {
        pool.resize(2);
        return 'resized';
      } catch (e) {
        return e.name;
      }
    })();
    return { stopped, ms, after: after.length, resized };
  });
  assert.equal(r.stopped, 'TimeoutError');
  assert.ok(r.ms < 5000, `the render stopped at its timeout, not when done (${Math.round(r.ms)} ms)`);
  assert.equal(r.after, 16, 'the worker renders again');
  assert.equal(r.resized, 'PoolClosedError');
});
