// @ts-check
// The Pool class: jobs in, outcomes out, over the module's PoolHandle.

import {
  guarded,
  trapError,
  trapped,
  watchTraps,
  workerGone,
  terminateWorker,
  PoolHandle,
  JobCancel,
  GroupHandle,
  Refusal,
  builtInKinds,
  initialize,
  optionRulesOf,
} from './module.js';
import { config, loadHandlers, jobOptions, checkKind, object, num, known, shown, detach } from './options.js';
import { AbortError, DataCloneError, QueueFullError, PoolClosedError, toError } from './errors.js';
import { Fifo } from './fifo.js';

/**
 * @typedef {import('./options.js').PoolOptions} PoolOptions
 * @typedef {import('./options.js').JobOptions} JobOptions
 * @typedef {import('./options.js').JobResult} JobResult
 * @typedef {import('./options.js').RunningJob} RunningJob
 */

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

/**
 * How long terminate() lets running jobs stop by themselves after their
 * signal aborted, before it terminates their Web Workers (ms).
 */
const TERMINATE_GRACE_MS = 100;

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Marks the records of jobs a run() call awaits (set by the bindings). */
const AWAITED = Symbol.for('brigade.awaited');

/**
 * A job's options that travel with it: its time limits and its transfer list.
 * @typedef {{ timeoutMs: number | undefined, hardTimeoutMs: number | undefined, transfer: ArrayBuffer[] | undefined }} Limits
 */

/**
 * How often the page looks for jobs past their hard limit while any may
 * have one (ms); PoolHandle.supervise adds the same again as a grace.
 */
const SUPERVISE_MS = 25;

/**
 * A job waiting in the page for room in the pool's queue.
 * @typedef {object} Waiting
 * @property {string} kind
 * @property {unknown} input
 * @property {Limits} limits
 * @property {boolean} awaited whether run() awaits the outcome
 * @property {(id: number) => void} resolve
 * @property {(e: unknown) => void} reject
 * @property {AbortSignal | undefined} signal
 * @property {boolean} dropped its signal aborted: it never runs
 * @property {JobCancel | null} switch its cancel switch while the pool takes it
 * @property {number} tag the page's tag for its progress, or 0
 * @property {GroupPlace | undefined} place its place in a group, for a job of `group()`
 */

/**
 * A place under a group's limit (the module's GroupPlace): the job submitted
 * through it is a task of the group.
 * @typedef {{
 *   trySubmit(pool: PoolHandle, kind: string, input: unknown, timeoutMs?: number, awaited?: boolean, tag?: number, hardMs?: number): number,
 *   submit(pool: PoolHandle, kind: string, input: unknown, timeoutMs?: number, awaited?: boolean, cancel?: JobCancel, tag?: number, hardMs?: number): Promise<number>,
 *   free(): void,
 * }} GroupPlace
 */

/**
 * A pool of Web Workers sharing one WebAssembly memory.
 *
 * Events: `result` and `error` (a `CustomEvent` whose `detail` is the job's
 * record) once per job, whether or not anyone reads `results()`; `progress`
 * (`detail`: `{ id, kind, value }`) for each value a handler reports with
 * `info.progress(value)`, for jobs submitted while someone listened; `idle`
 * when no job is queued, running or waiting for room; `full` when a
 * submission finds the queue full.
 */
export class Pool extends EventTarget {
  /** @type {PoolHandle} */
  #handle;
  #closed = false;
  /** Whether the loop that takes outcomes out of the pool has started. */
  #pumping = false;
  /** Whether the pool's outcomes have ended (closed and drained). */
  #ended = false;
  /** Why the results loop stopped early, if it did (a trap). @type {unknown} */
  #broken = null;
  /**
   * run() calls waiting for their job's record, by id.
   * @type {Map<number, { resolve: (r: JobResult) => void, reject: (e: unknown) => void }>}
   */
  #waiting = new Map();
  /** Records of run() jobs that came out before their call saw the id. @type {Map<number, JobResult>} */
  #early = new Map();
  /** Ids of run() jobs whose call already settled (its signal aborted): their records are dropped. */
  #abandoned = new Set();
  /** Jobs waiting for room in the queue, in order. @type {Fifo<Waiting>} */
  #backlog = new Fifo();
  /** Whether the loop feeding the backlog into the queue is running. */
  #feeding = false;
  /** Records of submitted jobs that results() has not taken yet. @type {Fifo<JobResult>} */
  #ready = new Fifo();
  /** results() iterations waiting for a record. @type {(() => void)[]} */
  #takers = [];
  /** Whether results() has been called: from then on every record waits for it. */
  #reading = false;
  /** Whether no job is queued, running or waiting for room. */
  #idle = true;
  /** onIdle() calls waiting. @type {(() => void)[]} */
  #idleWaiters = [];

