// @ts-check
// brigade in the browser: the public JavaScript API over the wasm bindings.
// The pool's queue lives in the module's shared memory; Web Workers serve it.

import init, { PoolHandle } from './brigade_wasm.js';

/** The page is not cross-origin isolated, so shared memory is unavailable. */
export class NotIsolatedError extends Error {
  constructor() {
    super(
      'brigade needs a cross-origin isolated page (SharedArrayBuffer): serve it with ' +
        '"Cross-Origin-Opener-Policy: same-origin" and ' +
        '"Cross-Origin-Embedder-Policy: require-corp" (make demo does), or, on a static ' +
        'host without header control, register the playground\'s service worker (sw.js).',
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

/** The pool no longer accepts jobs. */
export class PoolClosedError extends Error {
  constructor() {
    super('the pool is closed');
    this.name = 'PoolClosedError';
  }
}

/** A job's handler failed. */
export class JobError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
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

/** @type {Promise<unknown> | null} */
let ready = null;

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
 * @typedef {object} PoolOptions
 * @property {number} [workers] number of Web Workers (default: navigator.hardwareConcurrency)
 * @property {number} [queue] queue capacity; 0 makes submit a rendezvous (default: 2 × workers)
 */

/**
 * @typedef {object} JobResult
 * @property {number} id
 * @property {boolean} ok
 * @property {unknown} value
 * @property {{ name: string, message: string } | null} error
 * @property {number} worker
 * @property {number} queuedMs
 * @property {number} runMs
 */

/**
 * @param {Record<string, unknown>} options
 * @param {string} name
 * @param {number} min
 * @param {number} max
 * @param {number} fallback
 */
function intOption(options, name, min, max, fallback) {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`option "${name}" must be an integer, got ${JSON.stringify(v)}`);
  }
  if (v < min || v > max) throw new RangeError(`option "${name}" must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** A pool of Web Workers sharing one WebAssembly memory. */
export class Pool extends EventTarget {
  /** @type {PoolHandle} */
  #handle;

  /** @param {PoolHandle} handle */
  constructor(handle) {
    super();
    this.#handle = handle;
  }

  /**
   * Starts a pool.
   * @param {PoolOptions} [options]
   * @returns {Promise<Pool>}
   */
  static async create(options = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('Pool.create(options): options must be an object');
    }
    const opts = /** @type {Record<string, unknown>} */ (options);
    const workers = intOption(opts, 'workers', 1, 256, navigator.hardwareConcurrency || 2);
    const queue = intOption(opts, 'queue', 0, 1 << 24, 2 * workers);
    await initialize();
    return new Pool(new PoolHandle(workers, queue));
  }

  /**
   * Queues a job now, or throws QueueFullError / PoolClosedError.
   * @param {string} kind
   * @param {unknown} input
   * @returns {number} the job's id
   */
  trySubmit(kind, input) {
    try {
      return this.#handle.trySubmit(kind, input);
    } catch (e) {
      if (e === 'full') throw new QueueFullError(kind);
      if (e === 'closed') throw new PoolClosedError();
      throw e;
    }
  }

  /**
   * Queues a job, waiting for room (backpressure you can await).
   * @param {string} kind
   * @param {unknown} input
   * @returns {Promise<number>} the job's id
   */
  async submit(kind, input) {
    try {
      return await this.#handle.submit(kind, input);
    } catch (e) {
      if (e === 'closed') throw new PoolClosedError();
      throw e;
    }
  }

  /**
   * Results in completion order; ends after close() once every job is out.
   * @returns {AsyncGenerator<JobResult>}
   */
  async *results() {
    for (;;) {
      const r = await this.#handle.nextResult();
      if (r === null) return;
      this.dispatchEvent(new CustomEvent(r.ok ? 'result' : 'error', { detail: r }));
      yield r;
    }
  }

  /** Stops intake; queued jobs still run. */
  close() {
    this.#handle.close();
  }

  /** @returns {{ workers: number, queued: number }} */
  stats() {
    return { workers: this.#handle.workers(), queued: this.#handle.queued() };
  }
}
