// @ts-check
// The page side of the browser benchmark (driven by bench/browser.mjs).
//
// Four ways to get a tiny job (`echo`: the output is the input, a number) from
// the page to a worker and back, all with the same number of workers:
//   - brigade: the pool in the shared WebAssembly memory (web/pkg, or the
//     package bench/browser.mjs --pkg names);
//   - workerpool: the npm package, `pool.exec('echo', [i])`;
//   - a Comlink pool: N workers each exposing `echo`, called round-robin;
//   - bare postMessage: N plain workers that post every message back, called
//     round-robin; not a pool (no ids, no errors, no queue), the floor under any
//     pool built on postMessage;
//   - latency only, a shared-memory echo: one worker, one job at a time through
//     a SharedArrayBuffer, the page awaiting Atomics.waitAsync and the worker
//     either awaiting it too or blocking in Atomics.wait; the floor under
//     brigade's round trip.
// Throughput: `jobs` jobs in flight at once, clock from the first call to the
// last output. Latency: one job at a time, awaited, clock around each call.
// Every output is checked against its input after the clock stops; a wrong or
// missing one throws.

import * as Comlink from '/node_modules/comlink/dist/esm/comlink.min.mjs';

/* global workerpool */

const WORKERS_DIR = new URL('./workers/', import.meta.url);

/**
 * An open contender: `call(i)` runs one echo job and resolves to its output.
 * @typedef {{ call: (i: number) => PromiseLike<unknown>, close: () => Promise<void> | void, pool?: any }} Contender
 */

/** @param {string} who @param {unknown} got @param {number} want */
function mismatch(who, got, want) {
  return new Error(`${who}: echo of ${want} returned ${JSON.stringify(got)}`);
}

/**
 * @template T
 * @param {Promise<T>} p @param {number} ms @param {string} what
 * @returns {Promise<T>}
 */
function within(p, ms, what) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// --- contenders ------------------------------------------------------------------

/** @param {{ workers: number, queue: number, pkg: string }} o @returns {Promise<Contender>} */
async function openBrigade(o) {
  const { Pool } = await import(`${o.pkg}/index.js`);
  const pool = await Pool.create({ workers: o.workers, queue: o.queue });
  return {
    pool,
    call: (i) => pool.run('echo', i),
    close: () => within(pool.drain(), 10_000, 'brigade drain()'),
  };
}

/** @param {{ workers: number }} o @returns {Promise<Contender>} */
async function openWorkerpool(o) {
  // @ts-ignore: the UMD global from index.html
  const pool = workerpool.pool(new URL('workerpool-echo.js', WORKERS_DIR).href, {
    maxWorkers: o.workers,
    workerType: 'web',
  });
  return {
    call: (i) => pool.exec('echo', [i]),
    close: async () => {
      await pool.terminate();
    },
  };
}

/** @param {{ workers: number }} o @returns {Promise<Contender>} */
async function openComlink(o) {
  const workers = Array.from(
    { length: o.workers },
    () => new Worker(new URL('comlink-echo.js', WORKERS_DIR), { type: 'module' }),
  );
  const remotes = workers.map((w) => Comlink.wrap(w));
  let next = 0;
  return {
    call: (i) => {
      const r = remotes[next];
      next = next + 1 === remotes.length ? 0 : next + 1;
      return /** @type {any} */ (r).echo(i);
    },
    close: () => {
      for (const r of remotes) r[Comlink.releaseProxy]();
      for (const w of workers) w.terminate();
    },
  };
}

/** @param {{ workers: number }} o @returns {Promise<Contender>} */
async function openPostMessage(o) {
  // A worker answers in order, so each keeps a FIFO of the callers waiting on it.
  const lanes = Array.from({ length: o.workers }, () => {
    const worker = new Worker(new URL('post-echo.js', WORKERS_DIR));
    /** @type {((v: unknown) => void)[]} */
    const waiting = [];
    let head = 0;
    worker.onmessage = (e) => {
      const resolve = waiting[head];
      head += 1;
      if (head === waiting.length) {
        waiting.length = 0;
        head = 0;
      }
      resolve(e.data);
    };
    return { worker, waiting };
  });
  let next = 0;
  return {
    call: (i) =>
      new Promise((resolve) => {
        const lane = lanes[next];
        next = next + 1 === lanes.length ? 0 : next + 1;
        lane.waiting.push(resolve);
        lane.worker.postMessage(i);
      }),
    close: () => {
      for (const l of lanes) l.worker.terminate();
    },
  };
}

