// @ts-check
// Tiny jobs in the browser: brigade vs workerpool vs a Comlink pool, and a bare
// postMessage echo as the floor. Serves the repository root with
// scripts/serve.py (cross-origin isolated), opens bench/browser/index.html in
// headless Chromium (one fresh browser per run) and calls the page's
// `bench(options)`; see bench/browser/bench.js for what is timed. Prints a
// markdown table per run; with --out, writes the results file (medians of the
// runs, every run's table, and the hand-written notes kept from the old file),
// the ratios beside it as JSON, and their chart as SVG (bench/plot.py).
//
// Usage: node bench/browser.mjs [--runs 1] [--workers 2] [--jobs 100000]
//          [--queue 1024] [--latency-jobs 2000] [--timeout-s 900] [--out FILE]
//          [--only PREFIX,...]
// bench/browser.sh runs it 3 times into bench/results/browser.md.

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
    'timeout-s': { type: 'string', default: '900' },
    only: { type: 'string' },
    out: { type: 'string' },
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
  only: args.only ? args.only.split(',') : undefined,
};
const runs = count('runs');
const timeoutMs = count('timeout-s') * 1000;
if (options.workers < 1 || runs < 1 || options.jobs < 1 || options.latencyJobs < 1) {
  throw new RangeError('--workers, --runs, --jobs and --latency-jobs must be at least 1');
}

// --- what must be there --------------------------------------------------------

const wantsBrigade = !options.only || options.only.some((p) => 'brigade'.startsWith(p) || p.startsWith('brigade'));
const pkgFiles = ['web/pkg/index.js', 'web/pkg/brigade_wasm.js', 'web/pkg/brigade_wasm_bg.wasm'];
if (wantsBrigade && !pkgFiles.every((f) => existsSync(join(root, f)))) {
  console.error('bench/browser.mjs: web/pkg is not built; run `make build-wasm` (or bench/browser.sh, which does)');
  process.exit(2);
}
for (const dep of ['workerpool', 'comlink']) {
  if (!existsSync(join(root, 'node_modules', dep, 'package.json'))) {
    console.error(`bench/browser.mjs: node_modules/${dep} is missing; run \`npm ci\` at the repository root`);
    process.exit(2);
  }
}

// --- noise: CPU time of the whole machine minus this process tree's ------------

function busyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system [idle] [iowait] irq softirq steal
  return f[1] + f[2] + f[3] + f[6] + f[7] + f[8];
}

/**
 * CPU ticks this process and its descendants used, sampled every second:
 * Chromium's renderers are children of its zygote and are not always reaped
 * into our cutime when the browser closes, so each live process is counted by
 * its own utime + stime at the last sample, and this process from its start.
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

/** When web/pkg's module was last written (0 when it is not built). */
function pkgStamp() {
  const wasm = join(root, 'web/pkg/brigade_wasm_bg.wasm');
  return existsSync(wasm) ? statSync(wasm).mtimeMs : 0;
}