  /**
   * The pool's bell (see pollResults), where the browser has Atomics.waitAsync.
   * @type {Int32Array | null}
   */
  #bell;

  /** The kinds this pool runs: the built-in ones and its handlers' exports. @type {Set<string>} */
  #kinds;

  /**
   * The timer that looks for jobs past their hard limit (see #supervise).
   * @type {ReturnType<typeof setInterval> | null}
   */
  #supervisor = null;

  /** @param {PoolHandle} handle @param {string[]} kinds @param {boolean} hard whether the pool has a hardTimeoutMs */
  constructor(handle, kinds, hard) {
    super();
    this.#handle = handle;
    this.#kinds = new Set(kinds);
    this.#bell = typeof Atomics.waitAsync === 'function' ? handle.resultsBell() : null;
    watchTraps(this);
    if (hard) this.#supervise();
  }

  /**
   * Starts looking for jobs past their hard limit: from the first job (or
   * the pool) that has one until the pool's outcomes end.
   */
  #supervise() {
    if (this.#supervisor !== null || this.#ended) return;
    this.#supervisor = setInterval(() => {
      try {
        this.#handle.supervise();
      } catch (e) {
        this.#stopSupervising();
        if (trapError(e) === e) throw e;
      }
    }, SUPERVISE_MS);
  }

  #stopSupervising() {
    if (this.#supervisor !== null) clearInterval(this.#supervisor);
    this.#supervisor = null;
  }

  /**
   * A Web Worker of the page is gone (api/module.js hears of it). If it
   * was one of this pool's and died running its loop, its job ends with
   * WorkerLostError and a new worker takes its place. Returns whether it
   * was this pool's.
   * @param {number} token
   * @returns {boolean}
   */
  workerGone(token) {
    if (this.#broken) return false;
    return guarded(() => this.#handle.workerGone(token));
  }

  /**
   * Test hook, not part of the API: terminates the Web Worker of pool
   * worker `worker` from outside, as a crash would end it (no gate, no
   * notice to the pool). Returns whether there was such a worker. The
   * pool then learns of the loss as of any other.
   * @param {number} worker
   * @returns {boolean}
   */
  [Symbol.for('brigade.test.terminateWorker')](worker) {
    const token = guarded(() => this.#handle.workerToken(worker));
    if (token === undefined) return false;
    terminateWorker(token);
    return true;
  }

  /**
   * The module trapped (see api/module.js): nothing more will come out of
   * it, so every call still waiting settles now with PoolClosedError.
   * @param {Error} cause the trap
   */
  trapped(cause) {
    this.#fail(new PoolClosedError({ cause, trapped: true }));
  }

  /** Ends the pool for good: every waiting call rejects with `e`. @param {unknown} e */
  #fail(e) {
    if (this.#broken) return;
    this.#broken = e;
    this.#closed = true;
    this.#ended = true;
    this.#stopSupervising();
    for (const w of this.#waiting.values()) w.reject(e);
    this.#waiting.clear();
    for (let b = this.#backlog.shift(); b !== undefined; b = this.#backlog.shift()) {
      if (!b.dropped) {
        b.dropped = true;
        b.reject(e);
      }
    }
    this.#wakeTakers();
    this.#idle = true;
    for (const wake of this.#idleWaiters.splice(0)) wake();
    // Wake the results loop wherever it waits, so that it stops.
    this.#wakeLoop();
    if (this.#bell) {
      Atomics.add(this.#bell, 0, 1);
      Atomics.notify(this.#bell, 0);
    }
  }

  /**
   * Starts a pool. Bad options reject with a TypeError or RangeError naming the option.
   * @param {PoolOptions} [options]
   * @returns {Promise<Pool>}
   */
  static async create(options = {}) {
    // The options' limits come from the module: it loads first.
    await initialize();
    const c = config(options);
    if (options.handlers !== undefined) c.handlers = await loadHandlers(options.handlers);
    const handle = guarded(() => new PoolHandle(c));
    return new Pool(handle, [...builtInKinds(), ...(c.handlers?.names ?? [])], c.hardTimeoutMs !== undefined);
  }

  // --- events ---------------------------------------------------------------

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

  /** How many listeners each event type has (both capture flags). @type {Map<string, number>} */
  #heardCount = new Map();

  /** @param {string} type */
  #count(type) {
    const n = (this.#listeners.get(`${type}/false`)?.size ?? 0) + (this.#listeners.get(`${type}/true`)?.size ?? 0);
    this.#heardCount.set(type, n);
  }

  /** @type {EventTarget['addEventListener']} */
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (!listener) return;
    const key = Pool.#key(type, options);
    if (!this.#listeners.has(key)) this.#listeners.set(key, new Set());
    this.#listeners.get(key)?.add(listener);
    this.#count(type);
  }

  /** @type {EventTarget['removeEventListener']} */
  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options);
    if (listener) this.#listeners.get(Pool.#key(type, options))?.delete(listener);
    this.#count(type);
  }

  /**
   * Whether anyone may be listening to `type` (a `once` listener counts until
   * removed). Asked once or twice per job, so it reads a count.
   * @param {string} type
   */
  #heard(type) {
    return (this.#heardCount.get(type) ?? 0) > 0;
  }

  /**
   * A job's record came out: its signal lets go of it and its event fires.
   * @param {JobResult} r
   */
  #settled(r) {
    this.#unwatch(r.id);
    this.#untag(r.id);
    const type = r.ok ? 'result' : 'error';
    if (this.#heard(type)) this.dispatchEvent(new CustomEvent(type, { detail: r }));
  }

  /**
   * Whether a submitted job's record waits for results(): once results() has
   * been called, always; before, only while nobody listens to `result` or
   * `error` (a page that only listens keeps nothing).
   */
  #keep() {
    return this.#reading || !(this.#heard('result') || this.#heard('error'));
  }

  /** After a batch: if nothing is left, the pool is idle. */
  #checkIdle() {
    if (this.#idle || this.#delivered < this.#accepts || !this.#backlog.isEmpty()) return;
    this.#idle = true;
    for (const wake of this.#idleWaiters.splice(0)) wake();
    if (this.#heard('idle')) this.dispatchEvent(new Event('idle'));
  }

  /**
   * Resolves once no job is queued, running or waiting for room (at once if
   * none is).
   * @returns {Promise<void>}
   */
  onIdle() {
    if (this.#idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(() => resolve()));
  }

  /** @param {unknown} e */
  #submitError(e) {
    if (e === Refusal.Closed) return new PoolClosedError();
    if (e instanceof PoolClosedError || e instanceof TypeError || e instanceof RangeError) return e;
    if (e instanceof Error && e.name === 'DataCloneError') return new DataCloneError(e.message);
    return e instanceof Error ? new TypeError(e.message) : e;
  }

  // --- progress -------------------------------------------------------------------

  /** The last tag given to a job whose progress someone wants. */
  #lastTag = 0;
  /** Jobs whose progress someone wants, by tag. @type {Map<number, { id: number | undefined, kind: string, onProgress: ((value: unknown) => void) | undefined }>} */
  #progress = new Map();
  /** The tag of each such job, by id. @type {Map<number, number>} */
  #tagOf = new Map();

  /**
   * A tag for a job whose progress someone wants (an `onProgress`, or a
   * `progress` listener now), else 0: its reports go nowhere.
   * @param {string} kind @param {((value: unknown) => void) | undefined} onProgress
   */
  #tagFor(kind, onProgress) {
    if (!onProgress && !this.#heard('progress')) return 0;
    const tag = ++this.#lastTag;
    this.#progress.set(tag, { id: undefined, kind, onProgress });
    return tag;
  }

  /** The tagged job's id is known. @param {number} tag @param {number} id */
  #tagged(tag, id) {
    if (tag === 0) return;
    const entry = this.#progress.get(tag);
    if (entry) entry.id = id;
    this.#tagOf.set(id, tag);
  }

  /** Job `id` has ended: no more progress from it. @param {number} id */
  #untag(id) {
    if (this.#tagOf.size === 0) return;
    const tag = this.#tagOf.get(id);
    if (tag === undefined) return;
    this.#tagOf.delete(id);
    this.#progress.delete(tag);
  }

  /** Hands the progress reported so far to `onProgress` and `progress` listeners. */
  #takeProgress() {
    if (this.#progress.size === 0) return;
    for (;;) {
      /** @type {unknown[] | undefined} */
      const flat = guarded(() => this.#handle.takeProgress(1024));
      if (flat === undefined) return;
      for (let i = 0; i < flat.length; i += 2) {
        const entry = this.#progress.get(/** @type {number} */ (flat[i]));
        if (!entry) continue;
        const value = flat[i + 1];
        if (entry.onProgress) {
          try {
            entry.onProgress(value);
          } catch (e) {
            reportError(e); // as a throwing event listener is reported
          }
        }
        if (this.#heard('progress')) {
          this.dispatchEvent(new CustomEvent('progress', { detail: { id: entry.id, kind: entry.kind, value } }));
        }
      }
    }
  }

  // --- the results loop -------------------------------------------------------

  /**
   * Starts the one loop that takes outcomes out of the pool, in batches:
   * each fires its event, then goes to the run() call waiting for it or to
   * results(). It starts with the first job and sleeps while none is out.
   */
  #pump() {
    if (this.#pumping) return;
    this.#pumping = true;
    (async () => {
      for (;;) {
        if (this.#broken) return;
        if (performance.now() - this.#sliceStart > SLICE_MS) {
          await nextTask();
          this.#sliceStart = performance.now();
        }
        const batch = await this.#nextBatch();
        if (this.#broken) return;
        // Progress a job reported before it ended goes out before its result.
        this.#takeProgress();
        if (batch === null) break;
        this.#delivered += batch.length;
        const keep = this.#keep();
        for (const r of batch) {
          this.#settled(r);
          if (!(/** @type {any} */ (r)[AWAITED])) {
            if (keep) this.#ready.push(r);
            continue;
          }
          const waiter = this.#waiting.get(r.id);
          if (waiter) {
            this.#waiting.delete(r.id);
            waiter.resolve(r);
          } else if (!this.#abandoned.delete(r.id)) {
            // Out before its run() call saw the id (a waiting sender's job
            // is taken by a worker on the worker's thread).
            this.#early.set(r.id, r);
          }
        }
        this.#wakeTakers();
        this.#checkIdle();
      }
      this.#ended = true;
      this.#stopSupervising();
      this.#wakeTakers();
      this.#checkIdle();
    })().catch((e) => {
      // The module trapped (or the loop failed otherwise): no outcome will
      // come out, so nobody may wait for one.
      this.#fail(e);
    });
  }

  /**
   * The next batch of outcomes, or null once the pool is closed and drained.
   * Polls the pool and, while nothing is ready, awaits its bell: one
   * Atomics.waitAsync per sleep, rung by the worker that completes the wait.
   * @returns {Promise<JobResult[] | null>}
   */
  async #nextBatch() {
    // Nothing to wait for: sleep until a submission (or close) instead of
    // waiting on the pool, so the wait starts after the job is queued. Begun
    // before, it made each round trip slower (in `bench/run.sh browser`).
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
      let batch;
      try {
        batch = this.#handle.pollResults(1024);
      } catch (e) {
        throw trapError(e);
      }
      if (batch !== undefined) return batch;
      this.#takeProgress();
      const wait = Atomics.waitAsync(bell, 0, seen);
      if (wait.async) {
        await wait.value;
        if (this.#broken) return null;
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
   * Counts an accepted job and wakes the loop (starting it if need be).
   * @param {number} id @returns {number} the id
   */
  #accepted(id) {
    this.#accepts += 1;
    this.#idle = false;
    this.#pump();
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

  // --- submitting -------------------------------------------------------------

  /**
   * Queues a job now if there is room and no one is waiting for it; else puts
   * it in the backlog, which one loop feeds into the queue in order as room
   * appears (one waiting sender in the pool, however many callers wait).
   * Returns the id, or a promise of it; a job in the backlog whose signal
   * aborts is dropped there and its promise rejects with the reason.
   * @param {string} kind @param {unknown} input @param {Limits} limits
   * @param {boolean} awaited whether run() awaits the outcome
   * @param {AbortSignal | undefined} signal
   * @param {((value: unknown) => void) | undefined} onProgress
   * @param {GroupPlace} [place] makes it a job of a group (see group())
   * @returns {number | Promise<number>}
   */
  #enqueue(kind, input, limits, awaited, signal, onProgress, place) {
    if (this.#broken) throw this.#broken;
    if (limits.hardTimeoutMs !== undefined) this.#supervise();
    const tag = this.#tagFor(kind, onProgress);
    if (this.#backlog.isEmpty()) {
      if (this.#hasRoom()) {
        let id;
        try {
          id = this.#accepted(this.#trySubmitNow(place, kind, input, limits, awaited, tag));
          detach(limits.transfer);
        } catch (e) {
          this.#progress.delete(tag);
          throw this.#submitError(trapError(e));
        }
        this.#tagged(tag, id);
        // Watched before anything is awaited, so before its record can come out.
        if (!awaited) this.#watch(id, signal);
        return id;
      }
      this.dispatchEvent(new Event('full'));
    }
    return new Promise((resolve, reject) => {
      /** @type {Waiting} */
      const w = { kind, input, limits, awaited, resolve, reject, signal, dropped: false, switch: null, tag, place };
      if (signal) {
        w.resolve = (id) => {
          this.#off(signal, w);
          resolve(id);
        };
        w.reject = (e) => {
          this.#off(signal, w);
          reject(e);
        };
        this.#on(signal, w, () => {
          w.dropped = true;
          w.switch?.cancel();
          this.#progress.delete(w.tag);
          reject(signal.reason);
        });
      }
      this.#idle = false;
      this.#backlog.push(w);
      this.#feed();
    });
  }

  /**
   * Queues a job now through the module (as a task of its group if it has
   * a place); throws the module's refusal.
   * @param {GroupPlace | undefined} place @param {string} kind @param {unknown} input
   * @param {Limits} limits @param {boolean} awaited @param {number} tag
   * @returns {number}
   */
  #trySubmitNow(place, kind, input, limits, awaited, tag) {
    return place
      ? place.trySubmit(this.#handle, kind, input, limits.timeoutMs, awaited, tag, limits.hardTimeoutMs)
      : this.#handle.trySubmit(kind, input, limits.timeoutMs, awaited, tag, limits.hardTimeoutMs);
  }

  /**
   * Whether a job would fit in the queue now. Only this page submits to its
   * pool and workers only take jobs out, so a yes holds until the next
   * submission. A refused submission still uses up a job id, so asking first
   * keeps ids free of gaps. A rendezvous queue (capacity 0) never has room:
   * its jobs wait for a worker.
   */
  #hasRoom() {
    try {
      return this.#handle.queued() < this.#handle.capacity();
    } catch (e) {
      throw trapError(e);
    }
  }

  async #feed() {
    if (this.#feeding) return;
    this.#feeding = true;
    try {
      for (let b = this.#backlog.peek(); b !== undefined; b = this.#backlog.peek()) {
        if (!b.dropped) {
          try {
            const w = b;
            let id;
            if (this.#hasRoom()) {
              id = guarded(() => this.#trySubmitNow(w.place, w.kind, w.input, w.limits, w.awaited, w.tag));
            } else {
              // The pool takes it when there is room. Should its signal abort
              // meanwhile, its switch ends it before a worker can start it.
              if (w.signal) w.switch = guarded(() => new JobCancel());
              try {
                const { kind, input, limits, awaited, tag } = w;
                const cancel = w.switch?.cloneHandle();
                id = await guarded(() =>
                  w.place
                    ? w.place.submit(this.#handle, kind, input, limits.timeoutMs, awaited, cancel, tag, limits.hardTimeoutMs)
                    : this.#handle.submit(kind, input, limits.timeoutMs, awaited, cancel, tag, limits.hardTimeoutMs),
                );
              } finally {
                w.switch?.free();
                w.switch = null;
              }
            }
            this.#accepted(id);
            detach(b.limits.transfer);
            this.#tagged(b.tag, id);
            if (b.dropped) {
              // Its signal aborted while the pool took it: it ends there
              // canceled (its record is dropped or goes to results()).
              if (b.awaited) this.#abandoned.add(id);
              guarded(() => this.#handle.cancel(id));
            } else {
              if (!b.awaited) this.#watch(id, b.signal);
              b.resolve(id);
            }
          } catch (e) {
            this.#progress.delete(b.tag);
            if (!b.dropped) b.reject(this.#submitError(e));
          }
        }
        this.#backlog.shift();
      }
    } finally {
      this.#feeding = false;
      this.#checkIdle();
    }
  }

  /**
   * Runs one job and resolves to its output, or rejects with JobError,
   * PanicError, TimeoutError, AbortError or PoolClosedError. Waits for room
   * in the queue first. Like fetch, an aborted `signal` rejects with its
   * reason: at once if the job has not started (it never will), else once
   * the running job has stopped.
   * @param {string} kind
   * @param {unknown} input
   * @param {JobOptions} [opts]
   * @returns {Promise<unknown>}
   */
  run(kind, input, opts) {
    // Not an async function: one that returned #run's promise would add
    // turns of the microtask queue to every job.
    let checked;
    try {
      checkKind(kind, this.#kinds);
      checked = jobOptions(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#run(kind, input, checked);
  }

  /**
   * run() with its options checked; `place` makes the job a task of a
   * group (it is freed once the job is queued or refused), and `onId` hears
   * the job's id once it is queued.
   * @param {string} kind @param {unknown} input
   * @param {ReturnType<typeof jobOptions>} opts
   * @param {GroupPlace} [place] @param {(id: number) => void} [onId]
   * @returns {Promise<unknown>}
   */
  async #run(kind, input, opts, place, onId) {
    const { signal } = opts;
    let id;
    try {
      signal?.throwIfAborted();
      // The checked options are the job's limits too: no copy per job.
      id = await this.#enqueue(kind, input, opts, true, signal, opts.onProgress, place);
    } finally {
      place?.free();
    }
    onId?.(id);
    const early = this.#early.get(id);
    this.#early.delete(id);
    if (this.#broken) throw this.#broken;
    const r =
      early ??
      (await new Promise((resolve, reject) => {
        this.#waiting.set(id, { resolve, reject });
        if (signal) {
          this.#signalOf.set(id, signal);
          this.#on(signal, id, () => {
            this.#signalOf.delete(id);
            if (!this.#cancelQuietly(id)) {
              // It had not started: it never will. Settle now, and drop its
              // record when it comes out.
              this.#waiting.delete(id);
              this.#abandoned.add(id);
              reject(signal.reason);
            }
          });
        }
      }));
    this.#untag(id);
    if (r.ok) return r.value;
    if (signal?.aborted) throw signal.reason;
    throw toError(/** @type {import('./errors.js').ErrorRecord} */ (r.error), r);
  }

  /**
   * Queues a job, waiting for room (backpressure you can await); its result
   * comes out of results() and its event fires. Resolves to the job's id.
   * An aborted `signal` rejects with its reason while the job waits for
   * room (it is never queued), and cancels it once queued.
   * @param {string} kind
   * @param {unknown} input
   * @param {JobOptions} [opts]
   * @returns {Promise<number>}
   */
  async submit(kind, input, opts) {
    checkKind(kind, this.#kinds);
    const limits = jobOptions(opts);
    limits.signal?.throwIfAborted();
    return this.#enqueue(kind, input, limits, false, limits.signal, limits.onProgress);
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
    // The checked options are the job's limits too: no copy per job.
    const limits = jobOptions(opts);
    const signal = limits.signal;
    signal?.throwIfAborted();
    let id;
    const tag = this.#tagFor(kind, limits.onProgress);
    try {
      // Jobs in the backlog wait for room first.
      if (!this.#backlog.isEmpty() || (this.#handle.capacity() > 0 && !this.#hasRoom())) throw Refusal.Full;
      id = this.#accepted(this.#handle.trySubmit(kind, input, limits.timeoutMs, false, tag, limits.hardTimeoutMs));
      detach(limits.transfer);
      if (limits.hardTimeoutMs !== undefined) this.#supervise();
      this.#tagged(tag, id);
    } catch (e) {
      this.#progress.delete(tag);
      if (e === Refusal.Full) {
        this.dispatchEvent(new Event('full'));
        throw new QueueFullError(kind);
      }
      throw this.#submitError(trapError(e));
    }
    this.#watch(id, signal);
    return id;
  }

  // --- cancellation -------------------------------------------------------------

  /**
   * Signals that cancel jobs: per signal, its one abort listener and what to
   * do for each job on it. One listener per signal, not per job: adding a
   * listener scans the ones the signal has, so a listener per job made a
   * long run on one signal quadratic.
   * @type {Map<AbortSignal, { onAbort: () => void, jobs: Map<unknown, () => void> }>}
   */
  #watched = new Map();
  /** The signal of each queued or running job that has one. @type {Map<number, AbortSignal>} */
  #signalOf = new Map();

  /**
   * Runs `then` when `signal` aborts, until `#off(signal, key)`.
   * @param {AbortSignal} signal @param {unknown} key @param {() => void} then
   */
  #on(signal, key, then) {
    let entry = this.#watched.get(signal);
    if (!entry) {
      /** @type {Map<unknown, () => void>} */
      const jobs = new Map();
      const onAbort = () => {
        this.#watched.delete(signal);
        for (const f of jobs.values()) f();
      };
      entry = { onAbort, jobs };
      this.#watched.set(signal, entry);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.jobs.set(key, then);
  }

  /** @param {AbortSignal} signal @param {unknown} key */
  #off(signal, key) {
    const entry = this.#watched.get(signal);
    if (!entry) return;
    entry.jobs.delete(key);
    if (entry.jobs.size === 0) {
      this.#watched.delete(signal);
      signal.removeEventListener('abort', entry.onAbort);
    }
  }

  /**
   * Cancels a queued or running job; whether it was running. After a trap
   * there is nothing to cancel (every call fails).
   * @param {number} id
   */
  #cancelQuietly(id) {
    return trapped ? false : this.#handle.cancel(id);
  }

  /**
   * Cancels submitted job `id` when `signal` aborts (at once if it already
   * has: it aborted while the job waited for room).
   * @param {number} id @param {AbortSignal | undefined} signal
   */
  #watch(id, signal) {
    if (!signal) return;
    if (signal.aborted) {
      this.#cancelQuietly(id);
      return;
    }
    this.#signalOf.set(id, signal);
    this.#on(signal, id, () => {
      this.#signalOf.delete(id);
      this.#cancelQuietly(id);
    });
  }

  /** Job `id` has ended: its signal lets go of it. @param {number} id */
  #unwatch(id) {
    if (this.#signalOf.size === 0) return;
    const signal = this.#signalOf.get(id);
    if (!signal) return;
    this.#signalOf.delete(id);
    this.#off(signal, id);
  }

  /**
   * Cancels a submitted job by id: a queued one never runs, a running one has
   * its context canceled. Returns whether it was running.
   * @param {number} id
   */
  cancel(id) {
    if (typeof id !== 'number' || !Number.isFinite(id)) {
      throw new TypeError(`argument "id" must be a job id (a number), got ${shown(id)}`);
    }
    return guarded(() => this.#handle.cancel(id));
  }

  // --- reading results ----------------------------------------------------------

  /**
   * Results of submitted jobs in completion order; ends after close() once
   * all are out. Every record waits for it from its first call on; before
   * that, records wait only while nobody listens to `result` or `error`.
   * @returns {AsyncGenerator<JobResult>}
   */
  async *results() {
    this.#reading = true;
    this.#pump();
    for (;;) {
      const r = this.#ready.shift();
      if (r !== undefined) {
        yield r;
      } else if (this.#ended) {
        if (this.#broken) throw this.#broken;
        return;
      } else {
        await new Promise((wake) => this.#takers.push(() => wake(undefined)));
      }
    }
  }

  /** `for await (const r of pool)` is `results()`. */
  [Symbol.asyncIterator]() {
    return this.results();
  }

  /** `await using pool = await Pool.create()` closes and drains the pool at the end of the block. */
  async [Symbol.asyncDispose]() {
    if (!this.#closed) this.close();
    await this.drain();
  }

  /**
   * An errgroup over this pool: the first failure aborts the group's other jobs
   * and wait() rejects with it.
   *
   * The group is core's `Group` (the module's GroupHandle): its jobs run
   * under the group's context, so the first failure cancels the others from
   * the worker it happened on, before its record reaches the page; queued
   * jobs end canceled without starting. `limit` is the group's semaphore.
   * @param {{ signal?: AbortSignal, limit?: number }} [options]
   */
  group(options = {}) {
    const o = object(options, 'group options');
    known(o, 'group', ['signal', 'limit']);
    const limit = num(o, 'group', 'limit', Infinity);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
      throw new TypeError(`option "group.signal" must be an AbortSignal, got ${shown(o.signal)}`);
    }
    const outer = /** @type {AbortSignal | undefined} */ (o.signal);
    const handle = guarded(() => new GroupHandle(limit === Infinity ? undefined : limit));
    const controller = new AbortController();
    if (outer) {
      const onAbort = () => {
        controller.abort(outer.reason);
        if (!trapped) handle.cancel();
      };
      if (outer.aborted) onAbort();
      else outer.addEventListener('abort', onAbort, { once: true });
    }
    const jobs = /** @type {Promise<unknown>[]} */ ([]);
    /** The error of the job whose failure is the group's, by its id. */
    const errors = new Map();
    /** A failure before its job was queued (a bad kind or input): the group's, if first. */
    let early = /** @type {{ error: unknown } | undefined} */ (undefined);
    /** @type {(e: unknown) => void} */
    let firstKnown = () => {};
    /** Resolves to the group's error once the page has it. */
    const first = new Promise((resolve) => (firstKnown = resolve));
    /** @param {unknown} e the group's error */
    const failWith = (e) => {
      firstKnown(e);
      if (!controller.signal.aborted) {
        controller.abort(new AbortError('canceled by the first failure in its group', { cause: e }));
      }
    };
    const pool = this;
    const jobOpts = jobOptions(outer ? { signal: outer } : undefined);
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
          /** @type {number | undefined} */
          let id;
          try {
            checkKind(kind, pool.#kinds);
            const place = await guarded(() => handle.reserve());
            return await pool.#run(kind, input, jobOpts, place, (i) => (id = i));
          } catch (e) {
            /** @type {number | undefined} */
            let failed;
            if (trapped) firstKnown(e); // nothing more comes from the module
            else failed = handle.failedJob();
            if (id === undefined) {
              // Never queued, so not a task of the group: its failure is the
              // group's if none came first, and cancels the group itself.
              if (early === undefined && !trapped && failed === undefined) {
                early = { error: e };
                handle.cancel();
                failWith(e);
              }
              throw e;
            }
            errors.set(id, e);
            if (early === undefined && failed === id) {
              failWith(e);
              throw e;
            }
            // Canceled by the group's failure, which the module saw first.
            if (e instanceof AbortError && !outer?.aborted && failed !== undefined) {
              throw new AbortError('canceled by the first failure in its group', {
                cause: early ? early.error : await first,
              });
            }
            throw e;
          }
        })();
        job.catch(() => {}); // reported through wait()
        jobs.push(job);
        return job;
      },
      /** Resolves to every output in order, or rejects with the first failure. */
      async wait() {
        await Promise.allSettled(jobs);
        // The module waits for jobs started meanwhile too, then cancels the
        // group's context, as Go's Wait does.
        const failed = await guarded(() => handle.wait());
        // Their records reach the page after they end there.
        const settled = await Promise.allSettled(jobs);
        if (early) throw early.error;
        // A job whose signal aborted while it waited for room rejected before
        // its id was known: its error is the signal's reason.
        if (failed !== null) throw errors.get(failed) ?? outer?.reason;
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
    const { min, max } = optionRulesOf().workers;
    if (typeof n !== 'number') throw new TypeError(`resize(n): n must be a number, got ${shown(n)}`);
    if (this.#closed) throw this.#broken ?? new PoolClosedError();
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new RangeError(`resize(n): n must be an integer ${min}..${max}, got ${n}`);
    }
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
    guarded(() => this.#handle.close());
    this.#wakeLoop();
    await guarded(() => this.#handle.drain());
  }

  /**
   * Cancels everything now: queued jobs end with AbortError, running ones
   * are asked to stop, and those still running after TERMINATE_GRACE_MS
   * have their Web Worker terminated (they end with AbortError too).
   * Resolves once every Web Worker of the pool is gone; from then on every
   * job call rejects with PoolClosedError.
   * @returns {Promise<void>}
   */
  async terminate() {
    this.#closed = true;
    guarded(() => this.#handle.abort());
    this.#wakeLoop();
    const until = performance.now() + TERMINATE_GRACE_MS;
    while (guarded(() => this.#handle.busy()) > 0 && performance.now() < until) await sleep(SUPERVISE_MS / 5);
    // A worker inside the module's code cannot be terminated yet (gate.rs):
    // it is asked again until its job stops or it can be.
    while (guarded(() => this.#handle.killRunning()) > 0) await sleep(SUPERVISE_MS / 5);
    await guarded(() => this.#handle.drain());
    this.#stopSupervising();
    // (A Uint32Array: its own map() would make numbers of the promises.)
    await Promise.all(Array.from(guarded(() => this.#handle.workerTokens()), (t) => workerGone(t)));
  }

  /** Jobs waiting in the queue (not counting calls still waiting for room). */
  get size() {
    return guarded(() => this.#handle.queued());
  }

  /** Jobs running now. */
  get pending() {
    return guarded(() => this.#handle.busy());
  }

  /** The number of workers the pool has (or is resizing to). */
  get workers() {
    return guarded(() => this.#handle.workers());
  }

  /** The queue's capacity (0: every submission waits for a worker). */
  get capacity() {
    return guarded(() => this.#handle.capacity());
  }

  /** Whether close(), drain() or terminate() was called. */
  get closed() {
    return this.#closed;
  }
}