/**
 * @param {boolean} blocking whether the worker blocks in Atomics.wait (else awaits waitAsync)
 * @returns {Promise<Contender>}
 */
async function openSharedEcho(blocking) {
  const worker = new Worker(new URL('atomics-echo.js', WORKERS_DIR));
  const cell = new Int32Array(new SharedArrayBuffer(16));
  worker.postMessage({ buffer: cell.buffer, blocking });
  let request = 0;
  return {
    call: async (i) => {
      request += 1;
      Atomics.store(cell, 2, i);
      Atomics.store(cell, 0, request);
      Atomics.notify(cell, 0);
      while (Atomics.load(cell, 1) !== request) {
        const w = Atomics.waitAsync(cell, 1, request - 1);
        if (w.async) await w.value;
      }
      return Atomics.load(cell, 3);
    },
    close: () => {
      Atomics.store(cell, 0, -1);
      Atomics.notify(cell, 0);
      worker.terminate();
    },
  };
}

// --- throughput: how `jobs` jobs are pushed through an open contender ------------

/**
 * Every job started at once, outputs gathered with Promise.all.
 * @param {string} who @param {Contender} c @param {number} jobs
 */
async function promiseAll(who, c, jobs) {
  const t0 = performance.now();
  const pending = new Array(jobs);
  for (let i = 0; i < jobs; i++) pending[i] = c.call(i);
  const out = await Promise.all(pending);
  const ms = performance.now() - t0;
  for (let i = 0; i < jobs; i++) if (out[i] !== i) throw mismatch(who, out[i], i);
  return ms;
}

/**
 * brigade's streaming path: a producer queues the jobs (awaiting room when the
 * queue is full) while a consumer reads `pool.results()`. With `tryFirst`, the
 * producer calls trySubmit and awaits submit only when the queue is full.
 * @param {string} who @param {Contender} c @param {number} jobs @param {boolean} tryFirst
 */
async function submitAndStream(who, c, jobs, tryFirst) {
  const pool = c.pool;
  const inputOf = new Map();
  const ids = new Float64Array(jobs);
  const values = new Array(jobs);
  const t0 = performance.now();
  const consumer = (async () => {
    if (jobs === 0) return;
    let n = 0;
    for await (const r of pool.results()) {
      if (!r.ok) throw new Error(`${who}: job ${r.id} failed: ${r.error?.name}: ${r.error?.message}`);
      ids[n] = r.id;
      values[n] = r.value;
      n += 1;
      if (n === jobs) return;
    }
    throw new Error(`${who}: results() ended after ${n} of ${jobs} results`);
  })();
  // If the consumer fails, stop producing instead of waiting for room forever.
  let failed = false;
  consumer.catch(() => {
    failed = true;
  });
  for (let i = 0; i < jobs && !failed; i++) {
    let id;
    if (tryFirst) {
      try {
        id = pool.trySubmit('echo', i);
      } catch (e) {
        if (/** @type {Error} */ (e).name !== 'QueueFullError') throw e;
        id = await pool.submit('echo', i);
      }
    } else {
      id = await pool.submit('echo', i);
    }
    inputOf.set(id, i);
  }
  await consumer;
  const ms = performance.now() - t0;
  if (inputOf.size !== jobs) throw new Error(`${who}: ${inputOf.size} distinct ids for ${jobs} jobs`);
  const seen = new Set();
  for (let n = 0; n < jobs; n++) {
    const want = inputOf.get(ids[n]);
    if (want === undefined) throw new Error(`${who}: a result for unknown id ${ids[n]}`);
    if (seen.has(ids[n])) throw new Error(`${who}: two results for id ${ids[n]}`);
    seen.add(ids[n]);
    if (values[n] !== want) throw mismatch(who, values[n], want);
  }
  return ms;
}

/**
 * @typedef {{ key: string, open: (o: any) => Promise<Contender>, push: (who: string, c: Contender, jobs: number) => Promise<number> }} ThroughputCase
 * @type {ThroughputCase[]}
 */
