// @ts-check
// Tiny jobs in the browser: brigade vs workerpool vs a Comlink pool, and a bare
// postMessage echo as the floor. Serves the repository root with
// scripts/serve.py (cross-origin isolated), opens bench/browser/index.html in
// headless Chromium (one fresh browser per run) and calls the page's
// `bench(options)`; see bench/browser/bench.js for what is timed. Prints one
// line per run; with --raw, writes every run's figures, the options, the
// versions it knows and the CPU time its process tree used to FILE as JSON,
// from which bench/report.py writes bench/results/browser.md.
//
// Usage: node bench/browser.mjs [--runs 1] [--workers 2] [--jobs 100000]
//          [--queue 1024] [--latency-jobs 2000] [--kernel-runs 5]
//          [--kernel-warmup 1] [--timeout-s 900] [--raw FILE] [--only PREFIX,...]
//          [--startup-workers 1,2,4] [--startup-reps 5] [--page-jobs 100000]
//          [--payload-sizes 16,1024,65536,1048576] [--payload-runs 50]
//          [--memory-workers 8] [--memory-jobs 100000] [--scaling-workers 1,2]
//          [--scaling-reps 3] [--pkg web/pkg]
// Scaling (`--only scaling`): Mandelbrot tiles on 1..cores Web Workers, and
// the image on wasm-bindgen-rayon with as many threads (a page per count).
// Memory (`--only memory`): the shared memory's growth per worker and per
// queued job.
// Payloads (`--only payload`): one echo of a Uint8Array at a time per size,
// brigade vs workerpool vs postMessage with and without transfer.
// Start-up (`--only startup`): Pool.create to the first result, cold and warm,
// brigade and workerpool. Main thread (`--only page`): long tasks and the worst
// frame gap while a run of --page-jobs jobs updates the page.
// Kernels (`--only kernel`): the built-in sha256, mandelbrot and thumbnail
// kinds, one job at a time on a one-worker pool, median ms.
// `bench/run.sh browser` runs it 3 times, then bench/report.py.

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { serve, launch, openPage } from '../tests/e2e/harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    jobs: { type: 'string', default: '100000' },
    queue: { type: 'string', default: '1024' },
    'warmup-jobs': { type: 'string', default: '5000' },
    'latency-jobs': { type: 'string', default: '2000' },
    'latency-warmup': { type: 'string', default: '200' },
    'kernel-runs': { type: 'string', default: '5' },
    'kernel-warmup': { type: 'string', default: '1' },
    'startup-workers': { type: 'string', default: '1,2,4' },
    'startup-reps': { type: 'string', default: '5' },
    'page-jobs': { type: 'string', default: '100000' },
    'payload-sizes': { type: 'string', default: '16,1024,65536,1048576' },
    'payload-runs': { type: 'string', default: '50' },
    'memory-workers': { type: 'string', default: '8' },
    'memory-jobs': { type: 'string', default: '100000' },
    'scaling-workers': { type: 'string' },
    'scaling-reps': { type: 'string', default: '3' },
    'timeout-s': { type: 'string', default: '900' },
    only: { type: 'string' },
    raw: { type: 'string' },
    pkg: { type: 'string', default: 'web/pkg' },
  },
});

/** @param {string} name @returns {number} */
function count(name) {
  const v = Number(/** @type {Record<string, unknown>} */ (args)[name]);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`--${name} must be a whole number, got ${v}`);
  return v;
}

const options = {
  workers: count('workers'),
  queue: count('queue'),
  jobs: count('jobs'),
  warmupJobs: count('warmup-jobs'),
  latencyJobs: count('latency-jobs'),
  latencyWarmup: count('latency-warmup'),
  kernelRuns: count('kernel-runs'),
  kernelWarmup: count('kernel-warmup'),
  startupWorkers: String(args['startup-workers']).split(',').map(Number),
  startupReps: count('startup-reps'),
  pageJobs: count('page-jobs'),
  payloadSizes: String(args['payload-sizes']).split(',').map(Number),
  payloadRuns: count('payload-runs'),
  memoryWorkers: count('memory-workers'),
  memoryJobs: count('memory-jobs'),
  // 1, 2, ... up to the machine's cores.
  scalingWorkers: args['scaling-workers']
    ? String(args['scaling-workers']).split(',').map(Number)
    : Array.from({ length: availableParallelism() }, (_, i) => i + 1),
  scalingReps: count('scaling-reps'),
  only: args.only ? args.only.split(',') : undefined,
  // The wasm package the page imports, as a URL path under the served root.
  pkg: `/${relative(root, resolve(root, args.pkg ?? 'web/pkg'))}`,
};
if (options.pkg.startsWith('/..')) throw new RangeError(`--pkg must be inside the repository, got ${args.pkg}`);
const pkgDir = options.pkg.slice(1);
const runs = count('runs');
const timeoutMs = count('timeout-s') * 1000;
if (!options.payloadSizes.every((n) => Number.isInteger(n) && n >= 1)) {
  throw new RangeError(`--payload-sizes must be whole numbers >= 1, got ${args['payload-sizes']}`);
}
if (!options.startupWorkers.every((n) => Number.isInteger(n) && n >= 1)) {
  throw new RangeError(`--startup-workers must be whole numbers >= 1, got ${args['startup-workers']}`);
}
if (options.workers < 1 || runs < 1 || options.jobs < 1 || options.latencyJobs < 1 || options.kernelRuns < 1) {
  throw new RangeError('--workers, --runs, --jobs, --latency-jobs and --kernel-runs must be at least 1');
}

