// @ts-check
// The options of Pool.create and of each job: their types, limits and
// defaults, and the checks that turn a bad one into a TypeError or RangeError
// naming it before anything reaches the module. The limits and defaults
// come from the module (wasm/src/options.rs), so they need `initialize()`.

import { optionRulesOf } from './module.js';
import { DataCloneError } from './errors.js';

/**
 * @typedef {object} RetryOptions
 * @property {number} [attempts] attempts in all, 1 = no retry, up to 100 (default 3)
 * @property {number} [baseMs] first backoff delay (default 10)
 * @property {number} [maxMs] largest backoff delay (default 1000)
 * @property {boolean} [jitter] full jitter (default true)
 *
 * @typedef {object} RateLimitOptions
 * @property {number} perSecond job starts per second
 * @property {number} [burst] starts allowed at once (default 1)
 *
 * @typedef {object} PoolOptions
 * @property {number} [workers] Web Workers, 1 to 256 (default: navigator.hardwareConcurrency)
 * @property {number} [queue] queue capacity; 0 makes submit a rendezvous (default: 2 × workers)
 * @property {number} [timeoutMs] default run-time limit of each job
 * @property {number} [hardTimeoutMs] default hard limit of each job: its signal aborts then, and
 *   if it is still running 25 ms later its Web Worker is terminated and replaced; it ends with
 *   TimeoutError whose cause is a WorkerLostError (a Rust kind is stopped through its context)
 * @property {number} [saturationWindowMs] width of a window of `stats().saturationSeries` (default 1000)
 * @property {RetryOptions} [retry] retry failing jobs with exponential backoff
 * @property {RateLimitOptions} [rateLimit] limit how often jobs start
 * @property {number} [rayonThreads] start a rayon pool of this many Web Workers, up to 256 (once per
 *   page, shared by every pool), for kernels that split one job across cores, such as mandelbrot
 *   with `parallel: true` (default 0)
 * @property {string | URL} [handlers] an ES module whose function exports are job handlers:
 *   a URL (absolute, or relative to the page: './handlers.js', not the bare 'handlers.js'), or
 *   the module's source text. Every worker
 *   imports it; a job whose kind names an export calls it as `handler(input, { signal })`,
 *   sync or async. The page imports it once too, to check it and list its exports.
 *
 * @typedef {object} JobOptions
 * @property {AbortSignal} [signal] cancels the job (queued: never runs; running: its context is canceled)
 * @property {number} [timeoutMs] run-time limit of this job
 * @property {number} [hardTimeoutMs] hard limit of this job (see the pool's `hardTimeoutMs`)
 * @property {(value: unknown) => void} [onProgress] called on the page with each value the
 *   job's handler reports (`info.progress(value)`; `mandelbrot` reports its share of rows done)
 * @property {ArrayBuffer[]} [transfer] ArrayBuffers to detach once the input has been copied into
 *   the shared memory, as postMessage's transfer list does (the workers read only the shared
 *   memory, so this frees the page's copy at once; it saves no copy)
 *
 * @typedef {object} JobResult
 * @property {number} id
 * @property {string} kind
 * @property {boolean} ok
 * @property {unknown} value
 * @property {{ name: string, message: string } | null} error
 * @property {number | null} worker
 * @property {number} attempts
 * @property {number} queuedMs
 * @property {number} runMs
 * @property {number | null} startedAt when it first started, in ms on the page's
 *   `performance.now()` clock; null if it never ran
 * @property {number} endedAt when it ended, on the same clock
 *
 * @typedef {object} RunningJob
 * @property {number} id
 * @property {number} worker
 * @property {number} startedAt on the page's `performance.now()` clock
 */

/**
 * A value as an error message shows it: JSON where it has one, else its
 * type and text (a BigInt, a symbol, a function, a cycle).
 * @param {unknown} v
 * @returns {string}
 */