const THROUGHPUT = [
  { key: 'brigade-submit', open: openBrigade, push: (w, c, n) => submitAndStream(w, c, n, false) },
  { key: 'brigade-trysubmit', open: openBrigade, push: (w, c, n) => submitAndStream(w, c, n, true) },
  { key: 'brigade-run', open: openBrigade, push: promiseAll },
  { key: 'workerpool', open: openWorkerpool, push: promiseAll },
  { key: 'comlink', open: openComlink, push: promiseAll },
  { key: 'postmessage', open: openPostMessage, push: promiseAll },
];

/** @type {{ key: string, open: (o: any) => Promise<Contender> }[]} */
const LATENCY = [
  { key: 'postmessage', open: openPostMessage },
  { key: 'brigade-run', open: openBrigade },
  { key: 'workerpool', open: openWorkerpool },
  { key: 'comlink', open: openComlink },
  { key: 'shared-async', open: () => openSharedEcho(false) },
  { key: 'shared-blocking', open: () => openSharedEcho(true) },
];

/**
 * One job at a time: `warmup` untimed, then `n` timed round trips.
 * @param {string} who @param {Contender} c @param {number} warmup @param {number} n
 */
async function roundTrips(who, c, warmup, n) {
  for (let i = 0; i < warmup; i++) {
    const v = await c.call(i);
    if (v !== i) throw mismatch(who, v, i);
  }
  const us = new Float64Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const v = await c.call(i);
    us[i] = (performance.now() - t) * 1000;
    if (v !== i) throw mismatch(who, v, i);
  }
  const meanUs = ((performance.now() - t0) * 1000) / n;
  us.sort();
  const rank = (/** @type {number} */ q) => us[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  return { n, p50: rank(0.5), p99: rank(0.99), max: us[n - 1], mean: meanUs };
}

// --- start-up: Pool.create to the first result -------------------------------------

/** @param {number[]} xs */
function medianOf(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * From asking for a pool to its first `echo` result. `cold`: the page's first
 * pool of that kind, with `counts`' largest worker count (brigade: from before
 * the package's import, so the module is fetched, compiled and instantiated and
 * the workers started; workerpool: its first pool, whose worker script is not
 * cached yet); `warm`: later pools, `reps` of each worker count, median. Each
 * pool is closed (brigade: drained; workerpool: terminated) before the next.
 * @param {string} pkg @param {number[]} counts @param {number} reps @param {(key: string) => boolean} wanted
 */
async function startup(pkg, counts, reps, wanted) {
  /** @type {Record<string, { cold: { workers: number, ms: number }, warm: Record<string, number> }>} */
  const out = {};
  const most = Math.max(...counts);
  /** @type {Record<string, (workers: number) => Promise<() => Promise<void>>>} */
  const starters = {
    'startup-brigade': async (workers) => {
      const { Pool } = await import(`${pkg}/index.js`);
      const pool = await Pool.create({ workers, queue: 16 });
      const v = await pool.run('echo', 1);
      if (v !== 1) throw mismatch('startup-brigade', v, 1);
      return () => within(pool.drain(), 10_000, 'brigade drain()');
    },
    'startup-workerpool': async (workers) => {
      // @ts-ignore: the UMD global from index.html
      const pool = workerpool.pool(new URL('workerpool-echo.js', WORKERS_DIR).href, {
        maxWorkers: workers,
        workerType: 'web',
      });
      const v = await pool.exec('echo', [1]);
      if (v !== 1) throw mismatch('startup-workerpool', v, 1);
      return async () => {
        await pool.terminate();
      };
    },
  };
  for (const [key, start] of Object.entries(starters)) {
    if (!wanted(key)) continue;
    const timed = async (/** @type {number} */ workers) => {
      const t = performance.now();
      const close = await start(workers);
      const ms = performance.now() - t;
      await close();
      return ms;
    };
    const cold = { workers: most, ms: await timed(most) };
    /** @type {Record<string, number>} */
    const warm = {};
    for (const n of counts) {
      const ms = [];
      for (let i = 0; i < reps; i++) ms.push(await timed(n));
      warm[n] = medianOf(ms);
    }
    out[key] = { cold, warm };
    console.log(`${key}: cold ${cold.ms.toFixed(1)} ms; warm ${JSON.stringify(warm)}`);
  }
  return out;
}

// --- the page's main thread during a long run ----------------------------------------

