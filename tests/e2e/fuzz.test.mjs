// @ts-check
// A generated test: at least 100,000 calls with random arguments, spread over
// every entry point of the JavaScript API, in headless Chromium against the
// package built into web/pkg (served with the isolation headers by
// scripts/serve.py, as in api.test.mjs).
//
// A seeded PRNG (mulberry32) in the page picks every call and argument; the
// seed is printed, and BRIGADE_FUZZ_SEED=<seed> replays the same sequence of
// calls (their outcomes, and the job ids cancel() picks among, still depend
// on timing: workers, timers, aborts). Pool.create is awaited, so which pools
// exist follows from the seed too. The calls run in steps of CHUNK, one
// page.evaluate each, with the pools kept in `window`, so a hang or a failure
// is pinned to a step; the test stops after the first step with a violation.
//
// Pools: 1-3 alive at once, 1-3 workers each, every one ended by terminate(),
// drain(), close() + either, or [Symbol.asyncDispose](), then called a few
// more times. Jobs are cheap: tiny sleeps, primes below 2,000, mandelbrot up
// to 8 x 8; a long sleep or a job that waits for its abort always gets a
// signal or timeout that comes within ~30 ms.
//
// Every call must return or throw synchronously, or its promise settle; what
// is thrown or rejected must be an Error named in KNOWN (the page checks it),
// or exactly the reason the test gave the call's AbortSignal (fetch
// semantics); never a trap; no page error, console error or warning. After
// the storm every promise has settled, each live pool's `workers` is what its
// last successful resize() set, and a fresh pool still squares 7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, browserAndServer } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Calls in all, at least. */
const TOTAL = 100_000;
/** Calls per page.evaluate step. */
const CHUNK = 2_000;
const DEFAULT_SEED = 20240611;

/** The entry points every run must reach at least once. */
const ENTRY_POINTS = [
  'Pool.create', 'initialize', 'run', 'submit', 'trySubmit', 'cancel', 'resize', 'stats', 'running',
  'metricsText', 'size', 'pending', 'workers', 'capacity', 'closed', 'group', 'group.go', 'group.wait',
  'results', '[Symbol.asyncIterator]', 'results.next', 'results.return', 'onIdle', 'addEventListener',
  'removeEventListener', 'close', 'drain', 'terminate', '[Symbol.asyncDispose]',
];

/** @returns {number} */
function fuzzSeed() {
  const env = process.env.BRIGADE_FUZZ_SEED;
  if (env === undefined || env === '') return DEFAULT_SEED;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`BRIGADE_FUZZ_SEED must be an integer 0..2^32-1, got ${env}`);
  return n;
}

const session = browserAndServer(['--dir', root]);

/**
 * Runs in the page (Playwright sends its source, so it refers to nothing
 * outside itself): imports the package and sets `window.__fuzz` to
 * `{ step(n), finish() }`.
 * @param {{ seed: number }} arg
 */
