// @ts-check
// brigade in the browser: the public JavaScript API over the wasm bindings.
// The pool's queue lives in the module's shared memory and Web Workers serve
// it, so submitting a job is a write into that memory, not a postMessage.

import init, { PoolHandle, builtInKinds } from './brigade_wasm.js';

/** The page is not cross-origin isolated, so shared memory is unavailable. */
export class NotIsolatedError extends Error {
  constructor() {
    super(
      'brigade needs a cross-origin isolated page (SharedArrayBuffer): serve it with ' +
        '"Cross-Origin-Opener-Policy: same-origin" and ' +
        '"Cross-Origin-Embedder-Policy: require-corp" (make demo does), or, on a static ' +
        "host without header control, call ensureIsolated() from brigade-wasm/isolate.js with sw.js next to the page.",
    );
    this.name = 'NotIsolatedError';
  }
}

/** trySubmit found the queue full. */
export class QueueFullError extends Error {
  /** @param {string} kind */
  constructor(kind) {
    super(`the queue is full; job ${JSON.stringify(kind)} was not submitted`);
    this.name = 'QueueFullError';
  }
}

/** The pool no longer accepts jobs (it was closed, or the module trapped: see `cause`). */
export class PoolClosedError extends Error {
  /** @param {ErrorOptions} [options] */
  constructor(options) {
    super(
      trapped !== null && options?.cause === trapped
        ? `the pool is closed: its WebAssembly module trapped (${trapped.message}) and takes no more calls`
        : 'the pool is closed',
      options,
    );
    this.name = 'PoolClosedError';
  }
}

/** A job's handler failed. */
export class JobError extends Error {
  /** @param {string} message @param {ErrorOptions} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = 'JobError';
  }
}

/** A Rust kernel panicked; the pool kept serving. */
export class PanicError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'PanicError';
  }
}

/** A job ran out of time. */
export class TimeoutError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** A job was cancelled (its AbortSignal, the group, or the pool). */
export class AbortError extends Error {
  /** @param {string} message @param {ErrorOptions} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** @type {Promise<unknown> | null} */
let ready = null;

/**
 * The trap that ended the module, if one did. After a trap on any thread the
 * wasm-bindgen glue answers every call with `Error('Module terminated')`,
 * and the trap may have stopped a thread in the middle of a change to the
 * shared memory, so no call goes into the module again: every pool answers
 * with PoolClosedError whose cause is what was thrown.
 * @type {Error | null}
 */
let trapped = null;

/** @param {unknown} e @returns {e is Error} */
function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError || (e instanceof Error && e.message === 'Module terminated');
}

/**
 * Runs a call into the module; a trap ends every pool (see `trapped`).
 * @template T
 * @param {() => T} call
 * @returns {T}
 */
function guarded(call) {
  if (trapped) throw new PoolClosedError({ cause: trapped });
  try {
    return call();
  } catch (e) {
    if (isTrap(e)) {
      trapped = e;
      throw new PoolClosedError({ cause: e });
    }
    throw e;
  }
}

/**
 * Instantiates the module once. Fails with NotIsolatedError on a page that is not
 * cross-origin isolated (checked first: without isolation the module cannot load).
 * @param {unknown} [moduleOrPath]
 */