/**
 * `jobs` echo jobs while the page shows a counter of the results, updated as
 * they arrive: how many long tasks (over 50 ms, from a PerformanceObserver)
 * the main thread ran, the longest, and the worst gap between two animation
 * frames. brigade streams `trySubmit` + `results()`; workerpool runs
 * `Promise.all` of `exec`, its usual way.
 * @param {{ workers: number, queue: number, pkg: string }} o @param {number} jobs @param {(key: string) => boolean} wanted
 */
async function mainThread(o, jobs, wanted) {
  /** @type {Record<string, { jobs: number, ms: number, longTasks: number, longestTaskMs: number, worstFrameGapMs: number, frames: number }>} */
  const out = {};
  const counter = document.createElement('output');
  document.body.append(counter);
  const cases = [
    {
      key: 'page-brigade',
      open: openBrigade,
      /** @param {Contender} c */
      push: async (c) => {
        const pool = c.pool;
        let n = 0;
        const consumer = (async () => {
          for await (const r of pool.results()) {
            if (!r.ok) throw new Error(`page-brigade: job ${r.id} failed`);
            n += 1;
            counter.textContent = String(n);
            if (n === jobs) return;
          }
        })();
        for (let i = 0; i < jobs; i++) {
          try {
            pool.trySubmit('echo', i);
          } catch (e) {
            if (/** @type {Error} */ (e).name !== 'QueueFullError') throw e;
            await pool.submit('echo', i);
          }
        }
        await consumer;
      },
    },
    {
      key: 'page-workerpool',
      open: openWorkerpool,
      /** @param {Contender} c */
      push: async (c) => {
        let n = 0;
        const pending = new Array(jobs);
        for (let i = 0; i < jobs; i++) {
          pending[i] = Promise.resolve(c.call(i)).then((v) => {
            n += 1;
            counter.textContent = String(n);
            return v;
          });
        }
        await Promise.all(pending);
      },
    },
  ];
  for (const k of cases) {
    if (!wanted(k.key)) continue;
    const c = await k.open(o);
    try {
      /** @type {number[]} */
      const long = [];
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) long.push(e.duration);
      });
      observer.observe({ type: 'longtask' });
      let frames = 0;
      let worst = 0;
      let last = performance.now();
      let running = true;
      const frame = (/** @type {number} */ t) => {
        if (!running) return;
        frames += 1;
        worst = Math.max(worst, t - last);
        last = t;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame((t) => {
        last = t;
        requestAnimationFrame(frame);
      });
      const t0 = performance.now();
      await k.push(c);
      const ms = performance.now() - t0;
      // Entries are delivered after their task: one more frame for the last.
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      running = false;
      worst = Math.max(worst, performance.now() - last);
      observer.disconnect();
      out[k.key] = {
        jobs,
        ms,
        longTasks: long.length,
        longestTaskMs: long.length ? Math.max(...long) : 0,
        worstFrameGapMs: worst,
        frames,
      };
      console.log(`${k.key}: ${long.length} long tasks, worst frame gap ${worst.toFixed(1)} ms`);
    } finally {
      await c.close();
    }
  }
  counter.remove();
  return out;
}

// --- payloads: one echo of a Uint8Array at a time, 16 B to 1 MiB --------------------

/**
 * A bare worker that echoes a Uint8Array, with the buffer transferred both
 * ways (`transfer`) or structured-cloned both ways.
 * @param {boolean} transfer @returns {Promise<Contender>}
 */
async function openBytesEcho(transfer) {
  const worker = new Worker(new URL(transfer ? 'transfer-echo.js' : 'post-echo.js', WORKERS_DIR));
  /** @type {((v: unknown) => void) | undefined} */
  let waiting;
  worker.onmessage = (e) => waiting?.(e.data);
  return {
    call: (bytes) =>
      new Promise((resolve) => {
        waiting = resolve;
        if (transfer) {
          // The page's copy goes over; a fresh one is made from it first,
          // as a caller that keeps its data would (counted in the time).
          const copy = /** @type {Uint8Array} */ (/** @type {unknown} */ (bytes)).slice();
          worker.postMessage(copy, [copy.buffer]);
        } else {
          worker.postMessage(bytes);
        }
      }),
    close: () => worker.terminate(),
  };
}

/**
 * @typedef {{ key: string, open: (o: any) => Promise<Contender> }} PayloadCase
 * @type {PayloadCase[]}
 */
