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

/**
 * What every job's error carries besides its message: which job it was.
 * @typedef {{ jobId?: number, kind?: string }} JobInfo
 */

/** The errors a job ends with: each names its job. */
class JobFailure extends Error {
  /** @param {string} name @param {string} message @param {ErrorOptions & JobInfo} options */
  constructor(name, message, options) {
    super(message, options);
    this.name = name;
    /** The failed job's id. */
    this.jobId = options.jobId;
    /** The failed job's kind. */
    this.kind = options.kind;
  }
}

/** A job's handler failed; `cause` is the error the handler threw, rebuilt on the page. */
export class JobError extends JobFailure {
  /** @param {string} message @param {ErrorOptions & JobInfo} [options] */
  constructor(message, options = {}) {
    super('JobError', message, options);
  }
}

/** A Rust kernel panicked; the pool kept serving. */
export class PanicError extends JobFailure {
  /** @param {string} message @param {ErrorOptions & JobInfo} [options] */
  constructor(message, options = {}) {
    super('PanicError', message, options);
  }
}

/** A job ran out of time. */
export class TimeoutError extends JobFailure {
  /** @param {string} message @param {ErrorOptions & JobInfo} [options] */
  constructor(message, options = {}) {
    super('TimeoutError', message, options);
  }
}

/**
 * A job was canceled by the pool (closed by terminate(), or a group's
 * failure). A job whose own AbortSignal aborted rejects with the signal's
 * reason instead, as fetch does.
 */
export class AbortError extends JobFailure {
  /** @param {string} message @param {ErrorOptions & JobInfo} [options] */
  constructor(message, options = {}) {
    super('AbortError', message, options);
  }
}

/**
 * The Web Worker running a job ended: terminated from outside, crashed, out
 * of memory, or terminated by the pool for `hardTimeoutMs` (then it is the
 * `cause` of the job's TimeoutError). The pool replaced it.
 */
export class WorkerLostError extends JobFailure {
  /** @param {string} message @param {ErrorOptions & JobInfo} [options] */
  constructor(message, options = {}) {
    super('WorkerLostError', message, options);
  }
}

/**
 * A job's input (or a handler's output) holds a value that cannot cross to
 * the workers: a function, a symbol, a class instance, a cycle… The message
 * starts with where it is (`input.items[3].when: …`).
 */
export class DataCloneError extends Error {
  /** @param {string} message @param {ErrorOptions} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = 'DataCloneError';
  }
}

/**
 * What a handler threw, as it crossed from the worker: its name, message and
 * stack (when it was an Error), its own cause if it had one, and its own
 * enumerable properties that are job data (`err.code = 'E42'`).
 * @typedef {{ name: string, message: string, stack?: string, errorName?: string, cause?: unknown, props?: Record<string, unknown> }} ErrorRecord
 */

/**
 * The handler's own error, rebuilt on the page with its name, message,
 * stack, cause and own properties.
 * @param {ErrorRecord} e
 */
function thrown(e) {
  const err = new Error(e.message, 'cause' in e ? { cause: e.cause } : undefined);
  if (e.props) Object.assign(err, e.props);
  // Not enumerable, as a thrown error's own name is not: Object.keys of the
  // rebuilt error lists what the handler's error listed.
  Object.defineProperty(err, 'name', { value: e.errorName ?? 'Error', writable: true, configurable: true });
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * The error a failed job's record stands for.
 * @param {ErrorRecord} e the record's error
 * @param {{ id: number, kind: string, worker?: number | null }} job
 */
export function toError(e, job) {
  const info = { jobId: job.id, kind: job.kind };
  // A job whose worker was lost: the loss is the cause of its timeout or
  // abort, or the error itself.
  const lost =
    e.errorName === 'WorkerLostError' && e.name !== 'WorkerLostError'
      ? { cause: new WorkerLostError(`worker ${job.worker ?? '?'} was terminated`, info) }
      : {};
  switch (e.name) {
    case 'PanicError':
      return new PanicError(e.message, info);
    case 'TimeoutError':
      return new TimeoutError(e.message, { ...info, ...lost });
    case 'AbortError':
      return new AbortError(e.message, { ...info, ...lost });
    case 'WorkerLostError':
      return new WorkerLostError(e.message, info);
    default: {
      const err = new JobError(e.message, { ...info, cause: thrown(e) });
      // The stack is where the handler threw, on the worker.
      if (e.stack) err.stack = e.stack;
      return err;
    }
  }
}