export async function initialize(moduleOrPath) {
  if (!globalThis.crossOriginIsolated) throw new NotIsolatedError();
  ready ??= init(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
  await ready;
}

/**
 * @typedef {object} RetryOptions
 * @property {number} [attempts] attempts in all, 1 = no retry (default 3)
 * @property {number} [baseMs] first backoff delay (default 10)
 * @property {number} [maxMs] largest backoff delay (default 1000)
 * @property {boolean} [jitter] full jitter (default true)
 *
 * @typedef {object} RateLimitOptions
 * @property {number} perSecond job starts per second
 * @property {number} [burst] starts allowed at once (default 1)
 *
 * @typedef {object} PoolOptions
 * @property {number} [workers] Web Workers (default: navigator.hardwareConcurrency)
 * @property {number} [queue] queue capacity; 0 makes submit a rendezvous (default: 2 × workers)
 * @property {number} [timeoutMs] default run-time limit of each job
 * @property {number} [saturationWindowMs] width of a window of `stats().saturationSeries` (default 1000)
 * @property {RetryOptions} [retry] retry failing jobs with exponential backoff
 * @property {RateLimitOptions} [rateLimit] limit how often jobs start
 * @property {number} [rayonThreads] start a rayon pool of this many Web Workers (once per page,
 *   shared by every pool) for kernels that split one job across cores, such as mandelbrot (default 0)
 * @property {string | URL} [handlers] an ES module whose function exports are job handlers:
 *   a URL (absolute, or relative to the page), or the module's source text. Every worker
 *   imports it; a job whose kind names an export calls it as `handler(input, { signal })`,
 *   sync or async. The page imports it once too, to check it and list its exports.
 *
 * @typedef {object} JobOptions
 * @property {AbortSignal} [signal] cancels the job (queued: never runs; running: its context is cancelled)
 * @property {number} [timeoutMs] run-time limit of this job
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
 * @param {Record<string, unknown>} o
 * @param {string} path
 * @param {string} key
 * @param {{ min: number, max: number, integer?: boolean }} range
 * @param {number} [fallback]
 * @returns {number | undefined}
 */
function num(o, path, key, range, fallback) {
  const v = o[key];
  if (v === undefined) return fallback;
  const name = path ? `${path}.${key}` : key;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`option "${name}" must be a number, got ${JSON.stringify(v)}`);
  }
  if (range.integer && !Number.isInteger(v)) throw new TypeError(`option "${name}" must be an integer, got ${v}`);
  if (v < range.min || v > range.max) {
    throw new RangeError(`option "${name}" must be between ${range.min} and ${range.max}, got ${v}`);
  }
  return v;
}

/** @param {unknown} v @param {string} name @returns {Record<string, unknown>} */
function object(v, name) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new TypeError(`option "${name}" must be an object, got ${JSON.stringify(v)}`);
  }
  return /** @type {Record<string, unknown>} */ (v);
}

const KNOWN = ['workers', 'queue', 'timeoutMs', 'saturationWindowMs', 'retry', 'rateLimit', 'handlers', 'rayonThreads'];
const DAY_MS = 86_400_000;

/** @param {PoolOptions} options */
function config(options) {
  const o = object(options, 'options');
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k)) throw new TypeError(`unknown option "${k}"; known options: ${KNOWN.join(', ')}`);
  }
  const workers = /** @type {number} */ (
    num(o, '', 'workers', { min: 1, max: 256, integer: true }, Math.min(navigator.hardwareConcurrency || 2, 256))
  );
  const c = {
    workers,
    queue: num(o, '', 'queue', { min: 0, max: 1 << 24, integer: true }, 2 * workers),
    timeoutMs: num(o, '', 'timeoutMs', { min: 0.001, max: DAY_MS }),
    saturationWindowMs: num(o, '', 'saturationWindowMs', { min: 1, max: DAY_MS }),
    rayonThreads: num(o, '', 'rayonThreads', { min: 0, max: 256, integer: true }, 0),
    retry: /** @type {object | undefined} */ (undefined),
    rateLimit: /** @type {object | undefined} */ (undefined),
    handlers: /** @type {{ url: string, names: string[] } | undefined} */ (undefined),
  };
  if (o.retry !== undefined) {
    const r = object(o.retry, 'retry');
    const jitter = r.jitter ?? true;
    if (typeof jitter !== 'boolean') throw new TypeError('option "retry.jitter" must be a boolean');
    c.retry = {
      attempts: num(r, 'retry', 'attempts', { min: 1, max: 100, integer: true }, 3),
      baseMs: num(r, 'retry', 'baseMs', { min: 0, max: DAY_MS }, 10),
      maxMs: num(r, 'retry', 'maxMs', { min: 0, max: DAY_MS }, 1000),
      jitter,
    };
  }
  if (o.rateLimit !== undefined) {
    const r = object(o.rateLimit, 'rateLimit');
    if (r.perSecond === undefined) throw new TypeError('option "rateLimit.perSecond" is required');
    c.rateLimit = {
      perSecond: num(r, 'rateLimit', 'perSecond', { min: 1e-6, max: 1e9 }),
      burst: num(r, 'rateLimit', 'burst', { min: 1, max: 1e6, integer: true }, 1),
    };
  }
  return c;
}