const PAYLOADS = [
  { key: 'payload-brigade', open: openBrigade },
  { key: 'payload-workerpool', open: openWorkerpool },
  { key: 'payload-postmessage', open: () => openBytesEcho(false) },
  { key: 'payload-transfer', open: () => openBytesEcho(true) },
];

/**
 * For each payload size, one `echo` at a time of a Uint8Array of that size:
 * `n` timed round trips (after a few untimed), median µs; the output's length
 * and first and last bytes are checked.
 * @param {any} o @param {number[]} sizes @param {number} n @param {(key: string) => boolean} wanted
 */
async function payloads(o, sizes, n, wanted) {
  /** @type {Record<string, Record<string, number>>} */
  const out = {};
  for (const p of PAYLOADS) {
    if (!wanted(p.key)) continue;
    const c = await p.open(o);
    try {
      /** @type {Record<string, number>} */
      const bySize = {};
      for (const size of sizes) {
        const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 255);
        const us = [];
        for (let i = 0; i < n + 3; i++) {
          const t = performance.now();
          const v = /** @type {Uint8Array} */ (await c.call(/** @type {any} */ (bytes)));
          const took = (performance.now() - t) * 1000;
          if (!(v instanceof Uint8Array) || v.length !== size || v[0] !== bytes[0] || v[size - 1] !== bytes[size - 1]) {
            throw new Error(`${p.key}: the echo of ${size} bytes came back wrong`);
          }
          if (i >= 3) us.push(took);
        }
        bySize[size] = medianOf(us);
      }
      out[p.key] = bySize;
      console.log(`${p.key}: ${JSON.stringify(bySize)}`);
    } finally {
      await c.close();
    }
  }
  return out;
}

// --- CPU scaling: Mandelbrot tiles on 1..n Web Workers, and rayon's par_iter -------

const SCALING_SIDE = 1024;
const SCALING_TILES = 64;

/** The scaling image's input: `rows` rows from row `from` (the whole image by default). */
function scalingInput(from = 0, rows = SCALING_SIDE) {
  const scale = 3 / SCALING_SIDE;
  return { x: -2.2, y: -1.5 + from * scale, scale, width: SCALING_SIDE, height: rows, maxIter: 256 };
}

/**
 * brigade: a 1024x1024 Mandelbrot image (256 iterations) as 64 tiles of 16
 * rows, each one `mandelbrot` job, on a pool of n Web Workers for each n of
 * `counts` (started before the clock): one untimed image, then the median of
 * `reps` (ms from the first `run` to the last result), as bench/kernels does
 * natively.
 * @param {string} pkg @param {number[]} counts @param {number} reps
 */
async function scalingBrigade(pkg, counts, reps) {
  const { Pool } = await import(`${pkg}/index.js`);
  const rows = SCALING_SIDE / SCALING_TILES;
  const tiles = Array.from({ length: SCALING_TILES }, (_, t) => scalingInput(t * rows, rows));
  /** @type {Record<string, number>} */
  const out = {};
  for (const n of counts) {
    const pool = await Pool.create({ workers: n, queue: SCALING_TILES });
    try {
      const ms = [];
      for (let i = 0; i <= reps; i++) {
        const t = performance.now();
        const images = await Promise.all(tiles.map((tile) => pool.run('mandelbrot', tile)));
        if (i > 0) ms.push(performance.now() - t);
        if (images.some((im) => !(im instanceof Uint16Array) || im.length !== SCALING_SIDE * rows)) {
          throw new Error('scaling-brigade: a tile came back wrong');
        }
      }
      out[n] = medianOf(ms);
    } finally {
      await within(pool.drain(), 10_000, 'brigade drain()');
    }
  }
  console.log(`scaling-brigade: ${JSON.stringify(out)}`);
  return out;
}

/**
 * wasm-bindgen-rayon: the same image as one `mandelbrot` job with
 * `parallel: true` (its rows on rayon's `par_chunks_mut`) on a rayon pool of
 * `threads` Web Workers, which a page starts once: the driver gives each
 * thread count a page of its own. One untimed image, then the median of `reps`.
 * @param {string} pkg @param {number} threads @param {number} reps
 */