// --- what must be there --------------------------------------------------------

const wantsRayon = !options.only || options.only.some((p) => 'scaling-rayon'.startsWith(p));
const wantsMemory = !options.only || options.only.some((p) => 'memory-brigade'.startsWith(p));
const wantsBrigade = !options.only || options.only.some((p) => 'brigade'.startsWith(p) || p.startsWith('brigade'));
const pkgFiles = ['index.js', 'brigade_wasm.js', 'brigade_wasm_bg.wasm'];
if (wantsBrigade && !pkgFiles.every((f) => existsSync(join(root, pkgDir, f)))) {
  console.error(`bench/browser.mjs: ${pkgDir} is not built; run \`make build-wasm\` (or \`bench/run.sh browser\`, which does)`);
  process.exit(2);
}
for (const dep of ['workerpool', 'comlink']) {
  if (!existsSync(join(root, 'node_modules', dep, 'package.json'))) {
    console.error(`bench/browser.mjs: node_modules/${dep} is missing; run \`npm ci\` at the repository root`);
    process.exit(2);
  }
}

// --- CPU time of this process tree ------------------------------------------------

/**
 * CPU ticks this process and its descendants used, sampled every second:
 * Chromium's renderers are children of its zygote and are not always reaped
 * into our cutime when the browser closes, so each live process is counted by
 * its own utime + stime at the last sample, and this process from its start.
 * bench/run.sh counts only what it waited for; bench/report.py takes the larger
 * of the two as the run's own CPU time when it works out the other load.
 */
class TreeCpu {
  /** @type {Map<number, number>} pid -> ticks at the last sample */
  #last = new Map();
  #start = 0;
  #timer;

  constructor() {
    this.sample();
    this.#start = this.#last.get(process.pid) ?? 0;
    this.#timer = setInterval(() => this.sample(), 1000);
  }

