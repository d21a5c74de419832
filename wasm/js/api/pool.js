// @ts-check
// The Pool class: jobs in, outcomes out, over the module's PoolHandle.

import { guarded, trapped, PoolHandle, builtInKinds, initialize } from './module.js';
import { config, loadHandlers, jobOptions, checkKind, object, num } from './options.js';
import { QueueFullError, PoolClosedError, abortError, toError } from './errors.js';
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

/** Marks the records of jobs a run() call awaits (set by the bindings). */
const AWAITED = Symbol.for('brigade.awaited');

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