async function scalingRayon(pkg, threads, reps) {
  const { Pool } = await import(`${pkg}/index.js`);
  const pool = await Pool.create({ workers: 1, queue: 4, rayonThreads: threads });
  try {
    const ms = [];
    for (let i = 0; i <= reps; i++) {
      const t = performance.now();
      const image = await pool.run('mandelbrot', { ...scalingInput(), parallel: true });
      if (i > 0) ms.push(performance.now() - t);
      if (!(image instanceof Uint16Array) || image.length !== SCALING_SIDE * SCALING_SIDE) {
        throw new Error('scaling-rayon: the image came back wrong');
      }
    }
    return medianOf(ms);
  } finally {
    await within(pool.drain(), 10_000, 'brigade drain()');
  }
}

// --- memory: the shared memory a worker and a queued job take ------------------------

/**
 * The shared memory's growth (it only grows, in 64 KiB pages; the allocator
 * reuses what is freed, so the figures are what it had to add):
 *   - per worker: a pool of 1 worker is kept answering, then a pool of
 *     `workers` more starts and answers; its growth ÷ `workers`;
 *   - per queued job: a pool of 1 worker whose worker sleeps on a first job
 *     takes `jobs` echo jobs (numbers) into its queue; the growth ÷ `jobs`.
 * Read through the package's test hook `__brigadeMemoryBytesForTests` (not
 * part of its API). Run first on a fresh page, so no earlier pool's freed
 * memory is reused.
 * @param {string} pkg @param {number} workers @param {number} jobs @param {(key: string) => boolean} wanted
 */
async function memory(pkg, workers, jobs, wanted) {
  if (!wanted('memory-brigade')) return undefined;
  const { Pool } = await import(`${pkg}/index.js`);
  const glue = await import(`${pkg}/brigade_wasm.js`);
  const bytes = () => /** @type {number} */ (glue.__brigadeMemoryBytesForTests());
  const one = await Pool.create({ workers: 1, queue: 16 });
  await one.run('echo', 1);
  const before = bytes();
  const many = await Pool.create({ workers, queue: 16 });
  await Promise.all(Array.from({ length: workers }, (_, i) => many.run('echo', i)));
  const perWorker = (bytes() - before) / workers;
  await within(many.drain(), 10_000, 'brigade drain()');
  await within(one.drain(), 10_000, 'brigade drain()');
  const queued = await Pool.create({ workers: 1, queue: jobs });
  await queued.submit('sleep', { ms: 600_000 });
  // The sleeping job has left the queue once the worker runs it.
  const until = performance.now() + 5_000;
  while (queued.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  const start = bytes();
  for (let i = 0; i < jobs; i++) queued.trySubmit('echo', i);
  const perJob = (bytes() - start) / jobs;
  if (queued.size !== jobs) throw new Error(`memory: ${queued.size} jobs queued of ${jobs}`);
  await queued.terminate();
  const out = { workers, perWorker, jobs, perJob, total: bytes() };
  console.log(`memory: ${JSON.stringify(out)}`);
  return out;
}

// --- kernels: the built-in Rust job kinds, one job at a time ----------------------

/** A deterministic RGBA image, `w` x `h`. @param {number} w @param {number} h */
function gradient(w, h) {
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      rgba[i] = x & 255;
      rgba[i + 1] = y & 255;
      rgba[i + 2] = (x * y) & 255;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

/**
 * The kernels' inputs (wasm/src/kinds.rs) and how each output is checked.
 * @type {{ key: string, kind: string, input: () => unknown, check: (v: any) => boolean }[]}
 */
const KERNELS = [
  {
    key: 'kernel-sha256',
    kind: 'sha256',
    // 4 MiB of a repeating byte pattern.
    input: () => Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 31) & 255),
    check: (v) => typeof v === 'string' && v.length === 64,
  },
  {
    key: 'kernel-mandelbrot',
    kind: 'mandelbrot',
    input: () => ({ x: -2.2, y: -1.5, scale: 3 / 512, width: 512, height: 512, maxIter: 256 }),
    check: (v) => v instanceof Uint16Array && v.length === 512 * 512,
  },
  {
    key: 'kernel-thumbnail',
    kind: 'thumbnail',
    input: () => ({ width: 1024, height: 1024, maxSide: 256, rgba: gradient(1024, 1024) }),
    check: (v) => v && v.width === 256 && v.height === 256 && v.rgba.length === 256 * 256 * 4,
  },
];