/**
 * Where the handlers module is: a URL as given, or a blob: URL holding source
 * text. A string is a URL when it is one line that starts like one (a scheme,
 * "/", "./" or "../"); anything else is taken as the module's source.
 * @param {unknown} h
 * @returns {string}
 */
function handlersUrl(h) {
  if (h instanceof URL) return h.href;
  if (typeof h !== 'string' || h.trim() === '') {
    throw new TypeError('option "handlers" must be a URL or the source text of an ES module');
  }
  const s = h.trim();
  if (!s.includes('\n') && /^([a-z][a-z0-9+.-]*:|\/|\.{1,2}\/)/i.test(s)) {
    return new URL(s, document.baseURI).href;
  }
  return URL.createObjectURL(new Blob([h], { type: 'text/javascript' }));
}

/**
 * Imports the handlers module on the page to check it, and lists its
 * function exports (the kinds it serves).
 * @param {unknown} h
 */
async function loadHandlers(h) {
  const url = handlersUrl(h);
  /** @type {Record<string, unknown>} */
  let mod;
  try {
    mod = await import(/* @vite-ignore */ /* webpackIgnore: true */ url);
  } catch (e) {
    throw new TypeError(`option "handlers": the module could not be imported: ${e instanceof Error ? e.message : e}`, {
      cause: e,
    });
  }
  const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
  if (names.length === 0) throw new TypeError('option "handlers": the module exports no functions');
  return { url, names };
}

/** @param {JobOptions | undefined} opts */
function jobOptions(opts) {
  if (opts === undefined) return { signal: undefined, timeoutMs: undefined };
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
  return { signal, timeoutMs: num(o, '', 'timeoutMs', { min: 0.001, max: DAY_MS }) };
}

const JOB_OPTIONS = ['signal', 'timeoutMs'];

/**
 * Checks a job's kind before it crosses into the module.
 * @param {unknown} kind
 * @param {Set<string>} known the kinds the pool runs
 * @returns {string}
 */
function checkKind(kind, known) {
  if (typeof kind !== 'string') {
    const got = typeof kind === 'symbol' ? kind.toString() : JSON.stringify(kind) ?? String(kind);
    throw new TypeError(`argument "kind" must be a job kind (a string), got ${typeof kind} ${got}`);
  }
  if (!known.has(kind)) {
    throw new TypeError(`unknown job kind ${JSON.stringify(kind)}; this pool runs: ${[...known].join(', ')}`);
  }
  return kind;
}

/** @param {AbortSignal} signal */
function abortError(signal) {
  return new AbortError('the job was aborted', { cause: signal.reason });
}

/**
 * The error a failed job's record stands for.
 * @param {{ name: string, message: string, stack?: string }} e
 * @param {AbortSignal} [signal]
 */
function toError(e, signal) {
  switch (e.name) {
    case 'PanicError':
      return new PanicError(e.message);
    case 'TimeoutError':
      return new TimeoutError(e.message);
    case 'AbortError':
      return signal?.aborted ? abortError(signal) : new AbortError(e.message);
    default: {
      const err = new JobError(e.message);
      // A handler's error keeps the stack it had on the worker.
      if (e.stack) err.stack = e.stack;
      return err;
    }
  }
}

/**
 * The longest stretch the results loop runs in microtasks before it lets the
 * event loop take a turn (ms). While results keep coming, each step of the
 * loop resolves at once, so without a break the page would neither render
 * nor take input until the pool went quiet.
 */
