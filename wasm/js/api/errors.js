// @ts-check
// The errors of brigade's JavaScript API: Error subclasses with stable names,
// and the error a failed job's record stands for.

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
  /** @param {{ cause?: unknown, trapped?: boolean }} [options] `trapped`: the cause is a trap */
  constructor(options = {}) {
    const { trapped = false, ...rest } = options;
    super(
      trapped
        ? `the pool is closed: its WebAssembly module trapped (${/** @type {Error} */ (rest.cause).message}) and takes no more calls`
        : 'the pool is closed',
      rest,
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

/** @param {AbortSignal} signal */
export function abortError(signal) {
  return new AbortError('the job was aborted', { cause: signal.reason });
}

/**
 * The error a failed job's record stands for.
 * @param {{ name: string, message: string, stack?: string }} e
 * @param {AbortSignal} [signal]
 */
export function toError(e, signal) {
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