/**
 * Each kernel on a one-worker brigade pool: `warmup` untimed jobs, then `n`
 * timed one at a time (`run`, awaited), input built before the clock starts.
 * @param {string} pkg @param {number} warmup @param {number} n @param {(key: string) => boolean} wanted
 */
async function kernels(pkg, warmup, n, wanted) {
  /** @type {Record<string, { n: number, median: number, min: number }>} */
  const out = {};
  const todo = KERNELS.filter((k) => wanted(k.key));
  if (!todo.length) return out;
  const { Pool } = await import(`${pkg}/index.js`);
  const pool = await Pool.create({ workers: 1, queue: 4 });
  try {
    for (const k of todo) {
      const input = k.input();
      const ms = [];
      for (let i = 0; i < warmup + n; i++) {
        const t = performance.now();
        const v = await pool.run(k.kind, input);
        const took = performance.now() - t;
        if (!k.check(v)) throw new Error(`${k.key}: unexpected output ${String(v).slice(0, 80)}`);
        if (i >= warmup) ms.push(took);
      }
      ms.sort((a, b) => a - b);
      out[k.key] = { n, median: ms[Math.floor((n - 1) / 2)], min: ms[0] };
      console.log(`${k.key}: median ${out[k.key].median.toFixed(1)} ms`);
    }
  } finally {
    await within(pool.drain(), 10_000, 'brigade drain()');
  }
  return out;
}

/**
 * Runs the benchmark; resolves to plain data for the driver.
 * @param {{ workers: number, queue: number, jobs: number, warmupJobs: number, latencyJobs: number, latencyWarmup: number, kernelRuns: number, kernelWarmup: number, startupWorkers: number[], startupReps: number, pageJobs: number, payloadSizes: number[], payloadRuns: number, memoryWorkers: number, memoryJobs: number, memoryOnly: boolean, rayonThreads?: number, scalingWorkers: number[], scalingReps: number, pkg: string, only?: string[] }} o
 */
async function bench(o) {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
  const wanted = (/** @type {string} */ key) => !o.only || o.only.some((p) => key.startsWith(p));
  // The driver runs memory alone on a fresh page (see `memory`), the rest on another.
  if (o.memoryOnly) return { memory: await memory(o.pkg, o.memoryWorkers, o.memoryJobs, wanted) };
  if (o.rayonThreads) return { scalingRayon: await scalingRayon(o.pkg, o.rayonThreads, o.scalingReps) };
  // First, while this page has not loaded brigade's module: start-up, cold then warm.
  const started = await startup(o.pkg, o.startupWorkers, o.startupReps, wanted);
  /** @type {Record<string, { jobs: number, ms: number, perSecond: number }>} */
  const throughput = {};
  for (const t of THROUGHPUT) {
    if (!wanted(t.key)) continue;
    const c = await t.open(o);
    try {
      await t.push(t.key, c, o.warmupJobs);
      const ms = await t.push(t.key, c, o.jobs);
      throughput[t.key] = { jobs: o.jobs, ms, perSecond: (o.jobs * 1000) / ms };
      console.log(`throughput ${t.key}: ${Math.round(throughput[t.key].perSecond)} jobs/s`);
    } finally {
      await c.close();
    }
  }
  /** @type {Record<string, ReturnType<typeof roundTrips> extends Promise<infer R> ? R : never>} */
  const latency = {};
  for (const l of LATENCY) {
    if (!wanted(l.key)) continue;
    const c = await l.open(o);
    try {
      latency[l.key] = await roundTrips(l.key, c, o.latencyWarmup, o.latencyJobs);
      console.log(`latency ${l.key}: p50 ${latency[l.key].p50.toFixed(1)} us, p99 ${latency[l.key].p99.toFixed(1)} us`);
    } finally {
      await c.close();
    }
  }
  const kernel = await kernels(o.pkg, o.kernelWarmup, o.kernelRuns, wanted);
  const page = await mainThread(o, o.pageJobs, wanted);
  const payload = await payloads(o, o.payloadSizes, o.payloadRuns, wanted);
  const scaling = wanted('scaling-brigade') ? await scalingBrigade(o.pkg, o.scalingWorkers, o.scalingReps) : undefined;
  return {
    throughput,
    latency,
    kernel,
    startup: started,
    mainThread: page,
    payload,
    scaling,
    page: {
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated,
    },
  };
}

// @ts-ignore: the driver's entry point
window.bench = bench;