const SLICE_MS = 8;

/** Resolves in a later task of the event loop: rendering and input go first. */
function nextTask() {
  const scheduler = /** @type {{ yield?: () => Promise<void> } | undefined} */ (
    /** @type {any} */ (globalThis).scheduler
  );
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve(undefined);
    };
    port2.postMessage(null);
  });
}

/** Marks the records of jobs a run() call awaits (set by the bindings). */
const AWAITED = Symbol.for('brigade.awaited');

/**
 * A first-in first-out queue with O(1) push and shift (Array#shift moves
 * every element; a pool can hold 100,000 records).
 * @template T
 */
class Fifo {
  /** @type {T[]} */
  #items = [];
  #head = 0;

  /** @param {T} v */
  push(v) {
    this.#items.push(v);
  }

  isEmpty() {
    return this.#head === this.#items.length;
  }

  /** @returns {T | undefined} */
  peek() {
    return this.#items[this.#head];
  }

  /** @returns {T | undefined} */
  shift() {
    if (this.#head === this.#items.length) return undefined;
    const v = this.#items[this.#head];
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
}

/** A pool of Web Workers sharing one WebAssembly memory. Events: result, error, idle, full. */
export class Pool extends EventTarget {
  /** @type {PoolHandle} */
  #handle;
  #closed = false;
  /** Whether the loop that takes outcomes out of the pool has started. */
  #pumping = false;
  /** Whether the pool's outcomes have ended (closed and drained). */
  #ended = false;
  /** run() calls waiting for their job's record, by id. @type {Map<number, (r: JobResult) => void>} */
  #waiting = new Map();
  /** Records of run() jobs that came out before their call saw the id. @type {Map<number, JobResult>} */
  #early = new Map();
  /**
   * Jobs waiting for room in the queue, in order.
   * @type {Fifo<{ kind: string, input: unknown, timeoutMs: number | undefined, awaited: boolean,
   *   resolve: (id: number) => void, reject: (e: unknown) => void }>}
   */
  #backlog = new Fifo();
  /** Whether the loop feeding the backlog into the queue is running. */
  #feeding = false;
  /** Records of submitted jobs that results() has not taken yet. @type {Fifo<JobResult>} */
  #ready = new Fifo();
  /** results() iterations waiting for a record. @type {(() => void)[]} */
  #takers = [];

  /**
   * The pool's bell (see pollResults), where the browser has Atomics.waitAsync.
   * @type {Int32Array | null}
   */
  #bell;

  /** The kinds this pool runs: the built-in ones and its handlers' exports. @type {Set<string>} */
  #kinds;

  /** @param {PoolHandle} handle @param {string[]} kinds */
  constructor(handle, kinds) {
    super();
    this.#handle = handle;
    this.#kinds = new Set(kinds);
    this.#bell = typeof Atomics.waitAsync === 'function' ? handle.resultsBell() : null;
  }

  /**
   * Starts a pool. Bad options reject with a TypeError or RangeError naming the option.
   * @param {PoolOptions} [options]
   * @returns {Promise<Pool>}
   */
  static async create(options = {}) {
    const c = config(options);
    if (options.handlers !== undefined) c.handlers = await loadHandlers(options.handlers);
    await initialize();
    const handle = guarded(() => new PoolHandle(c));
    return new Pool(handle, [...builtInKinds(), ...(c.handlers?.names ?? [])]);
  }

  /**
   * Listeners per event type and capture flag, mirroring what EventTarget
   * holds, so events nobody listens to are not built (one per job adds up).
   * @type {Map<string, Set<unknown>>}
   */
  #listeners = new Map();

  /** @param {string} type @param {boolean | AddEventListenerOptions | undefined} options */
  static #key(type, options) {
    const capture = typeof options === 'boolean' ? options : Boolean(options?.capture);
    return `${type}/${capture}`;
  }

  /** @type {EventTarget['addEventListener']} */
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (!listener) return;
    const key = Pool.#key(type, options);
    if (!this.#listeners.has(key)) this.#listeners.set(key, new Set());
    this.#listeners.get(key)?.add(listener);
  }

  /** @type {EventTarget['removeEventListener']} */
  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options);
    if (listener) this.#listeners.get(Pool.#key(type, options))?.delete(listener);
  }

  /** Whether anyone may be listening to `type` (a `once` listener counts until removed). @param {string} type */
  #heard(type) {
    return Boolean(this.#listeners.get(`${type}/false`)?.size || this.#listeners.get(`${type}/true`)?.size);
  }

  /** @param {JobResult} r */
  #settled(r) {
    this.#unwatch(r.id);
    const type = r.ok ? 'result' : 'error';
    if (this.#heard(type)) this.dispatchEvent(new CustomEvent(type, { detail: r }));
    if (this.#heard('idle') && guarded(() => this.#handle.busy() === 0 && this.#handle.queued() === 0)) {
      this.dispatchEvent(new Event('idle'));
    }
  }

  /** @param {unknown} e */
  #submitError(e) {
    if (e === 'closed') return new PoolClosedError();
    if (e instanceof PoolClosedError) return e;
    return e instanceof Error ? new TypeError(e.message) : e;
  }

  /**
   * Starts the one loop that takes outcomes out of the pool, in batches, and
   * routes each to the run() call waiting for it or to results().
   */
  #pump() {
    if (this.#pumping) return;
    this.#pumping = true;
    (async () => {
      for (;;) {
        if (this.#broken) break;
        if (performance.now() - this.#sliceStart > SLICE_MS) {
          await nextTask();
          this.#sliceStart = performance.now();
        }
        const batch = await this.#nextBatch();
        if (batch === null) break;
        this.#delivered += batch.length;
        for (const r of batch) {
          if (!(/** @type {any} */ (r)[AWAITED])) {
            this.#ready.push(r);
            continue;
          }
          const waiter = this.#waiting.get(r.id);
          if (waiter) {
            this.#waiting.delete(r.id);
            this.#failing.delete(r.id);
            waiter(r);
          } else {
            // Out before its run() call saw the id (a waiting sender's job
            // is taken by a worker on the worker's thread).
            this.#early.set(r.id, r);
          }
        }
        this.#wakeTakers();
      }
      this.#ended = true;
      this.#wakeTakers();
    })().catch((e) => {
      // The module trapped (or the loop failed otherwise): no outcome will
      // come out, so nobody may wait for one.
      this.#broken = e;
      this.#closed = true;
      this.#ended = true;
      for (const fail of this.#failing.values()) fail(e);
      this.#waiting.clear();
      this.#failing.clear();
      this.#wakeTakers();
    });
  }

  /** Why the results loop stopped early, if it did. @type {unknown} */
  #broken = null;
  /** Rejects each run() call waiting for its record, by id. @type {Map<number, (e: unknown) => void>} */
  #failing = new Map();

  /**
   * The next batch of outcomes, or null once the pool is closed and drained.
   * Polls the pool and, while nothing is ready, awaits its bell: one
   * Atomics.waitAsync per sleep, rung by the worker that completes the wait.
   * @returns {Promise<JobResult[] | null>}
   */
  async #nextBatch() {
    // Nothing to wait for: sleep until a submission (or close) instead of
    // waiting on the pool, so the wait starts after the job is queued. Begun
    // before, it made each round trip slower (in bench/browser.sh).
    while (this.#delivered >= this.#accepts && !this.#closed) {
      await new Promise((resolve) => {
        this.#kick = resolve;
      });
      this.#sliceStart = performance.now();
    }
    const bell = this.#bell;
    if (bell === null) {
      const batch = await guarded(() => this.#handle.nextResults(1024));
      this.#sliceStart = performance.now();
      return batch;
    }
    for (;;) {
      const seen = Atomics.load(bell, 0);
      /** @type {JobResult[] | null | undefined} */
      const batch = guarded(() => this.#handle.pollResults(1024));
      if (batch !== undefined) return batch;
      const wait = Atomics.waitAsync(bell, 0, seen);
      if (wait.async) {
        await wait.value;
        // A wait lets the event loop run: a new slice starts.
        this.#sliceStart = performance.now();
      }
    }
  }

  /** When the results loop last gave the event loop a turn. */
  #sliceStart = 0;

  /** Jobs the pool accepted, and outcomes the loop took out. */
  #accepts = 0;
  #delivered = 0;
  /** Wakes the loop when it sleeps because no job was out. @type {(() => void) | null} */
  #kick = null;

  /**
   * Counts an accepted job and wakes the loop if it slept.
   * @param {number} id @returns {number} the id
   */
  #accepted(id) {
    this.#accepts += 1;
    this.#wakeLoop();
    return id;
  }

  #wakeLoop() {
    const kick = this.#kick;
    this.#kick = null;
    kick?.();
  }

  #wakeTakers() {
    for (const wake of this.#takers.splice(0)) wake();
  }

  /**
   * Queues a job now if there is room and no one is waiting for it; else puts
   * it in the backlog, which one loop feeds into the queue in order as room
   * appears (one waiting sender in the pool, however many callers wait).
   * Returns the id, or a promise of it.
   * @param {string} kind @param {unknown} input @param {number | undefined} timeoutMs
   * @param {boolean} awaited whether run() awaits the outcome
   * @returns {number | Promise<number>}
   */
  #enqueue(kind, input, timeoutMs, awaited) {
    if (this.#backlog.isEmpty()) {
      if (this.#hasRoom()) {
        try {
          return this.#accepted(guarded(() => this.#handle.trySubmit(kind, input, timeoutMs, awaited)));
        } catch (e) {
          throw this.#submitError(e);
        }
      }
      this.dispatchEvent(new Event('full'));
    }
    return new Promise((resolve, reject) => {
      this.#backlog.push({ kind, input, timeoutMs, awaited, resolve, reject });
      this.#feed();
    });
  }

  /**
   * Whether a job would fit in the queue now. Only this page submits to its
   * pool and workers only take jobs out, so a yes holds until the next
   * submission. A refused submission still uses up a job id, so asking first
   * keeps ids free of gaps. A rendezvous queue (capacity 0) never has room:
   * its jobs wait for a worker.
   */
  #hasRoom() {
    return guarded(() => this.#handle.queued() < this.#handle.capacity());
  }

  async #feed() {
    if (this.#feeding) return;
    this.#feeding = true;
    try {
      for (let b = this.#backlog.peek(); b !== undefined; b = this.#backlog.peek()) {
        try {
          const id = this.#hasRoom()
            ? guarded(() => this.#handle.trySubmit(b.kind, b.input, b.timeoutMs, b.awaited))
            : await guarded(() => this.#handle.submit(b.kind, b.input, b.timeoutMs, b.awaited));
          b.resolve(this.#accepted(id));
        } catch (e) {
          b.reject(this.#submitError(e));
        }
        this.#backlog.shift();
      }
    } finally {
      this.#feeding = false;
    }
  }

  /**
   * Runs one job and resolves to its output, or rejects with JobError,
   * PanicError, TimeoutError, AbortError (cause: the signal's reason) or
   * PoolClosedError. Waits for room in the queue first.
   * @param {string} kind
   * @param {unknown} input
   * @param {JobOptions} [opts]
   * @returns {Promise<unknown>}
   */
  async run(kind, input, opts) {
    checkKind(kind, this.#kinds);
    const { signal, timeoutMs } = jobOptions(opts);
    if (signal?.aborted) throw abortError(signal);
    this.#pump();
    /** @type {number | undefined} */
    let id;
    try {
      id = await this.#enqueue(kind, input, timeoutMs, true);
      this.#watch(id, signal);
      const queued = id;
      const early = this.#early.get(queued);
      this.#early.delete(queued);
      if (this.#broken) throw this.#broken;
      const r =
        early ??
        (await new Promise((resolve, reject) => {
          this.#waiting.set(queued, resolve);
          this.#failing.set(queued, reject);
        }));
      this.#settled(r);
      if (r.ok) return r.value;
      throw toError(/** @type {{ name: string, message: string }} */ (r.error), signal);
    } finally {
      if (id !== undefined) this.#unwatch(id);
    }
  }

  /**
   * Queues a job, waiting for room (backpressure you can await); its result
   * comes out of results(). Resolves to the job's id.
   * @param {string} kind
   * @param {unknown} input
   * @param {JobOptions} [opts]
   * @returns {Promise<number>}
   */
  async submit(kind, input, opts) {
    checkKind(kind, this.#kinds);
    const { signal, timeoutMs } = jobOptions(opts);
    if (signal?.aborted) throw abortError(signal);
    const id = await this.#enqueue(kind, input, timeoutMs, false);
    this.#watch(id, signal);
    return id;
  }

  /**
   * Queues a job now, or throws QueueFullError / PoolClosedError.
   * @param {string} kind
   * @param {unknown} input
   * @param {JobOptions} [opts]
   * @returns {number} the job's id
   */
  trySubmit(kind, input, opts) {
    checkKind(kind, this.#kinds);
    const { signal, timeoutMs } = jobOptions(opts);
    if (signal?.aborted) throw abortError(signal);
    let id;
    try {
      // Jobs in the backlog wait for room first.
      if (!this.#backlog.isEmpty() || (guarded(() => this.#handle.capacity()) > 0 && !this.#hasRoom())) throw 'full';
      id = this.#accepted(guarded(() => this.#handle.trySubmit(kind, input, timeoutMs)));
    } catch (e) {
      if (e === 'full') {
        this.dispatchEvent(new Event('full'));
        throw new QueueFullError(kind);
      }
      throw this.#submitError(e);
    }
    this.#watch(id, signal);
    return id;
  }

  /**
   * Signals that cancel jobs: per signal, its one abort listener and the ids
   * of its jobs that have not ended. One listener per signal, not per job:
   * adding a listener scans the ones the signal has, so a listener per job
   * made a long run on one signal quadratic.
   * @type {Map<AbortSignal, { ids: Set<number>, onAbort: () => void }>}
   */
  #watched = new Map();
  /** The signal of each watched job. @type {Map<number, AbortSignal>} */
  #signalOf = new Map();

  /**
   * Cancels job `id` when `signal` aborts (at once if it already has: it
   * aborted while the job waited for room, and no abort event is coming).
   * @param {number} id @param {AbortSignal | undefined} signal
   */
  #watch(id, signal) {
    if (!signal) return;
    if (signal.aborted) {
      guarded(() => this.#handle.cancel(id));
      return;
    }
    let entry = this.#watched.get(signal);
    if (!entry) {
      const onAbort = () => {
        const ids = this.#watched.get(signal)?.ids ?? new Set();
        this.#watched.delete(signal);
        for (const id of ids) this.#signalOf.delete(id);
        // After a trap there is nothing left to cancel (every call fails).
        if (trapped) return;
        for (const id of ids) this.#handle.cancel(id);
      };
      entry = { ids: new Set(), onAbort };
      this.#watched.set(signal, entry);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.ids.add(id);
    this.#signalOf.set(id, signal);
  }

  /** Job `id` has ended: its signal no longer needs to cancel it. @param {number} id */
  #unwatch(id) {
    const signal = this.#signalOf.get(id);
    if (!signal) return;
    this.#signalOf.delete(id);
    const entry = this.#watched.get(signal);
    if (!entry) return;
    entry.ids.delete(id);
    if (entry.ids.size === 0) {
      this.#watched.delete(signal);
      signal.removeEventListener('abort', entry.onAbort);
    }
  }

  /**
   * Cancels a submitted job by id.
   * @param {number} id
   */
  cancel(id) {
    if (typeof id !== 'number' || !Number.isFinite(id)) {
      throw new TypeError(`argument "id" must be a job id (a number), got ${JSON.stringify(id) ?? String(id)}`);
    }
    return guarded(() => this.#handle.cancel(id));
  }

  /**
   * Results of submitted jobs in completion order; ends after close() once all are out.
   * @returns {AsyncGenerator<JobResult>}
   */
  async *results() {
    this.#pump();
    for (;;) {
      const r = this.#ready.shift();
      if (r !== undefined) {
        this.#settled(r);
        yield r;
      } else if (this.#ended) {
        if (this.#broken) throw this.#broken;
        return;
      } else {
        await new Promise((wake) => this.#takers.push(() => wake(undefined)));
      }
    }
  }

  /**
   * An errgroup over this pool: the first failure aborts the group's other jobs
   * and wait() rejects with it.
   * @param {{ signal?: AbortSignal, limit?: number }} [options]
   */
  group(options = {}) {
    const o = object(options, 'group options');
    const limit = num(o, 'group', 'limit', { min: 1, max: 1 << 24, integer: true }, Infinity);
    const controller = new AbortController();
    const outer = /** @type {AbortSignal | undefined} */ (o.signal);
    if (outer) {
      if (outer.aborted) controller.abort(outer.reason);
      else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
    }
    /** @type {Promise<unknown>[]} */
    const jobs = [];
    /** @type {unknown} */
    let first;
    let failed = false;
    let running = 0;
    /** @type {(() => void)[]} */
    const waiting = [];
    const pool = this;
    return {
      signal: controller.signal,
      /**
       * Starts a job in the group (waits while `limit` jobs are running).
       * @param {string} kind
       * @param {unknown} input
       * @returns {Promise<unknown>} the job's output
       */
      go(kind, input) {
        const job = (async () => {
          while (running >= /** @type {number} */ (limit)) await new Promise((r) => waiting.push(() => r(undefined)));
          running += 1;
          try {
            return await pool.run(kind, input, { signal: controller.signal });
          } catch (e) {
            if (!failed) {
              failed = true;
              first = e;
              controller.abort(e);
            }
            throw e;
          } finally {
            running -= 1;
            waiting.shift()?.();
          }
        })();
        job.catch(() => {}); // reported through wait()
        jobs.push(job);
        return job;
      },
      /** Resolves to every output in order, or rejects with the first failure. */
      async wait() {
        const settled = await Promise.allSettled(jobs);
        if (failed) throw first;
        return settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
      },
    };
  }

  /** A snapshot of the pool: gauges, counters, and wait/run percentiles in ms. */
  stats() {
    return guarded(() => this.#handle.stats());
  }

  /**
   * The jobs running now, one per busy worker, in worker order: which worker
   * runs which job, since when (a snapshot; a job in it may have ended since).
   * @returns {RunningJob[]}
   */
  running() {
    return guarded(() => this.#handle.running());
  }

  /** The metrics in Prometheus' text exposition format. */
  metricsText() {
    return guarded(() => this.#handle.metricsText());
  }

  /**
   * Changes the number of workers (busy ones finish their job first when shrinking).
   * @param {number} n
   */
  resize(n) {
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`resize(n): n must be an integer 1..256, got ${n}`);
    guarded(() => this.#handle.resize(n));
  }

  /** Stops intake; queued jobs still run, and results() ends after them. */
  close() {
    this.#closed = true;
    guarded(() => this.#handle.close());
    this.#wakeLoop();
  }

  /** Closes the pool and resolves once every job has ended and the workers exited. */
  async drain() {
    this.#closed = true;
    this.#wakeLoop();
    await guarded(() => this.#handle.drain());
  }

  /** Cancels everything now: queued jobs end with AbortError, running ones are asked to stop. */
  terminate() {
    this.#closed = true;
    guarded(() => this.#handle.abort());
    this.#wakeLoop();
  }

  /** Whether close(), drain() or terminate() was called. */
  get closed() {
    return this.#closed;
  }
}