/** @param {string} url @param {TreeCpu} own */
async function runOnce(url, own) {
  const stamp = pkgStamp();
  const chrome = await launch();
  try {
    const { page, errors } = await openPage(chrome.browser);
    page.on('console', (m) => {
      if (m.type() === 'log') console.error(`  page: ${m.text()}`);
    });
    await page.goto(`${url}bench/browser/index.html`);
    await page.waitForFunction(() => 'bench' in window, null, { timeout: 30_000 });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the run took longer than ${timeoutMs / 1000} s (--timeout-s)`)), timeoutMs);
    });
    const result = await Promise.race([page.evaluate((o) => /** @type {any} */ (window).bench(o), options), late]).finally(
      () => clearTimeout(timer),
    );
    if (errors.length) throw new Error(`errors in the page:\n${errors.join('\n')}`);
    if (pkgStamp() !== stamp) throw new Error('web/pkg was rebuilt during the run; run again');
    own.sample(); // the renderer's last ticks, before it goes
    result.browserVersion = chrome.browser.version();
    return result;
  } finally {
    await chrome.close();
  }
}

// --- tables ---------------------------------------------------------------------

const ROWS = [
  ['brigade-submit', 'brigade: awaited `submit` + `results()`'],
  ['brigade-trysubmit', 'brigade: `trySubmit` (awaited `submit` when full) + `results()`'],
  ['brigade-run', 'brigade: `Promise.all` of `run` (latency: awaited `run`)'],
  ['workerpool', 'workerpool: `exec`'],
  ['comlink', 'Comlink, round-robin over the workers'],
  ['postmessage', 'bare `postMessage` echo, round-robin (not a pool)'],
  ['shared-async', 'shared-memory echo, `Atomics.waitAsync` on both sides (not a pool)'],
  ['shared-blocking', 'shared-memory echo, worker blocks in `Atomics.wait` (not a pool)'],
];

/** @param {number} x */
const ratio = (x) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x` : '');
/** @param {number | undefined} x */
const int = (x) => (x === undefined ? '' : Math.round(x).toLocaleString('en-US'));
/** @param {number | undefined} x */
const us = (x) => (x === undefined ? '' : x.toFixed(0));

/**
 * @param {{ throughput: Record<string, { perSecond: number }>, latency: Record<string, { p50: number, p99: number }> }} r
 */
function table(r) {
  const wp = r.throughput.workerpool?.perSecond;
  const pm = r.latency.postmessage;
  const lines = [
    '| contender | jobs/s | / workerpool | p50 µs | p99 µs | p50 / postMessage | p99 / postMessage |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [key, label] of ROWS) {
    const t = r.throughput[key];
    const l = r.latency[key];
    if (!t && !l) continue;
    lines.push(
      `| ${label} | ${int(t?.perSecond)} | ${t && wp ? ratio(t.perSecond / wp) : ''} | ${us(l?.p50)} | ${us(l?.p99)} | ${
        l && pm ? ratio(l.p50 / pm.p50) : ''
      } | ${l && pm ? ratio(l.p99 / pm.p99) : ''} |`,
    );
  }
  return lines.join('\n');
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The per-metric medians over the runs, shaped like one run. @param {any[]} results */
function medians(results) {
  /** @type {any} */
  const out = { throughput: {}, latency: {} };
  for (const part of ['throughput', 'latency']) {
    for (const key of Object.keys(results[0][part])) {
      out[part][key] = {};
      for (const metric of Object.keys(results[0][part][key])) {
        out[part][key][metric] = median(results.map((r) => r[part][key][metric]));
      }
    }
  }
  return out;
}

/** @type {Record<string, string>} */
const GOAL_LABELS = {
  'brigade-submit': 'awaited `submit` + `results()`',
  'brigade-trysubmit': '`trySubmit` + `results()`',
  'brigade-run': '`Promise.all` of `run`',
};

/** @param {any} m medians */
function goals(m) {
  const wp = m.throughput.workerpool?.perSecond;
  const pm = m.latency.postmessage;
  const lines = [];
  if (wp) {
    for (const key of ['brigade-submit', 'brigade-trysubmit', 'brigade-run']) {
      const t = m.throughput[key];
      if (!t) continue;
      const x = t.perSecond / wp;
      lines.push(`- at least 10x workerpool's throughput, ${GOAL_LABELS[key]}: ${x >= 10 ? 'met' : 'missed'} (${ratio(x)})`);
    }
  }
  const b = m.latency['brigade-run'];
  if (pm && b) {
    const x = b.p50 / pm.p50;
    lines.push(
      `- a single-job round trip no slower than a postMessage echo (p50 of awaited \`run\` <= p50 of the echo): ${
        x <= 1 ? 'met' : 'missed'
      } (${ratio(x)}; p99 ${ratio(b.p99 / pm.p99)})`,
    );
  }
  return lines.join('\n');
}

function git(/** @type {string[]} */ ...a) {
  return execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trimEnd();
}

/** @param {string} name */
function lockedVersion(name) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return lock.packages?.[`node_modules/${name}`]?.version ?? 'unknown';
}

const NOTES = '## Reading the results';

/** @param {any[]} results @param {{ wallS: number, otherS: number, load: string }} env */
function resultsFile(results, env) {
  const m = medians(results);
  const dirty = git('status', '--porcelain', '--', 'core', 'wasm', 'Cargo.lock')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
  const commit = git('rev-parse', 'HEAD') + (dirty.length ? ` with uncommitted changes to: ${dirty.join(', ')}` : '');
  const wasm = join(root, 'web/pkg/brigade_wasm_bg.wasm');
  const built = existsSync(wasm) ? statSync(wasm).mtime.toISOString().replace(/\.\d+Z$/, 'Z') : 'not built';
  const out = args.out ? relative(root, resolve(args.out)) : '';
  let notes = `${NOTES}\n\n(Write the notes here; bench/browser.mjs keeps this section when it rewrites the file.)\n`;
  if (args.out && existsSync(args.out)) {
    const old = readFileSync(args.out, 'utf8');
    const at = old.indexOf(NOTES);
    if (at >= 0) notes = old.slice(at);
  }
  const n = cpus().length;
  return `# Tiny jobs in the browser: brigade vs workerpool vs a Comlink pool

Generated by \`bench/browser.sh\` (\`bench/browser.mjs\`); do not edit by hand,
except the section "${NOTES.slice(3)}" at the end, which the script keeps.

- machine: ${n} cores, ${cpus()[0]?.model.trim()}
- other load: ${env.otherS.toFixed(0)} s of CPU time used by other processes during the ${env.wallS.toFixed(0)} s run (at most ${n} x ${env.wallS.toFixed(0)} s); load average at the start: ${env.load}
- browser: ${results[0].browserVersion} (\`${results[0].page.userAgent}\`), headless, cross-origin isolated: ${results[0].page.crossOriginIsolated}
- node ${process.version}; workerpool ${lockedVersion('workerpool')}; comlink ${lockedVersion('comlink')}
- brigade: commit ${commit}; web/pkg built: ${built}
- date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}
- command: \`bench/browser.sh\` = \`node bench/browser.mjs --runs ${runs} --workers ${options.workers} --jobs ${options.jobs} --queue ${options.queue} --warmup-jobs ${options.warmupJobs} --latency-jobs ${options.latencyJobs} --latency-warmup ${options.latencyWarmup}${out ? ` --out ${out}` : ''}\`

Every contender has ${options.workers} workers and does the same job, \`echo\`: the
output is the input, a number. Each case gets a fresh pool, ${options.warmupJobs} untimed
warm-up jobs, then:

- throughput: ${options.jobs} jobs from the page to the pool and back, all in flight
  at once; the clock runs from the first call to the last output; jobs/s, and
  the ratio to workerpool (above 1: faster than workerpool). brigade's pool has a
  queue of ${options.queue}; the \`submit\` rows stream the outputs out of \`results()\`
  while a loop queues the jobs; workerpool's and Comlink's queues are unbounded.
- latency: ${options.latencyJobs} round trips of one job at a time, each awaited
  before the next starts (after ${options.latencyWarmup} untimed); p50 and p99 in µs,
  and the ratio to the bare \`postMessage\` echo (below 1: faster than the echo).
  \`performance.now()\` has 5 µs resolution in a cross-origin isolated page.
- bare \`postMessage\`: plain Web Workers that post each message back, with a FIFO
  of waiting callers on the page; no ids, errors or queue, so the floor under any
  pool that sends a message per job.
- shared-memory echo (latency only): one worker and one job at a time through a
  SharedArrayBuffer; the page writes the input, notifies and awaits
  \`Atomics.waitAsync\`; the worker either awaits \`Atomics.waitAsync\` too (as
  brigade's idle workers do in a pool with JavaScript handlers) or blocks in
  \`Atomics.wait\` (as they do otherwise, and in this benchmark). Not a pool: the
  floor under brigade's round trip, a write into shared memory and a wake on
  each side.

Every output is checked against its input after the clock stops (brigade's
\`results()\` by job id); a wrong, missing or duplicate one fails the run.

Goals (from the issue)${runs === 1 ? '' : `, on the medians of the ${runs} runs`}:
${goals(m)}

${
    runs === 1
      ? `## Results\n\n${table(m)}\n`
      : `## Medians of ${runs} runs\n\n${table(m)}\n\n${results.map((r, i) => `## Run ${i + 1}\n\n${table(r)}\n`).join('\n')}`
  }
${notes}`;
}

// --- chart ----------------------------------------------------------------------

/**
 * The ratios for bench/plot.py, as brigade's time per job ÷ each peer's (the
 * other benchmarks' convention: below 1, brigade is faster): a throughput
 * ratio is inverted, a latency ratio is one of times already.
 * @param {any[]} results
 */
function plot(results) {
  const m = medians(results);
  /** Four significant digits. @param {number} x */
  const round = (x) => Number(x.toPrecision(4));
  const peers = ['workerpool', 'comlink', 'postmessage'];
  /** @param {any} r @param {string} key @param {string} peer */
  const time = (r, key, peer) => {
    const b = r.throughput[key]?.perSecond;
    const p = r.throughput[peer]?.perSecond;
    return b && p ? round(p / b) : null;
  };
  /** @param {any} r @param {string} q */
  const trip = (r, q) => {
    const b = r.latency['brigade-run']?.[q];
    const p = r.latency.postmessage?.[q];
    return b && p ? round(b / p) : null;
  };
  const rows = [
    ['brigade-trysubmit', 'per job, trySubmit'],
    ['brigade-submit', 'per job, submit'],
    ['brigade-run', 'per job, run()'],
  ]
    .filter(([key]) => m.throughput[key])
    .map(([key, label]) => ({
      label,
      values: peers.map((p) => time(m, key, p)),
      rounds: peers.map((p) => results.map((r) => time(r, key, p))),
    }));
  for (const q of ['p50', 'p99']) {
    if (trip(m, q) === null) continue;
    rows.push({
      label: `round trip ${q}, run()`,
      values: [null, null, trip(m, q)],
      rounds: [[], [], results.map((r) => trip(r, q))],
    });
  }
  return {
    title: "Browser: brigade's time per job ÷ each peer's",
    subtitle: `${cpus().length} cores; Chromium ${results[0].browserVersion}; ${options.workers} workers; ${
      options.jobs
    } echo jobs; medians of ${results.length} runs; ${new Date().toISOString().slice(0, 10)}`,
    axis: 'ratio, log scale: left of 1x brigade is faster, right of it slower',
    series: ['÷ workerpool', '÷ Comlink pool', '÷ bare postMessage'],
    rows,
    goals: [
      { value: 0.1, series: 0, label: 'goal: 10x the throughput of workerpool' },
      { value: 1.0, series: 2, label: 'goal: round trip no slower than postMessage' },
    ],
  };
}

// --- main -----------------------------------------------------------------------

const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(', ');
const busy0 = busyTicks();
const own = new TreeCpu();
const t0 = Date.now();
const server = await serve(['--dir', root]);
/** @type {any[]} */
const results = [];
try {
  for (let i = 1; i <= runs; i++) {
    console.error(`run ${i} of ${runs}`);
    const r = await runOnce(server.url, own);
    results.push(r);
    console.log(`\n### run ${i} (${r.browserVersion}, ${options.workers} workers)\n\n${table(r)}\n`);
  }
} finally {
  server.stop();
}
const wallS = (Date.now() - t0) / 1000;
const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const otherS = Math.max(0, busyTicks() - busy0 - own.stop()) / hz;
if (runs > 1) console.log(`### medians of ${runs} runs\n\n${table(medians(results))}\n\n${goals(medians(results))}`);
else console.log(goals(results[0]));
console.log(`\nother load: ${otherS.toFixed(0)} s of CPU time used by other processes during the ${wallS.toFixed(0)} s run`);
if (args.out) {
  writeFileSync(args.out, resultsFile(results, { wallS, otherS, load }));
  console.log(`wrote ${relative(root, resolve(args.out))}`);
  const json = args.out.replace(/(\.md)?$/, '.json');
  writeFileSync(json, `${JSON.stringify(plot(results), null, 1)}\n`);
  const svg = json.replace(/\.json$/, '.svg');
  execFileSync('python3', [join(root, 'bench/plot.py'), json, svg], { stdio: 'inherit' });
}