async function installFuzzer({ seed }) {
  const { Pool, initialize } = await import('/web/pkg/index.js');

  // --- randomness --------------------------------------------------------------
  let state = seed >>> 0;
  /** mulberry32 (Tommy Ettinger): 32 bits of state, plenty for a test's choices. */
  const rand = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** @param {number} n */
  const int = (n) => Math.floor(rand() * n);
  /** @param {number} p */
  const chance = (p) => rand() < p;
  /** @template T @param {T[]} xs @returns {T} */
  const pick = (xs) => xs[int(xs.length)];
  /** @template T @param {[number, T][]} table @returns {T} */
  const weighted = (table) => {
    let r = rand() * table.reduce((sum, [w]) => sum + w, 0);
    for (const [w, v] of table) if ((r -= w) < 0) return v;
    return table[table.length - 1][1];
  };

  // --- describing values ---------------------------------------------------------
  /** A short description of a value; reads no getter and survives proxies. @param {unknown} v @returns {string} */
  const show = (v, depth = 2) => {
    try {
      switch (typeof v) {
        case 'string':
          return v.length > 24 ? `${JSON.stringify(v.slice(0, 12))}…(${v.length} chars)` : JSON.stringify(v);
        case 'number':
          return Object.is(v, -0) ? '-0' : String(v);
        case 'bigint':
          return `${v}n`;
        case 'symbol':
          return v.toString();
        case 'function':
          return `function ${v.name || '(anonymous)'}`;
        case 'undefined':
          return 'undefined';
        case 'boolean':
          return String(v);
      }
      if (v === null) return 'null';
      const o = /** @type {object} */ (v);
      if (v instanceof Error || v instanceof DOMException) return `${v.constructor.name}(${v.name}: ${JSON.stringify(v.message)})`;
      if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${'length' in v ? v.length : v.byteLength})`;
      if (Array.isArray(v)) {
        return depth > 0 ? `[${v.slice(0, 6).map((x) => show(x, depth - 1)).join(', ')}${v.length > 6 ? ', …' : ''}]` : `[…${v.length}]`;
      }
      const proto = Object.getPrototypeOf(o);
      if (proto === Object.prototype || proto === null) {
        if (depth <= 0) return '{…}';
        const parts = Object.entries(Object.getOwnPropertyDescriptors(o))
          .slice(0, 6)
          .map(([k, desc]) => `${k}: ${'value' in desc ? show(desc.value, depth - 1) : 'get'}`);
        return `{ ${parts.join(', ')} }`;
      }
      return `a ${proto?.constructor?.name ?? 'object'}`;
    } catch {
      return '(indescribable)';
    }
  };

  // --- values for job inputs -----------------------------------------------------
  /** @typedef {[unknown, string]} Gen a value and its description */
  const NUMBERS = [0, -0, 1, -1, 7, 1.5, -2.25, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 31), 1e300];
  const STRINGS = ['', 'abc', 'héllo 🌍', 'a\uD800b', 'x'.repeat(300), '{"json": true}', '__proto__'];
  // No key that a kernel reads as a size or a time (ms, below, width, n…):
  // random data must not ask for an hour's sleep.
  const KEYS = ['a', 'b', 'x', 'message', '0', '10', 'two words', '__proto__', 'constructor'];
  const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  /** An own enumerable property, even for "__proto__". @param {object} o @param {string} k @param {unknown} v */
  const define = (o, k, v) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

  /** @returns {Gen} */
  const scalar = () => {
    switch (int(8)) {
      case 0:
      case 1: {
        const n = pick(NUMBERS);
        return [n, show(n)];
      }
      case 2: {
        const b = pick([0n, -42n, 2n ** 70n]);
        return [b, show(b)];
      }
      case 3: {
        const s = pick(STRINGS);
        return [s, show(s)];
      }
      case 4:
        return chance(0.5) ? [true, 'true'] : [false, 'false'];
      case 5:
        return [undefined, 'undefined'];
      case 6:
        return [null, 'null'];
      default: {
        const n = int(1000);
        return [n, String(n)];
      }
    }
  };

  /** Values at the edge of what crosses to the workers, or past it. @type {(() => Gen)[]} */
  const EXOTIC = [
    () => [Symbol('s'), 'Symbol(s)'],
    () => [() => 1, 'an arrow function'],
    () => [class Point {}, 'a class'],
    () => [new Date(int(2e12)), 'a Date'],
    () => [new Date(NaN), 'an invalid Date'],
    () => [/a+\/b/giu, 'a RegExp'],
    () => {
      const T = pick(TYPED);
      const n = int(9);
      return [new T(n), `new ${T.name}(${n})`];
    },
    () => [new DataView(new ArrayBuffer(8), 2, 4), 'a DataView'],
    () => [new ArrayBuffer(int(16)), 'an ArrayBuffer'],
    () => {
      const b = new ArrayBuffer(8);
      structuredClone(b, { transfer: [b] });
      return [b, 'a detached ArrayBuffer'];
    },
    () => {
      const b = new ArrayBuffer(8);
      const u = new Uint8Array(b, 2);
      structuredClone(b, { transfer: [b] });
      return [u, 'a Uint8Array over a detached ArrayBuffer'];
    },
    () => [new Uint8Array(new SharedArrayBuffer(8)).fill(int(256)), 'a Uint8Array over a SharedArrayBuffer'],
    () => [new Int32Array(new SharedArrayBuffer(16)), 'an Int32Array over a SharedArrayBuffer'],
    () => [new SharedArrayBuffer(4), 'a SharedArrayBuffer'],
    () => [new (class Point {
      constructor() {
        this.x = 1;
      }
    })(), 'a class instance'],
    () => [new RangeError('r', { cause: { code: 7 } }), 'a RangeError with a cause'],
    () => [new DOMException('d', 'AbortError'), 'a DOMException'],
    () => pick([[new Number(-0), 'new Number(-0)'], [new String('s'), "new String('s')"], [new Boolean(false), 'new Boolean(false)'], [Object(5n), 'Object(5n)']]),
    () => {
      const o = { a: 1, self: {} };
      o.self = o;
      return [o, 'an object holding itself'];
    },
    () => {
      /** @type {unknown[]} */
      const xs = [1];
      xs.push([xs]);
      return [xs, 'an array holding itself'];
    },
    () => {
      const m = new Map();
      m.set('me', m);
      return [m, 'a Map holding itself'];
    },
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return [proxy, 'a revoked Proxy'];
    },
    () => [new Proxy({}, { ownKeys() { throw new Error('ownKeys trap'); } }), 'a Proxy whose ownKeys throws'],
    () => [new Proxy({ a: 1 }, {}), 'a transparent Proxy'],
    () => [{ get x() { throw new Error('getter'); } }, 'an object whose getter throws'],
    () => [Object.assign(Object.create(null), { n: 1 }), 'a null-prototype object'],
    () => {
      const xs = [1, , 3]; // eslint-disable-line no-sparse-arrays
      xs.length = 6;
      return [xs, 'a sparse array'];
    },
    () => [new WeakMap(), 'a WeakMap'],
    () => [Promise.resolve(1), 'a Promise'],
    () => [Array.from({ length: 1000 }, (_, i) => i), '1000 numbers'],
  ];

  /** Any value: scalars, exotic values, and containers of them. @param {number} depth @returns {Gen} */
  const anyValue = (depth) => {
    const r = rand();
    if (depth > 0 && r < 0.3) {
      const n = int(4);
      /** @type {Gen[]} */
      const items = Array.from({ length: n }, () => anyValue(depth - 1));
      switch (int(4)) {
        case 0:
          return [items.map(([v]) => v), `[${items.map(([, d]) => d).join(', ')}]`];
        case 1: {
          const o = {};
          const parts = items.map(([v, d]) => {
            const k = pick(KEYS);
            define(o, k, v);
            return `${k}: ${d}`;
          });
          return [o, `{ ${parts.join(', ')} }`];
        }
        case 2:
          return [new Map(items.map(([v], i) => [i % 2 ? v : String(i), v])), `Map(${items.map(([, d]) => d).join(', ')})`];
        default:
          return [new Set(items.map(([v]) => v)), `Set(${items.map(([, d]) => d).join(', ')})`];
      }
    }
    return r < 0.7 ? scalar() : pick(EXOTIC)();
  };

  /** @param {unknown} v @returns {Gen} */
  const lit = (v) => [v, show(v)];
  /** A job input each kind accepts, small enough to run in a moment. @type {Record<string, () => Gen>} */
  const GOOD = {
    echo: () => anyValue(2),
    square: () => lit(pick([0, -0, 1, 7, -3, 1.5, 1e154, NaN, Infinity, int(1e6)])),
    sleep: () => lit({ ms: pick([0, 0, 0.1, 0.5, 1, 2]) }),
    spin: () => lit({ ms: pick([0, 0.1, 0.5]) }),
    fail: () => lit(pick([{ message: 'no' }, {}, { message: 5 }, 'x'])),
    panic: () => lit(pick([{ message: 'oh no' }, null])),
    sha256: () => lit(pick([() => 'abc', () => 'a\uD800', () => new Uint8Array(int(64)), () => new TextEncoder().encode('héllo')])()),
    primes: () => lit({ below: int(2000) }),
    mandelbrot: () => lit({ x: -2, y: -1, width: 1 + int(8), height: 1 + int(8), scale: 0.3, maxIter: 1 + int(60), parallel: chance(0.3) }),
    thumbnail: () => {
      const [width, height] = [1 + int(6), 1 + int(6)];
      return lit({ width, height, rgba: new Uint8ClampedArray(width * height * 4), maxSide: 1 + int(6) });
    },
    // tests/pages/handlers.js
    double: () => scalar(),
    where: () => lit(null),
    later: () => lit({ ms: int(4), value: 'v' }),
    sum: () => lit(new Uint8Array([1, 2, 3])),
    boom: () => scalar(),
    flaky: () => lit(null),
    notData: () => lit(null),
    same: () => anyValue(2),
    steps: () => lit({ n: int(4), bad: chance(0.2) }),
    abortsSeen: () => lit(null),
    waitForAbort: () => lit(null),
    // HANDLER_SOURCE and HANDLER_DATA_URL below
    id: () => anyValue(2),
    nap: () => lit(int(3)),
    throwsNonError: () => scalar(),
    syntax: () => lit(null),
  };
  /** Inputs a kind refuses (a JobError, or a PanicError). @type {Record<string, () => Gen>} */
  const BAD = {
    sleep: () => lit(pick([{ ms: -1 }, { ms: NaN }, { ms: 'x' }, { ms: Infinity }, { ms: 1e300 }, {}, null, 5])),
    spin: () => lit(pick([{ ms: -1 }, { ms: 1e300 }, 'x'])),
    // 2 ** 32 + 100 and 2e9 are not refused today: see the report of this test.
    primes: () => lit(pick([{ below: -1 }, { below: NaN }, { below: 'x' }, { below: 1e300 }, { below: 2 ** 32 + 100 }, { below: 2e9 }])),
    mandelbrot: () => {
      const base = { x: -2, y: -1, scale: 1, width: 3, height: 3, maxIter: 5 };
      return lit(pick([{}, { ...base, width: 0 }, { ...base, width: 1e5, height: 1e5 }, { ...base, maxIter: 0 }, { ...base, maxIter: 70000 }, { ...base, width: NaN }]));
    },
    thumbnail: () => lit(pick([{}, { width: 2, height: 2, maxSide: 1, rgba: new Uint8Array(3) }, { width: 0, height: 2, maxSide: 1, rgba: new Uint8Array(0) }, { width: NaN, height: NaN, maxSide: 1, rgba: new Uint8Array(0) }])),
    square: () => lit(pick(['x', null, {}, 2n, [1]])),
    sha256: () => lit(pick([5, {}, null, new Uint16Array(2)])),
    later: () => lit(pick([undefined, 5, { ms: 'x' }])),
    steps: () => lit(pick([undefined, { n: 'x' }, { n: -1 }])),
    sum: () => lit(pick([[1, 2], 'x'])),
  };
  /** Kinds no pool runs, and kinds that are not strings. @type {(() => Gen)[]} */
  const BAD_KINDS = [
    () => lit(123), () => lit(undefined), () => lit(null), () => [{ kind: 'echo' }, "{ kind: 'echo' }"], () => lit(Symbol('k')),
    () => lit('nope'), () => lit(''), () => lit('ECHO'), () => lit(' echo'), () => lit('constructor'), () => lit('__proto__'),
    () => lit('toString'), () => lit(1n), () => lit(NaN), () => lit(['echo']), () => [new String('echo'), "new String('echo')"],
  ];
  const BUILT_IN = /** @type {[number, string][]} */ ([
    [30, 'echo'], [20, 'square'], [8, 'sleep'], [6, 'fail'], [3, 'panic'], [6, 'sha256'], [4, 'primes'], [3, 'mandelbrot'], [2, 'spin'], [2, 'thumbnail'],
  ]);
  const HANDLER_FILE_KINDS = ['double', 'where', 'later', 'sum', 'boom', 'flaky', 'notData', 'same', 'steps', 'abortsSeen', 'waitForAbort'];
  const HANDLER_SOURCE = [
    'export function id(x) { return x; }',
    'export async function nap(ms) { await new Promise((r) => setTimeout(r, Math.min(Number(ms) || 0, 5))); return ms; }',
    'export function throwsNonError(x) { throw x; }',
    "export function syntax() { throw new SyntaxError('bad'); }",
  ].join('\n');
  const HANDLER_DATA_URL = 'data:text/javascript,export function id(x) { return x; }';
  /** Kinds that end only when aborted or timed out. */
  const ENDLESS = new Set(['waitForAbort']);

  // --- abort reasons and signals ------------------------------------------------
  /** @returns {Gen} what to pass to abort(): undefined gives a DOMException named AbortError */
  const reason = () => {
    switch (int(9)) {
      case 0:
      case 1:
        return [undefined, 'no reason'];
      case 2:
        return ['stop', "'stop'"];
      case 3:
        return [42, '42'];
      case 4:
        return [null, 'null'];
      case 5:
        return [{ why: 'user' }, "{ why: 'user' }"];
      case 6:
        return [new Error('user clicked stop'), 'an Error'];
      case 7:
        return [NaN, 'NaN'];
      default:
        return [Symbol('why'), 'Symbol(why)'];
    }
  };
  /** A controller that aborts after 0..29 ms. @returns {[AbortSignal, string]} */
  const timerSignal = () => {
    const c = new AbortController();
    const ms = int(30);
    const [r, d] = reason();
    setTimeout(() => c.abort(r), ms);
    return [c.signal, `aborts in ${ms} ms with ${d}`];
  };
  /** A signal that will abort within ~30 ms, for jobs that never end otherwise. @returns {[AbortSignal, string]} */
  const endingSignal = () => {
    if (chance(0.5)) return timerSignal();
    const ms = int(20);
    return [AbortSignal.timeout(ms), `AbortSignal.timeout(${ms})`];
  };
  /** @param {Entry} entry @returns {[unknown, string]} */
  const anySignal = (entry) =>
    /** @type {() => [unknown, string]} */ (weighted([
      [35, timerSignal],
      [10, () => {
        const c = new AbortController();
        const [r, d] = reason();
        c.abort(r);
        return [c.signal, `already aborted with ${d}`];
      }],
      [5, () => {
        const [r, d] = reason();
        return [AbortSignal.abort(r), `AbortSignal.abort(${d})`];
      }],
      [10, () => [AbortSignal.timeout(int(20)), 'AbortSignal.timeout']],
      [10, () => [entry.shared.signal, `the pool's shared signal`]],
      [5, () => {
        const [s, d] = timerSignal();
        return [AbortSignal.any([s, new AbortController().signal]), `AbortSignal.any(${d})`];
      }],
      [5, () => [new AbortController().signal, 'never aborts']],
      [10, () => pick([[42, '42'], [{}, '{}'], ['signal', "'signal'"], [{ aborted: true, reason: 'junk' }, '{ aborted: true }'], [null, 'null'], [new EventTarget(), 'an EventTarget'], [true, 'true']])],
    ]))();

  /**
   * Random job options: a signal, a timeout, onProgress, an unknown key, or
   * junk instead of an object. `mustEnd`: the job ends only if aborted, so
   * give it a signal or timeout that comes.
   * @param {Entry} entry @param {boolean} mustEnd @param {boolean} reports whether the kind reports progress
   * @returns {{ v: unknown, d: string, signal: unknown }}
   */
  const jobOptions = (entry, mustEnd, reports) => {
    if (!mustEnd && !reports && chance(0.45)) return { v: undefined, d: '', signal: undefined };
    if (!mustEnd && chance(0.04)) {
      const [v, d] = pick([[null, 'null'], [42, '42'], ['x', "'x'"], [[], '[]'], [true, 'true']]);
      return { v, d, signal: undefined };
    }
    /** @type {Record<string, unknown>} */
    const o = {};
    const parts = [];
    let signal;
    if (mustEnd) {
      const [s, d] = endingSignal();
      signal = o.signal = s;
      parts.push(`signal: ${d}`);
    } else if (chance(0.5)) {
      const [s, d] = anySignal(entry);
      signal = o.signal = s;
      parts.push(`signal: ${d}`);
    }
    if (chance(0.25)) {
      const t = chance(0.6) ? pick([0.001, 1, 5, 50, 1000]) : pick([0, -1, NaN, Infinity, '5', null, 1e12, 2n]);
      o.timeoutMs = t;
      parts.push(`timeoutMs: ${show(t)}`);
    }
    if (chance(0.05)) {
      const t = chance(0.6) ? pick([50, 1000]) : pick([0, 0.5, -1, NaN, Infinity, '5', null, 1e12, 2n]);
      o.hardTimeoutMs = t;
      parts.push(`hardTimeoutMs: ${show(t)}`);
    }
    if (chance(reports ? 0.7 : 0.2)) {
      const [f, d] = chance(0.8) ? [() => (st.progress += 1), 'a function'] : pick([[42, '42'], ['f', "'f'"], [{}, '{}'], [null, 'null']]);
      o.onProgress = f;
      parts.push(`onProgress: ${d}`);
    }
    if (chance(0.03)) {
      const k = pick(['timeoutMS', 'signals', 'priority', 'retry']);
      o[k] = 1;
      parts.push(`${k}: 1`);
    }
    return { v: o, d: `{ ${parts.join(', ')} }`, signal };
  };

  // --- pool options ---------------------------------------------------------------
  const HANDLERS_FILE = new URL('/tests/pages/handlers.js', location.href);
  /** Options Pool.create must refuse, each [key, value]; key null: the whole options. @type {[string | null, unknown][]} */
  const REFUSED = [
    ...[0, -1, 1.5, NaN, Infinity, -Infinity, 257, 1e300, '2', null, true, {}, [], 2n, Symbol('w')].map((v) => ['workers', v]),
    ...[-1, 1.5, NaN, 2 ** 24 + 1, 'x', Infinity, null].map((v) => ['queue', v]),
    ...[0, -5, NaN, Infinity, 86_400_001, '5'].map((v) => ['timeoutMs', v]),
    ...[0, -1, NaN, Infinity].map((v) => ['saturationWindowMs', v]),
    ...[0, 0.5, NaN, Infinity, 86_400_001, '5'].map((v) => ['hardTimeoutMs', v]),
    ...[-1, 1.5, 257, NaN, '1'].map((v) => ['rayonThreads', v]),
    ...[null, 5, 'x', [], { attempts: 0 }, { attempts: 1.5 }, { attempts: NaN }, { attempts: 101 }, { baseMs: -1 }, { maxMs: Infinity }, { jitter: 'yes' }, { attempts: '3' }].map((v) => ['retry', v]),
    ...[null, 5, {}, { perSecond: 0 }, { perSecond: -1 }, { perSecond: NaN }, { perSecond: Infinity }, { perSecond: 1e10 }, { perSecond: 100, burst: 0 }, { perSecond: 100, burst: 1.5 }, { perSecond: '5' }, { burst: 2 }].map((v) => ['rateLimit', v]),
    // No URL that 404s or that the browser cannot fetch: the browser would log it.
    ...[42, {}, [], '', '   ', 'not a module (', 'export default 1', 'export const answer = 42;', 'data:text/javascript,throw new Error("broken")', true, null, Symbol('h')].map((v) => ['handlers', v]),
    ...['wrokers', 'Workers', '__proto__', 'queue '].map((k) => [k, 1]),
    // Unknown nested keys are refused as top-level ones are.
    ['retry', { attemps: 5 }],
    ['retry', { nested: { deep: [1] } }],
    ['rateLimit', { perSecond: 1e5, extra: 1 }],
    ...[null, 42, 'x', [], true].map((v) => [null, v]),
  ];

  /**
   * Options for Pool.create: valid ones that keep every job quick (1-3
   * workers, no slow rate limit or backoff), sometimes with one refused value.
   * @returns {{ v: unknown, d: string, expect: 'accept' | 'refuse', workers: number, queue: number | undefined, kinds: string[] }}
   */
  const poolOptions = () => {
    const o = {};
    const parts = [];
    /** @param {string} k @param {unknown} v */
    const set = (k, v) => {
      define(o, k, v);
      parts.push(`${k}: ${show(v)}`);
    };
    if (chance(0.9)) set('workers', 1 + int(3));
    if (chance(0.5)) set('queue', pick([0, 1, 2, 4, 16, 256, 1 << 24]));
    if (chance(0.2)) set('timeoutMs', pick([5, 50, 1000]));
    if (chance(0.05)) set('hardTimeoutMs', pick([50, 1000]));
    if (chance(0.15)) set('saturationWindowMs', pick([1, 50, 1000]));
    if (chance(0.2)) set('retry', pick([{}, { attempts: 1 + int(4), baseMs: int(3), maxMs: int(6), jitter: chance(0.5) }]));
    if (chance(0.15)) set('rateLimit', { perSecond: pick([1e4, 1e5, 1e9]), burst: pick([1, 10, 1000]) });
    if (chance(0.1)) set('rayonThreads', pick([0, 1, 2]));
    /** @type {string[]} */
    let handlerKinds = [];
    if (chance(0.3)) {
      const [v, kinds] = pick([
        [HANDLERS_FILE, HANDLER_FILE_KINDS],
        ['/tests/pages/handlers.js', HANDLER_FILE_KINDS],
        [HANDLER_DATA_URL, ['id']],
        [HANDLER_SOURCE, ['id', 'nap', 'throwsNonError', 'syntax']],
      ]);
      set('handlers', v);
      handlerKinds = /** @type {string[]} */ (kinds);
    }
    /** @type {'accept' | 'refuse'} */
    let expect = 'accept';
    /** @type {unknown} */
    let v = o;
    if (chance(0.4)) {
      const [k, bad] = pick(REFUSED);
      expect = 'refuse';
      if (k === null) {
        v = bad;
        parts.splice(0, parts.length, `(the whole options) ${show(bad)}`);
      } else {
        set(k, bad);
      }
    }
    const workers = 'workers' in o && typeof o.workers === 'number' ? o.workers : Math.min(navigator.hardwareConcurrency || 2, 256);
    return {
      v,
      d: parts.length ? `{ ${parts.join(', ')} }` : '{}',
      expect,
      workers,
      queue: typeof o.queue === 'number' ? o.queue : undefined,
      kinds: handlerKinds,
    };
  };

  // --- bookkeeping --------------------------------------------------------------------
  const KNOWN = new Set(['TypeError', 'RangeError', 'SyntaxError', 'QueueFullError', 'PoolClosedError', 'JobError', 'PanicError', 'TimeoutError', 'AbortError', 'WorkerLostError', 'DataCloneError', 'NotIsolatedError']);

  /**
   * @typedef {{ entry: string, d: string, done: boolean, p: Promise<void> }} Tracked a promise a call returned
   * @typedef {object} Entry a pool the fuzzer made
   * @property {number} no
   * @property {any} pool
   * @property {string} d
   * @property {number} expectedWorkers what the last successful resize set
   * @property {number} capacity
   * @property {string[]} handlerKinds
   * @property {boolean} closed whether close/drain/terminate was called
   * @property {number} budget calls before its end
   * @property {number} used
   * @property {number} zombieLeft calls it still takes once ended
   * @property {number[]} ids
   * @property {any[]} iters
   * @property {{ g: any, d: string, outer: unknown }[]} groups
   * @property {[string, EventListener, unknown][]} listeners
   * @property {Tracked[]} promises
   * @property {number} waitingNext
   * @property {AbortController} shared a signal many jobs share, aborted now and then
   */
  const st = {
    calls: 0,
    /** @type {Record<string, Record<string, number>>} */
    counts: {},
    /** @type {{ kind: string, call: string, detail: string }[]} */
    violations: [],
    violationCount: 0,
    /** Outcomes of the records results() gave. @type {Record<string, number>} */
    records: {},
    progress: 0,
    events: 0,
    /** @type {Tracked[]} */
    all: [],
    /** The promises of this step that should settle soon. @type {Tracked[]} */
    step: [],
    /** @type {Entry[]} */
    pools: [],
    /** Ended pools that still take a few calls. @type {Entry[]} */
    zombies: [],
    /** @type {Entry[]} */
    everyPool: [],
    nextNo: 1,
    /** Pools ended so far. */
    ended: 0,
    /** How many pools to keep alive (1-3). */
    target: 2,
    /** Checks that an ended pool's promises all settle. @type {Promise<void>[]} */
    endChecks: [],
    /** Checks of `workers` against the last successful resize. */
    workersChecks: 0,
    /**
     * The last job calls (run, submit, trySubmit, group.go), for a trap's
     * report: whether each is pending, was taken (an id), ran (a value),
     * was refused or failed (any other error), or ended in the trap.
     * @type {{ d: string, out: 'pending' | 'taken' | 'ran' | 'refused' | 'trap' }[]}
     */
    lastJobs: [],
    trapSeen: false,
  };

  /** @param {string} kind @param {string} call @param {string} detail */
  const violation = (kind, call, detail) => {
    st.violationCount += 1;
    // The first few of each kind: one kind (a trap) must not hide the others.
    if (st.violations.filter((v) => v.kind === kind).length < 6) st.violations.push({ kind, call, detail });
    if (kind === 'trap' && !st.trapSeen) {
      // The job that trapped ran on a worker, and the page learns of it at
      // its next call into the module: it is most likely among the last
      // jobs the pools took (an id) or whose run() the trap ended. (A run()
      // still pending most likely waits for room, and never ran.) Replay the
      // seed to be sure.
      st.trapSeen = true;
      const suspects = st.lastJobs.filter((j) => j.out === 'taken' || j.out === 'trap').slice(-40);
      st.violations.push({
        kind: 'trap',
        call: `the last ${suspects.length} jobs taken, or ended by the trap, when it first showed (the one that trapped is most likely among them)`,
        detail: suspects.map((j) => `${j.d} [${j.out}]`).join(' | '),
      });
    }
  };
  /** @param {string} entry @param {string} outcome */
  const count = (entry, outcome) => {
    const c = (st.counts[entry] ??= {});
    c[outcome] = (c[outcome] ?? 0) + 1;
  };
  /** @param {any} e */
  const isTrap = (e) =>
    e instanceof WebAssembly.RuntimeError ||
    e?.name === 'RuntimeError' ||
    /Module terminated|trapped/.test(String(e?.message)) ||
    e?.cause instanceof WebAssembly.RuntimeError ||
    e?.cause?.message === 'Module terminated';

  /**
   * The outcome of a throw or rejection, checking the rules.
   * @param {unknown} e @param {(() => unknown[]) | undefined} reasons the abort reasons the call may end with
   * @param {string} d @param {'threw' | 'rejected'} how
   */
  const judge = (e, reasons, d, how) => {
    if (reasons?.().some((r) => Object.is(r, e))) return `${how} signal.reason`;
    if (!(e instanceof Error)) {
      violation('not an Error', d, `${how} ${show(e)}`);
      return `${how} a non-Error`;
    }
    if (typeof e.name !== 'string' || !KNOWN.has(e.name)) {
      violation('unknown error name', d, `${how} ${e.name}: ${e.message}`);
    } else if (isTrap(e)) {
      violation('trap', d, `${how} ${e.name}: ${e.message}`);
    }
    return `${how} ${e.name}`;
  };

  /**
   * Makes one call and checks how it ends. Returns what it returned (or
   * undefined if it threw) and, for a promise, when it settles.
   * @param {string} entry the entry point, for the counts
   * @param {string} d the call, for reports
   * @param {() => any} f
   * @param {{ owner?: Entry, reasons?: () => unknown[], lifetime?: boolean, check?: (v: any) => void, failed?: (e: unknown) => void }} [how]
   *   lifetime: the promise may wait until the pool ends (results().next(), onIdle());
   *   check: looks at what it returned or resolved to; failed: at what it threw or rejected with
   * @returns {{ v: any, settled: Promise<void> | null }}
   */
  const call = (entry, d, f, how = {}) => {
    st.calls += 1;
    /** @param {any} v */
    const checked = (v) => {
      try {
        how.check?.(v);
      } catch (e) {
        violation('check threw', d, String(e));
      }
    };
    let v;
    try {
      v = f();
    } catch (e) {
      count(entry, judge(e, how.reasons, d, 'threw'));
      how.failed?.(e);
      return { v: undefined, settled: null };
    }
    if (!(v instanceof Promise)) {
      count(entry, 'returned');
      checked(v);
      return { v, settled: null };
    }
    /** @type {Tracked} */
    const t = { entry, d, done: false, p: Promise.resolve() };
    t.p = v.then(
      (x) => {
        t.done = true;
        count(entry, 'resolved');
        checked(x);
      },
      (e) => {
        t.done = true;
        count(entry, judge(e, how.reasons, d, 'rejected'));
        how.failed?.(e);
      },
    );
    st.all.push(t);
    how.owner?.promises.push(t);
    if (!how.lifetime) st.step.push(t);
    return { v, settled: t.p };
  };

  /** Calls that never settled: how many per entry point, and some of them. @param {Tracked[]} pending */
  const stuck = (pending) => {
    /** @type {Record<string, number>} */
    const per = {};
    for (const t of pending) per[t.entry] = (per[t.entry] ?? 0) + 1;
    const some = [...pending.filter((t) => t.entry !== 'onIdle'), ...pending.filter((t) => t.entry === 'onIdle')].slice(0, 8);
    return `${pending.length} calls (${Object.entries(per).map(([k, c]) => `${k} ${c}`).join(', ')}), e.g. ${some.map((t) => t.d).join(' | ')}`;
  };
  /**
   * Notes a job call for a trap's report; the hooks keep its state.
   * @param {string} d @param {boolean} givesId whether it returns the job's id (submit, trySubmit)
   */
  const noteJob = (d, givesId) => {
    /** @type {{ d: string, out: 'pending' | 'taken' | 'ran' | 'refused' | 'trap' }} */
    const j = { d, out: 'pending' };
    if (st.lastJobs.push(j) > 400) st.lastJobs.shift();
    return {
      check: () => (j.out = givesId ? 'taken' : 'ran'),
      failed: (/** @type {unknown} */ e) => (j.out = isTrap(e) ? 'trap' : 'refused'),
    };
  };
  /** The reason of a signal the test gave, once aborted. @param {unknown} s */
  const reasonsOf = (s) => () => (s instanceof AbortSignal && s.aborted ? [s.reason] : []);
  const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
  const macrotask = () =>
    new Promise((r) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        r(undefined);
      };
      port2.postMessage(null);
    });

  // --- pools ----------------------------------------------------------------------------
  /**
   * Creates a pool; resolves once it is made or refused. The fuzzer waits for
   * it, so which pools exist at each call follows from the seed alone.
   * @param {ReturnType<typeof poolOptions>} o
   */
  const createPool = (o) => {
    const d = `Pool.create(${o.d})`;
    const { settled } = call('Pool.create', d, () => Pool.create(/** @type {any} */ (o.v)), {
      check: (pool) => adopt(pool, o, d),
      failed: (e) => {
        if (o.expect === 'accept' && !isTrap(e)) violation('valid options refused', d, `${show(e)}`);
      },
    });
    return settled ?? Promise.resolve();
  };

  /** @param {any} pool @param {ReturnType<typeof poolOptions>} o @param {string} d */
  const adopt = (pool, o, d) => {
    if (!(pool instanceof Pool)) throw new Error(`Pool.create resolved to ${show(pool)}`);
    if (o.expect === 'refuse') violation('invalid options accepted', d, 'Pool.create resolved');
    const no = st.nextNo++;
    /** @type {Entry} */
    const entry = {
      no,
      pool,
      d,
      expectedWorkers: o.workers,
      capacity: o.queue ?? 2 * o.workers,
      handlerKinds: o.kinds,
      closed: false,
      budget: o.expect === 'refuse' ? 1 : 1500 + int(5000),
      used: 0,
      zombieLeft: 0,
      ids: [],
      iters: [],
      groups: [],
      listeners: [],
      promises: [],
      waitingNext: 0,
      shared: new AbortController(),
    };
    // Abort the shared signal now and then, and start a new one. Timers fire
    // in an order that depends on timing, so they take Math.random, not the
    // seeded draws: those stay the same sequence for a given seed.
    const rotate = () => {
      if (entry.closed) return;
      const reasons = [undefined, 'rotated', 7, new Error('rotated')];
      entry.shared.abort(reasons[Math.floor(Math.random() * reasons.length)]);
      entry.shared = new AbortController();
      setTimeout(rotate, 20 + Math.random() * 300);
    };
    setTimeout(rotate, 20 + int(300));
    st.pools.push(entry);
    st.everyPool.push(entry);
  };

  /** Checks `workers` on an open pool: what its last successful resize set. @param {Entry} e */
  const checkWorkers = (e) =>
    call('workers', `p${e.no}.workers (before its end)`, () => e.pool.workers, {
      check: (v) => {
        st.workersChecks += 1;
        if (v !== e.expectedWorkers) violation('workers', `p${e.no}.workers`, `${v}, but the last successful resize set ${e.expectedWorkers}`);
      },
    });

  /** @type {[number, string][]} */
  const ENDS = [[3, 'terminate'], [3, 'drain'], [2, 'close+drain'], [1, 'close+terminate'], [1, 'asyncDispose'], [1, 'drain+terminate']];
  /** Ends a pool: close, drain, terminate or dispose it; then its promises must all settle. @param {Entry} e */
  const endPool = (e) => {
    if (!e.closed) checkWorkers(e);
    // The first pools to end take each way in turn, so every run has them all.
    const how = st.ended < ENDS.length ? ENDS[st.ended][1] : weighted(ENDS);
    st.ended += 1;
    const p = `p${e.no}`;
    e.closed = true;
    /** @type {(Promise<void> | null)[]} */
    const ends = [];
    const opts = { owner: e };
    if (how.startsWith('close')) call('close', `${p}.close()`, () => e.pool.close(), opts);
    if (how.includes('drain')) ends.push(call('drain', `${p}.drain()`, () => e.pool.drain(), opts).settled);
    if (how.includes('terminate')) ends.push(call('terminate', `${p}.terminate()`, () => e.pool.terminate(), opts).settled);
    if (how === 'asyncDispose') ends.push(call('[Symbol.asyncDispose]', `${p}[Symbol.asyncDispose]()`, () => e.pool[Symbol.asyncDispose](), opts).settled);
    st.pools.splice(st.pools.indexOf(e), 1);
    e.zombieLeft = 10 + int(30);
    st.zombies.push(e);
    st.target = 1 + int(3);
    st.endChecks.push(
      Promise.all(ends).then(async () => {
        // Its last few calls may still be coming: wait until none is pending.
        const end = performance.now() + 20_000;
        let pending = e.promises.filter((t) => !t.done);
        while (pending.length && performance.now() < end) {
          await Promise.race([Promise.allSettled(pending.map((t) => t.p)), sleep(end - performance.now())]);
          pending = e.promises.filter((t) => !t.done);
        }
        if (pending.length) violation('hang', `${p} (${e.d}), ended by ${how}`, `still pending 20 s after: ${stuck(pending)}`);
      }),
    );
  };

  // --- calls on a pool ------------------------------------------------------------------
  /** A kind for a job on `e`: mostly valid, sometimes not a kind at all. @param {Entry} e @param {boolean} group */
  const kindFor = (e, group) => {
    const r = rand();
    if (r < 0.12) return { ...toKind(pick(BAD_KINDS)()), valid: false };
    if (r < 0.25 && e.handlerKinds.length) {
      const k = pick(e.handlerKinds);
      // A group's jobs end only with the group: no endless kinds there.
      if (!(group && ENDLESS.has(k))) return { kind: k, d: JSON.stringify(k), valid: true };
    }
    const k = weighted(BUILT_IN);
    return { kind: k, d: JSON.stringify(k), valid: true };
  };
  /** @param {Gen} g */
  const toKind = ([kind, d]) => ({ kind, d });

  /** @param {unknown} kind @returns {Gen} */
  const inputFor = (kind) => {
    const r = rand();
    const k = /** @type {string} */ (kind);
    // Own keys only: a kind may be "constructor" or "__proto__".
    if (typeof kind === 'string' && r < 0.12 && Object.hasOwn(BAD, k)) return BAD[k]();
    if (typeof kind === 'string' && r < 0.8 && Object.hasOwn(GOOD, k)) return GOOD[k]();
    return anyValue(2);
  };

  /**
   * One job call (run, submit, trySubmit) with random arguments.
   * @param {Entry} e @param {'run' | 'submit' | 'trySubmit'} method
   */
  const jobCall = (e, method) => {
    const { kind, d: kd, valid } = kindFor(e, false);
    const [input, id] = inputFor(kind);
    // A long sleep, or a kind that waits for its abort: give it an end.
    const long = valid && ((kind === 'sleep' && chance(0.05)) || ENDLESS.has(/** @type {string} */ (kind)));
    const jobInput = long && kind === 'sleep' ? { ms: 60_000 } : input;
    const inputD = long && kind === 'sleep' ? '{ ms: 60000 }' : id;
    const opts = jobOptions(e, long, kind === 'steps');
    const d = `p${e.no}.${method}(${kd}, ${inputD}${opts.d ? `, ${opts.d}` : ''})`;
    const args = opts.d ? [kind, jobInput, opts.v] : [kind, jobInput];
    const squareOf = kind === 'square' && typeof jobInput === 'number' ? jobInput : undefined;
    // The input may be a revoked Proxy: read it only when it is plain data.
    const below = kind === 'primes' && /^\{ below: /.test(inputD) ? /** @type {any} */ (jobInput).below : undefined;
    const primesBelow = typeof below === 'number' ? below : undefined;
    const note = noteJob(d, method !== 'run');
    const { v } = call(method, d, () => e.pool[method](...args), {
      owner: e,
      reasons: reasonsOf(opts.signal),
      failed: note.failed,
      check: (out) => {
        note.check();
        if (method !== 'run') {
          if (!Number.isInteger(out) || out < 1) violation('bad id', d, `${method} gave ${show(out)}`);
          else e.ids.push(out) > 64 && e.ids.shift();
          return;
        }
        if (squareOf !== undefined && !Object.is(out, squareOf * squareOf)) violation('wrong result', d, `${show(out)}`);
        if (primesBelow !== undefined && primesBelow >= 2 ** 32 && typeof out === 'number' && out < 203_280_221) {
          violation('wrong result', d, `${out} primes below ${primesBelow}: there are more than 203,280,221 below 2^32`);
        }
      },
    });
    return v;
  };

  /** @param {Entry} e @returns {Gen} */
  const cancelArg = (e) => {
    const r = rand();
    const ids = e.ids;
    if (r < 0.6) {
      const id = ids.length ? ids[int(ids.length)] : int(100);
      return [id, String(id)];
    }
    if (r < 0.8) return lit(int((ids[ids.length - 1] ?? 100) + 10));
    return lit(pick([-1, 0, 1.5, NaN, Infinity, -Infinity, 1e300, '7', null, undefined, {}, 1n, Symbol('id')]));
  };

  /** @param {Entry} e */
  const groupOptions = (e) => {
    switch (int(10)) {
      case 0:
        return lit(undefined);
      case 1:
        return lit({ limit: 1 + int(4) });
      case 2:
        return lit({ limit: pick([0, 1.5, NaN, -1, 'x', Infinity, 2 ** 25]) });
      case 3: {
        const [s, d] = timerSignal();
        return [{ signal: s }, `{ signal: ${d} }`];
      }
      case 4: {
        const [s, d] = anySignal(e);
        return [{ signal: s, limit: 1 + int(3) }, `{ signal: ${d} }`];
      }
      case 5:
        return lit(pick([null, 42, 'x', [], { unknown: 1 }]));
      default:
        return lit({});
    }
  };

  /** The calls on a live (or ended) pool, with their weights. @type {[number, (e: Entry) => void][]} */
  const OPS = [
    [20, (e) => jobCall(e, 'run')],
    [12, (e) => jobCall(e, 'submit')],
    [16, (e) => jobCall(e, 'trySubmit')],
    [6, (e) => {
      const [id, d] = cancelArg(e);
      call('cancel', `p${e.no}.cancel(${d})`, () => e.pool.cancel(id), { owner: e, check: (v) => typeof v !== 'boolean' && violation('bad value', `p${e.no}.cancel(${d})`, show(v)) });
    }],
    [0.15, (e) => {
      const [n, d] = chance(0.7) ? lit(1 + int(3)) : lit(pick([0, -1, 1.5, NaN, Infinity, 257, '2', null, undefined, 2n, Symbol('n'), {}]));
      const { v } = call('resize', `p${e.no}.resize(${d})`, () => {
        e.pool.resize(n);
        return 'ok';
      }, { owner: e });
      if (v === 'ok' && !e.closed) e.expectedWorkers = /** @type {number} */ (n);
    }],
    [3, (e) => call('stats', `p${e.no}.stats()`, () => e.pool.stats(), {
      owner: e,
      check: (s) => {
        if (typeof s !== 'object' || s === null || !(s.submitted >= 0) || s.capacity !== e.capacity) violation('bad value', `p${e.no}.stats()`, show(s));
      },
    })],
    [3, (e) => call('running', `p${e.no}.running()`, () => e.pool.running(), { owner: e, check: (v) => !Array.isArray(v) && violation('bad value', `p${e.no}.running()`, show(v)) })],
    [1, (e) => call('metricsText', `p${e.no}.metricsText()`, () => e.pool.metricsText(), { owner: e, check: (v) => typeof v !== 'string' && violation('bad value', `p${e.no}.metricsText()`, show(v)) })],
    ...['size', 'pending', 'workers', 'capacity'].map((g) => /** @type {[number, (e: Entry) => void]} */ ([2, (e) => {
      call(g, `p${e.no}.${g}`, () => e.pool[g], {
        owner: e,
        check: (v) => {
          if (!Number.isInteger(v) || v < 0) violation('bad value', `p${e.no}.${g}`, show(v));
          if (g === 'capacity' && v !== e.capacity) violation('bad value', `p${e.no}.capacity`, `${v}, expected ${e.capacity}`);
          if (g === 'workers' && !e.closed) {
            st.workersChecks += 1;
            if (v !== e.expectedWorkers) violation('workers', `p${e.no}.workers`, `${v}, but the last successful resize set ${e.expectedWorkers}`);
          }
        },
      });
    }])),
    [1, (e) => call('closed', `p${e.no}.closed`, () => e.pool.closed, {
      owner: e,
      // A trap closes every pool (and is a violation of its own).
      check: (v) => v !== e.closed && !st.trapSeen && violation('bad value', `p${e.no}.closed`, `${v}, expected ${e.closed}`),
    })],
    [1.5, (e) => {
      const [o, d] = groupOptions(e);
      const outer = /** @type {any} */ (o)?.signal;
      const { v } = call('group', `p${e.no}.group(${d})`, () => (o === undefined ? e.pool.group() : e.pool.group(o)), { owner: e });
      if (v) {
        e.groups.push({ g: v, d: `p${e.no}.group(${d})`, outer });
        if (e.groups.length > 6) e.groups.shift();
      }
    }],
    [5, (e) => {
      if (!e.groups.length) return void call('group', `p${e.no}.group()`, () => e.groups.push({ g: e.pool.group(), d: `p${e.no}.group()`, outer: undefined }), { owner: e });
      const g = pick(e.groups);
      const { kind, d: kd } = kindFor(e, true);
      const [input, id] = inputFor(kind);
      const d = `${g.d}.go(${kd}, ${id})`;
      call('group.go', d, () => g.g.go(kind, input), { owner: e, reasons: reasonsOf(g.outer), ...noteJob(d, false) });
    }],
    [1, (e) => {
      if (!e.groups.length) return void call('onIdle', `p${e.no}.onIdle()`, () => e.pool.onIdle(), { owner: e, lifetime: true });
      const g = pick(e.groups);
      call('group.wait', `${g.d}.wait()`, () => g.g.wait(), { owner: e, reasons: reasonsOf(g.outer) });
    }],
    [0.5, (e) => {
      const { v } = call('results', `p${e.no}.results()`, () => e.pool.results(), { owner: e });
      if (v) e.iters.push(v) > 4 && e.iters.shift();
    }],
    [0.2, (e) => {
      const { v } = call('[Symbol.asyncIterator]', `p${e.no}[Symbol.asyncIterator]()`, () => e.pool[Symbol.asyncIterator](), { owner: e });
      if (v) e.iters.push(v) > 4 && e.iters.shift();
    }],
    [3, (e) => {
      // Picked first: how many next() calls wait depends on timing, and the
      // sequence of random draws must not.
      const it = pick(e.iters);
      if (!it || e.waitingNext > 64) return void call('stats', `p${e.no}.stats()`, () => e.pool.stats(), { owner: e });
      e.waitingNext += 1;
      call('results.next', `p${e.no}.results().next()`, () => it.next(), {
        owner: e,
        lifetime: true,
        check: (r) => {
          e.waitingNext -= 1;
          if (r.done) return;
          const rec = r.value;
          if (!Number.isInteger(rec?.id) || typeof rec.ok !== 'boolean') return violation('bad record', `p${e.no}.results().next()`, show(rec));
          const name = rec.ok ? 'ok' : rec.error?.name;
          if (!rec.ok && !KNOWN.has(name)) violation('bad record', `p${e.no}.results().next()`, show(rec.error));
          st.records[name] = (st.records[name] ?? 0) + 1;
        },
      });
    }],
    [0.5, (e) => {
      if (!e.iters.length) return void call('running', `p${e.no}.running()`, () => e.pool.running(), { owner: e });
      const it = pick(e.iters);
      call('results.return', `p${e.no}.results().return()`, () => it.return(undefined), { owner: e, lifetime: true });
    }],
    [1.5, (e) => call('onIdle', `p${e.no}.onIdle()`, () => e.pool.onIdle(), { owner: e, lifetime: true })],
    [0.5, (e) => {
      const type = pick(['result', 'error', 'progress', 'idle', 'full', 'nonsense']);
      /** @type {EventListener} */
      const listener = () => (st.events += 1);
      const options = pick([undefined, true, { once: true }, { capture: false }]);
      call('addEventListener', `p${e.no}.addEventListener(${JSON.stringify(type)}, listener, ${show(options)})`, () => e.pool.addEventListener(type, listener, options), { owner: e });
      e.listeners.push([type, listener, options]);
    }],
    [0.3, (e) => {
      const [type, listener, options] = e.listeners.length ? pick(e.listeners) : ['result', () => {}, undefined];
      call('removeEventListener', `p${e.no}.removeEventListener(${JSON.stringify(type)}, listener)`, () => e.pool.removeEventListener(type, listener, options), { owner: e });
    }],
    [0.05, () => call('initialize', 'initialize()', () => initialize())],
    [0.005, (e) => {
      e.closed = true;
      call('close', `p${e.no}.close() (early)`, () => e.pool.close(), { owner: e });
    }],
    [0.5, (e) => {
      // An ended pool ended again; a live one is asked for its stats instead.
      if (st.pools.includes(e)) return void call('stats', `p${e.no}.stats()`, () => e.pool.stats(), { owner: e });
      const [entry, f] = pick(/** @type {[string, () => unknown][]} */ ([
        ['close', () => e.pool.close()],
        ['drain', () => e.pool.drain()],
        ['terminate', () => e.pool.terminate()],
        ['[Symbol.asyncDispose]', () => e.pool[Symbol.asyncDispose]()],
      ]));
      call(entry, `p${e.no}.${entry.startsWith('[') ? entry : `${entry}()`} (again)`, f, { owner: e });
    }],
  ];

  /** One call on a pool, or its end once its budget is spent. @param {Entry} e */
  const poolCall = (e) => {
    if (st.pools.includes(e) && (e.used += 1) >= e.budget) return endPool(e);
    if (!st.pools.includes(e) && (e.zombieLeft -= 1) <= 0) st.zombies.splice(st.zombies.indexOf(e), 1);
    weighted(OPS)(e);
  };

  // --- steps ---------------------------------------------------------------------------
  /** Makes `n` calls, then waits (up to 15 s) for this step's promises. @param {number} n */
  const step = async (n) => {
    const t0 = performance.now();
    const start = st.calls;
    st.step = [];
    while (st.calls - start < n) {
      const alive = st.pools.length;
      if (alive < st.target && (alive === 0 || chance(0.004))) {
        await createPool(poolOptions());
      } else if (chance(0.0003)) {
        // Options that must be refused cost no workers: a few more of those.
        const o = poolOptions();
        if (o.expect === 'refuse') await createPool(o);
      } else {
        poolCall(st.zombies.length && chance(0.03) ? pick(st.zombies) : pick(st.pools));
      }
      const y = rand();
      if (y < 0.08) await null;
      else if (y < 0.09) await macrotask();
      else if (y < 0.092) await sleep(1 + int(3));
    }
    const settled = Promise.allSettled(st.step.map((t) => t.p));
    await Promise.race([settled, sleep(15_000)]);
    const slow = st.step.filter((t) => !t.done);
    return {
      calls: st.calls,
      ms: Math.round(performance.now() - t0),
      slow: slow.length,
      slowCalls: slow.slice(0, 5).map((t) => t.d),
      violations: st.violationCount,
      alive: st.pools.map((e) => `p${e.no}`),
    };
  };

  /** Ends every live pool, waits for every promise (60 s at most), and checks that a fresh pool works. */
  const finish = async () => {
    for (const e of [...st.pools]) endPool(e);
    const everything = Promise.allSettled(st.all.map((t) => t.p));
    const timedOut = await Promise.race([everything.then(() => false), sleep(60_000).then(() => true)]);
    await Promise.race([Promise.all(st.endChecks), sleep(25_000)]);
    const pending = st.all.filter((t) => !t.done);
    if (pending.length) violation('hang', 'after the storm', `never settled${timedOut ? ' (waited 60 s)' : ''}: ${stuck(pending)}`);
    /** @type {unknown} */
    let fresh;
    try {
      const pool = await Pool.create({ workers: 1 });
      fresh = await Promise.race([pool.run('square', 7), sleep(10_000).then(() => 'no answer in 10 s')]);
      await pool.terminate();
    } catch (e) {
      fresh = `${/** @type {Error} */ (e).name}: ${/** @type {Error} */ (e).message}`;
    }
    return {
      calls: st.calls,
      counts: st.counts,
      records: st.records,
      progress: st.progress,
      events: st.events,
      pools: st.everyPool.length,
      workersChecks: st.workersChecks,
      violationCount: st.violationCount,
      violations: st.violations,
      fresh,
    };
  };

  /** @type {any} */ (window).__fuzz = { step, finish };
}