export function shown(v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return String(v.toString());
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/**
 * Reads number option `key` of `o` (at `path`) by its rule in the module's
 * table (wasm/src/options.rs): undefined gives the rule's default, or
 * `fallback` where the page sets it; anything else must be a number in range.
 * @param {Record<string, unknown>} o
 * @param {string} path
 * @param {string} key
 * @param {number} [fallback]
 * @returns {number | undefined}
 */
export function num(o, path, key, fallback) {
  const rule = optionRulesOf()[path ? `${path}.${key}` : key];
  // A job's options are named by themselves (`timeoutMs`), the others by path.
  const name = path && path !== 'job' ? `${path}.${key}` : key;
  const v = o[key];
  if (v === undefined) return fallback ?? rule.default;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`option "${name}" must be a number, got ${shown(v)}`);
  }
  if (rule.integer && !Number.isInteger(v)) throw new TypeError(`option "${name}" must be an integer, got ${v}`);
  if (v < rule.min || v > rule.max) {
    throw new RangeError(`option "${name}" must be between ${rule.min} and ${rule.max}, got ${v}`);
  }
  return v;
}

/** @param {unknown} v @param {string} name @returns {Record<string, unknown>} */
export function object(v, name) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new TypeError(`option "${name}" must be an object, got ${shown(v)}`);
  }
  return /** @type {Record<string, unknown>} */ (v);
}

const KNOWN = ['workers', 'queue', 'timeoutMs', 'hardTimeoutMs', 'saturationWindowMs', 'retry', 'rateLimit', 'handlers', 'rayonThreads'];

/**
 * Throws a TypeError naming a key of `o` that is not one of `keys`.
 * @param {Record<string, unknown>} o @param {string} path @param {string[]} keys
 */
export function known(o, path, keys) {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new TypeError(`unknown option "${path}.${k}"; known: ${keys.join(', ')}`);
  }
}

/** @param {PoolOptions} options */
export function config(options) {
  const o = object(options, 'options');
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k)) throw new TypeError(`unknown option "${k}"; known options: ${KNOWN.join(', ')}`);
  }
  const cores = Math.min(navigator.hardwareConcurrency || 2, optionRulesOf().workers.max);
  const workers = /** @type {number} */ (num(o, '', 'workers', cores));
  const c = {
    workers,
    queue: num(o, '', 'queue', 2 * workers),
    timeoutMs: num(o, '', 'timeoutMs'),
    hardTimeoutMs: num(o, '', 'hardTimeoutMs'),
    saturationWindowMs: num(o, '', 'saturationWindowMs'),
    rayonThreads: num(o, '', 'rayonThreads'),
    retry: /** @type {object | undefined} */ (undefined),
    rateLimit: /** @type {object | undefined} */ (undefined),
    handlers: /** @type {{ url: string, names: string[] } | undefined} */ (undefined),
  };
  if (o.retry !== undefined) {
    const r = object(o.retry, 'retry');
    known(r, 'retry', ['attempts', 'baseMs', 'maxMs', 'jitter']);
    const jitter = r.jitter ?? true;
    if (typeof jitter !== 'boolean') throw new TypeError('option "retry.jitter" must be a boolean');
    c.retry = {
      attempts: num(r, 'retry', 'attempts'),
      baseMs: num(r, 'retry', 'baseMs'),
      maxMs: num(r, 'retry', 'maxMs'),
      jitter,
    };
  }
  if (o.rateLimit !== undefined) {
    const r = object(o.rateLimit, 'rateLimit');
    known(r, 'rateLimit', ['perSecond', 'burst']);
    if (r.perSecond === undefined) throw new TypeError('option "rateLimit.perSecond" is required');
    c.rateLimit = {
      perSecond: num(r, 'rateLimit', 'perSecond'),
      burst: num(r, 'rateLimit', 'burst'),
    };
  }
  return c;
}

/**
 * Where the handlers module is: a URL as given, or a blob: URL holding source
 * text. A string is a URL when it is one line that starts like one (a scheme,
 * "/", "./" or "../"); a bare file name (`'handlers.js'`) is refused, since
 * it is neither; anything else is taken as the module's source.
 * @param {unknown} h
 * @returns {{ url: string, source: boolean }}
 */
export function handlersUrl(h) {
  if (h instanceof URL) return { url: h.href, source: false };
  if (typeof h !== 'string' || h.trim() === '') {
    throw new TypeError('option "handlers" must be a URL or the source text of an ES module');
  }
  const s = h.trim();
  if (!s.includes('\n') && /^([a-z][a-z0-9+.-]*:|\/|\.{1,2}\/)/i.test(s)) {
    return { url: new URL(s, document.baseURI).href, source: false };
  }
  if (/^[\w@~.-]+(\/[\w@~.-]+)*\.m?js$/.test(s)) {
    throw new TypeError(
      `option "handlers": ${JSON.stringify(s)} is a file name, not a URL or module source; ` +
        `write ${JSON.stringify(`./${s}`)} (relative to the page) or new URL(${JSON.stringify(s)}, import.meta.url)`,
    );
  }
  return { url: URL.createObjectURL(new Blob([h], { type: 'text/javascript' })), source: true };
}