  sample() {
    /** @type {Map<number, { ppid: number, ticks: number }>} */
    const procs = new Map();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const s = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number); // f[0] is field 3
        procs.set(Number(d), { ppid: f[1], ticks: f[11] + f[12] });
      } catch {
        // exited meanwhile
      }
    }
    for (const [pid, p] of procs) {
      for (let q = pid; q > 1; q = procs.get(q)?.ppid ?? 0) {
        if (q === process.pid) {
          this.#last.set(pid, Math.max(p.ticks, this.#last.get(pid) ?? 0));
          break;
        }
      }
    }
  }

  /** Ticks used since construction; stops sampling. */
  stop() {
    this.sample();
    clearInterval(this.#timer);
    let ticks = -this.#start;
    for (const t of this.#last.values()) ticks += t;
    return ticks;
  }
}

// --- one run: a fresh browser, one page, every contender ------------------------

/** When the package's module was last written (0 when it is not built). */
function pkgStamp() {
  const wasm = join(root, pkgDir, 'brigade_wasm_bg.wasm');
  return existsSync(wasm) ? statSync(wasm).mtimeMs : 0;
}

/** @param {string} url @param {TreeCpu} own */
async function runOnce(url, own) {
  const stamp = pkgStamp();
  const chrome = await launch();
  try {
    /** Opens the bench page and runs `bench(o)` there. @param {any} o */
    const inPage = async (o) => {
      const { page, errors } = await openPage(chrome.browser);
      await page.goto(`${url}bench/browser/index.html`);
      await page.waitForFunction(() => 'bench' in window, null, { timeout: 30_000 });
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the run took longer than ${timeoutMs / 1000} s (--timeout-s)`)), timeoutMs);
      });
      const out = await Promise.race([page.evaluate((p) => /** @type {any} */ (window).bench(p), o), late]).finally(() =>
        clearTimeout(timer),
      );
      if (errors.length) throw new Error(`errors in the page:\n${errors.join('\n')}`);
      await page.close();
      return out;
    };
    const result = await inPage({ ...options, memoryOnly: false });
    // Memory on a page of its own, after the rest (whose start-up must find
    // the module cold): a page where no pool has freed memory yet.
    if (wantsMemory) result.memory = (await inPage({ ...options, memoryOnly: true })).memory;
    // rayon's pool is started once per page, with its first size: a page per size.
    if (wantsRayon) {
      result.scalingRayon = {};
      for (const n of options.scalingWorkers) {
        result.scalingRayon[n] = (await inPage({ ...options, memoryOnly: false, rayonThreads: n })).scalingRayon;
      }
    }
    if (pkgStamp() !== stamp) throw new Error(`${pkgDir} was rebuilt during the run; run again`);
    own.sample(); // the renderer's last ticks, before it goes
    result.browserVersion = chrome.browser.version();
    return result;
  } finally {
    await chrome.close();
  }
}

// --- what the report needs to know besides the figures -----------------------

/** @param {string} name */
function lockedVersion(name) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return lock.packages?.[`node_modules/${name}`]?.version ?? 'unknown';
}

/** When the package's module was built, to the second (null when it is not). */
function pkgBuilt() {
  const stamp = pkgStamp();
  return stamp ? new Date(stamp).toISOString().replace(/\.\d+Z$/, 'Z') : null;
}

/** A path from the repository root where it is inside it. @param {string} path */
function shortPath(path) {
  const inside = relative(root, resolve(path));
  return inside.startsWith('..') ? resolve(path) : inside;
}

/** This command line with every option spelled out, as the results file shows it. */
function commandLine() {
  const only = options.only ? ` --only ${options.only.join(',')}` : '';
  const raw = args.raw ? ` --raw ${shortPath(args.raw)}` : '';
  return `node bench/browser.mjs --runs ${runs} --workers ${options.workers} --jobs ${options.jobs} --queue ${
    options.queue
  } --warmup-jobs ${options.warmupJobs} --latency-jobs ${options.latencyJobs} --latency-warmup ${
    options.latencyWarmup
  } --kernel-runs ${options.kernelRuns} --kernel-warmup ${options.kernelWarmup} --startup-workers ${options.startupWorkers.join(
    ',',
  )} --startup-reps ${options.startupReps} --page-jobs ${options.pageJobs} --payload-sizes ${options.payloadSizes.join(
    ',',
  )} --payload-runs ${options.payloadRuns} --memory-workers ${options.memoryWorkers} --memory-jobs ${
    options.memoryJobs
  } --scaling-workers ${options.scalingWorkers.join(',')} --scaling-reps ${options.scalingReps} --pkg ${pkgDir}${only}${raw}`;
}

/** One run in a line: jobs/s and round-trip p50 of every contender it measured. @param {any} r */
function summary(r) {
  const perSecond = Object.entries(r.throughput).map(([k, t]) => `${k} ${Math.round(t.perSecond)}`);
  const p50 = Object.entries(r.latency).map(([k, l]) => `${k} ${l.p50.toFixed(0)}`);
  const kernel = Object.entries(r.kernel ?? {}).map(([k, t]) => `${k.replace('kernel-', '')} ${t.median.toFixed(1)}`);
  const start = Object.entries(r.startup ?? {}).map(
    ([k, t]) => `${k.replace('startup-', '')} cold ${t.cold.ms.toFixed(0)}, warm ${Object.values(t.warm).map((x) => Number(x).toFixed(0)).join('/')}`,
  );
  const page = Object.entries(r.mainThread ?? {}).map(
    ([k, t]) => `${k.replace('page-', '')} ${t.longTasks} long tasks, worst frame gap ${t.worstFrameGapMs.toFixed(0)} ms`,
  );
  const payload = Object.entries(r.payload ?? {}).map(
    ([k, t]) => `${k.replace('payload-', '')} ${Object.values(t).map((x) => Number(x).toFixed(0)).join('/')}`,
  );
  const scal = r.scaling
    ? `brigade ${Object.values(r.scaling).map((x) => Number(x).toFixed(0)).join('/')} ms, rayon ${Object.values(r.scalingRayon ?? {})
        .map((x) => Number(x).toFixed(0))
        .join('/')} ms`
    : 'none';
  const mem = r.memory ? `${Math.round(r.memory.perWorker)} B/worker, ${Math.round(r.memory.perJob)} B/queued job` : 'none';
  return `scaling: ${scal}; memory: ${mem}; payload µs: ${payload.join(', ') || 'none'}; jobs/s: ${perSecond.join(', ') || 'none'}; p50 µs: ${p50.join(', ') || 'none'}; kernel ms: ${
    kernel.join(', ') || 'none'
  }; start-up ms: ${start.join(', ') || 'none'}; page: ${page.join(', ') || 'none'}`;
}

// --- main -----------------------------------------------------------------------

const own = new TreeCpu();
const server = await serve(['--dir', root]);
/** @type {any[]} */
const results = [];
try {
  for (let i = 1; i <= runs; i++) {
    const r = await runOnce(server.url, own);
    results.push(r);
    console.log(`run ${i} of ${runs} (Chromium ${r.browserVersion}): ${summary(r)}`);
  }
} finally {
  server.stop();
}
const treeTicks = own.stop();
if (args.raw) {
  const raw = {
    command: commandLine(),
    options: { runs, ...options },
    versions: { node: process.version, workerpool: lockedVersion('workerpool'), comlink: lockedVersion('comlink') },
    pkgBuilt: pkgBuilt(),
    treeTicks,
    runs: results,
  };
  writeFileSync(args.raw, `${JSON.stringify(raw, null, 1)}\n`);
  console.log(`wrote ${shortPath(args.raw)}`);
}