test(`fuzz: ${TOTAL.toLocaleString('en')} random calls over every entry point settle, fail only with named Errors or the signal's reason, and never trap`, { timeout: 300_000 }, async (t) => {
  const seed = fuzzSeed();
  t.diagnostic(`seed ${seed} (replay: BRIGADE_FUZZ_SEED=${seed} node --test tests/e2e/fuzz.test.mjs)`);
  const t0 = performance.now();
  const { page, errors } = await openPage(session.browser, undefined, { warnings: true });
  try {
    await page.goto(`${session.url}tests/pages/blank.html`);
    await page.evaluate(installFuzzer, { seed });
    let calls = 0;
    let steps = 0;
    /** @type {string | null} */
    let stopped = null;
    while (calls < TOTAL) {
      const before = calls;
      const s = await page.evaluate((n) => /** @type {any} */ (window).__fuzz.step(n), Math.min(CHUNK, TOTAL - calls));
      calls = s.calls;
      steps += 1;
      if (s.slow) t.diagnostic(`step ${steps}: ${s.slow} calls still pending after 15 s, e.g. ${s.slowCalls.join(' | ')}`);
      if (s.violations || errors.length) {
        stopped = `stopped at step ${steps} (calls ${before + 1}..${calls}): ${s.violations} rule violations, ${errors.length} page/console errors`;
        break;
      }
    }
    const r = await page.evaluate(() => /** @type {any} */ (window).__fuzz.finish());
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    t.diagnostic(`${r.calls.toLocaleString('en')} calls in ${steps} steps of up to ${CHUNK}, ${r.pools} pools, seed ${seed}, ${secs} s`);
    if (stopped) t.diagnostic(stopped);
    const n = (/** @type {number} */ x) => x.toLocaleString('en');
    for (const [entry, outcomes] of Object.entries(r.counts).sort(([a], [b]) => a.localeCompare(b))) {
      const total = Object.values(/** @type {Record<string, number>} */ (outcomes)).reduce((a, b) => a + b, 0);
      const parts = Object.entries(/** @type {Record<string, number>} */ (outcomes))
        .sort(([, a], [, b]) => b - a)
        .map(([o, c]) => `${o} ${n(c)}`);
      t.diagnostic(`  ${entry.padEnd(24)} ${n(total).padStart(7)}: ${parts.join(', ')}`);
    }
    const recs = Object.entries(r.records).map(([k, c]) => `${k} ${n(/** @type {number} */ (c))}`);
    t.diagnostic(`records from results(): ${recs.join(', ') || 'none'}; progress calls ${n(r.progress)}; events heard ${n(r.events)}; workers checks ${r.workersChecks}`);
    for (const v of r.violations) t.diagnostic(`VIOLATION ${v.kind}: ${v.call} -> ${v.detail}`);

    assert.deepEqual(r.violations, [], `${r.violationCount} rule violations (seed ${seed}); the first: ${JSON.stringify(r.violations[0])}`);
    assert.deepEqual(errors, [], 'no page error, console error or console warning');
    assert.equal(stopped, null);
    assert.equal(r.fresh, 49, 'after the storm a fresh pool runs square(7)');
    assert.ok(r.calls >= TOTAL, `${r.calls} calls`);
    assert.ok(r.workersChecks > 0, 'workers was checked against the last resize');
    const missed = ENTRY_POINTS.filter((e) => !r.counts[e]);
    assert.deepEqual(missed, [], 'every entry point was called');
  } finally {
    await page.close();
  }
});