/**
 * Imports the handlers module on the page to check it, and lists its
 * function exports (the kinds it serves). A module with a syntax error is
 * refused with a SyntaxError, one that cannot be fetched or throws as it
 * loads with a TypeError; each names the module.
 * @param {unknown} h
 */
export async function loadHandlers(h) {
  const { url, source } = handlersUrl(h);
  const which = source ? 'the module (source text)' : `the module ${url}`;
  /** @type {Record<string, unknown>} */
  let mod;
  try {
    mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ url);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const Class = e instanceof SyntaxError ? SyntaxError : TypeError;
    throw new Class(`option "handlers": ${which} could not be imported: ${message}`, { cause: e });
  }
  const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
  if (names.length === 0) throw new TypeError(`option "handlers": ${which} exports no functions`);
  return { url, names };
}

/** A job's options when it has none (one object, not one per job). */
const NO_JOB_OPTIONS = Object.freeze({
  signal: undefined,
  timeoutMs: undefined,
  hardTimeoutMs: undefined,
  onProgress: undefined,
  transfer: undefined,
});

/** @param {JobOptions | undefined} opts */
export function jobOptions(opts) {
  if (opts === undefined) return NO_JOB_OPTIONS;
  const o = object(opts, 'job options');
  for (const k of Object.keys(o)) {
    if (!JOB_OPTIONS.includes(k)) {
      throw new TypeError(`unknown job option "${k}"; known job options: ${JOB_OPTIONS.join(', ')}`);
    }
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('option "signal" must be an AbortSignal');
  }
  const onProgress = o.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError('option "onProgress" must be a function');
  }
  return {
    signal,
    timeoutMs: num(o, 'job', 'timeoutMs'),
    hardTimeoutMs: num(o, 'job', 'hardTimeoutMs'),
    transfer: transferList(o.transfer),
    onProgress: /** @type {((value: unknown) => void) | undefined} */ (onProgress),
  };
}

const JOB_OPTIONS = ['signal', 'timeoutMs', 'hardTimeoutMs', 'onProgress', 'transfer'];

/**
 * Checks option `transfer`: ArrayBuffers, each once, none detached or
 * shared (as postMessage requires of its transfer list).
 * @param {unknown} t
 * @returns {ArrayBuffer[] | undefined}
 */
function transferList(t) {
  if (t === undefined) return undefined;
  if (!Array.isArray(t)) throw new TypeError(`option "transfer" must be an array of ArrayBuffers, got ${shown(t)}`);
  const seen = new Set();
  t.forEach((b, i) => {
    if (!(b instanceof ArrayBuffer)) {
      throw new TypeError(`option "transfer": item ${i} must be an ArrayBuffer, got ${Object.prototype.toString.call(b)}`);
    }
    if (b.detached) throw new DataCloneError(`option "transfer": ArrayBuffer ${i} is detached`);
    if (seen.has(b)) throw new DataCloneError(`option "transfer": ArrayBuffer ${i} is listed twice`);
    seen.add(b);
  });
  return /** @type {ArrayBuffer[]} */ (t);
}

/**
 * Detaches the buffers of a job's `transfer` list once its input has been
 * copied into the shared memory, as postMessage detaches what it moves: the
 * page's copy is freed at once, and using it again fails as it would there.
 * @param {ArrayBuffer[] | undefined} list
 */
export function detach(list) {
  if (list) for (const b of list) if (!b.detached) b.transfer(0);
}

/**
 * Checks a job's kind before it crosses into the module.
 * @param {unknown} kind
 * @param {Set<string>} known the kinds the pool runs
 * @returns {string}
 */
export function checkKind(kind, known) {
  if (typeof kind !== 'string') {
    throw new TypeError(`argument "kind" must be a job kind (a string), got ${typeof kind} ${shown(kind)}`);
  }
  if (!known.has(kind)) {
    throw new TypeError(`unknown job kind ${JSON.stringify(kind)}; this pool runs: ${[...known].join(', ')}`);
  }
  return kind;
}

