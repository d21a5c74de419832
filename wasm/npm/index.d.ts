// Type declarations for brigade-wasm's JavaScript API (js/index.js and js/api/).
// Checked by tests/types (tsc over a consumer's code), publint and attw in
// `make test`: see scripts/check-types.sh.

// `await using pool = await Pool.create()` needs `Symbol.asyncDispose`. It is
// declared here as @types/node declares it, so these types work whether or not
// the consumer's `lib` has esnext.disposable (the declarations merge).
declare global {
  interface SymbolConstructor {
    /** The method `await using` calls when its block ends. */
    readonly asyncDispose: unique symbol;
  }
}

/** Instantiates the module once; rejects with NotIsolatedError when the page is not cross-origin isolated. */
export function initialize(moduleOrPath?: string | URL | Request | BufferSource | WebAssembly.Module): Promise<void>;

// --- Job kinds, inputs and outputs ---------------------------------------------

/** The typed arrays a job's data can hold. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * What a job's input and output can be: what the browser's structured clone
 * carries of plain data. Primitives (bigints and `undefined` included),
 * `Date`, `RegExp`, `Error`s, typed arrays, `DataView`, `ArrayBuffer`, arrays,
 * plain objects, `Map` and `Set`, nested. Refused at run time with
 * DataCloneError: functions, symbols, class instances, `SharedArrayBuffer`,
 * cycles. (`Float16Array` and boxed primitives such as `new Number(1)` cross
 * too, but are left out here: `Float16Array` is not in every `lib`.)
 *
 * A value whose type is an `interface` does not match the index signature
 * here, as a class instance does not (TypeScript gives only object literals
 * and type aliases an implicit one): describe plain data with `type`, or
 * spread it (`{ ...point }`).
 */
export type Clonable =
  | undefined
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | RegExp
  | Error
  | TypedArray
  | DataView
  | ArrayBuffer
  | readonly Clonable[]
  | ReadonlyMap<Clonable, Clonable>
  | ReadonlySet<Clonable>
  | { readonly [key: string]: Clonable };

/** `Clonable` as it comes out of a job: mutable, errors as `Error`. */
export type Cloned =
  | undefined
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | RegExp
  | Error
  | TypedArray
  | DataView
  | ArrayBuffer
  | Cloned[]
  | Map<Cloned, Cloned>
  | Set<Cloned>
  | { [key: string]: Cloned };

/**
 * What `echo` gives back for input `T`: the same type, as a structured clone
 * gives it (fresh, so mutable; an `Error` of a class of your own comes back
 * as an `Error`).
 */
export type Echoed<T> = [Clonable] extends [T] ? Cloned : EchoedValue<T>;

/** `Echoed` of a type narrower than `Clonable`, one member of a union at a time. */
export type EchoedValue<T> = T extends Error
  ? Error
  : T extends TypedArray | DataView | ArrayBuffer | Date | RegExp
    ? T
    : T extends ReadonlyMap<infer K, infer V>
      ? Map<Echoed<K>, Echoed<V>>
      : T extends ReadonlySet<infer V>
        ? Set<Echoed<V>>
        : T extends readonly unknown[]
          ? { -readonly [I in keyof T]: Echoed<T[I]> }
          : T extends object
            ? { -readonly [P in keyof T]: Echoed<T[P]> }
            : T;

/** The built-in kinds (Rust kernels, wasm/src/kinds.rs): each one's input and output. */
export interface BuiltInKinds {
  /** Gives its input back (see `Echoed`). */
  echo: { input: Clonable; output: Cloned };
  /** Waits `ms` without using the CPU; gives `null`. Cancellation and timeouts end it early. */
  sleep: { input: { ms: number }; output: null };
  /** Keeps a core busy for `ms`; gives a number (the state of the busy loop). */
  spin: { input: { ms: number }; output: number };
  /** The SHA-256 of a string (as UTF-8) or of bytes, as 64 lowercase hex digits. */
  sha256: { input: string | Uint8Array | Uint8ClampedArray; output: string };
  /** How many primes are below `below`. */
  primes: { input: { below: number }; output: number };
  /**
   * The escape count of each pixel, row by row: pixel (i, j) is
   * c = (x + i·scale) + (y + j·scale)i. `parallel: true` splits the rows across
   * the `rayonThreads` pool. At most 16,777,216 pixels; `maxIter` 1..65535.
   */
  mandelbrot: {
    input: {
      x: number;
      y: number;
      width: number;
      height: number;
      scale: number;
      maxIter: number;
      parallel?: boolean;
    };
    output: Uint16Array;
  };
  /** Scales an RGBA image so that its longer side is at most `maxSide` (never up). */
  thumbnail: {
    input: { width: number; height: number; rgba: Uint8Array | Uint8ClampedArray; maxSide: number };
    output: { width: number; height: number; rgba: Uint8Array };
  };
  /** `input * input`. */
  square: { input: number; output: number };
  /** Fails with JobError(`message`, default "failed"). */
  fail: { input: { message?: string }; output: never };
  /** Panics in Rust with `message`: the job fails with PanicError and the pool keeps serving. */
  panic: { input: { message?: string }; output: never };
}

export type BuiltInKind = keyof BuiltInKinds;

/**
 * A job's kind: a built-in one, or the name of a function exported by the
 * pool's `handlers` module. (`string & {}` keeps editors suggesting the
 * built-in names.)
 */
export type Kind = BuiltInKind | (string & {});

/** The input a kind takes: a handler's is `unknown` (`Clonable` at run time). */
export type InputOf<K extends string> = K extends BuiltInKind ? BuiltInKinds[K]['input'] : unknown;

/** The output a kind gives for input `I`: a handler's is `unknown`. */
export type OutputOf<K extends string, I = InputOf<K>> = K extends 'echo'
  ? Echoed<I>
  : K extends BuiltInKind
    ? BuiltInKinds[K]['output']
    : unknown;

// --- Options -------------------------------------------------------------------

export interface RetryOptions {
  /** Attempts in all, 1 = no retry, up to 100 (default 3). */
  attempts?: number | undefined;
  /** First backoff delay in ms (default 10). */
  baseMs?: number | undefined;
  /** Largest backoff delay in ms (default 1000). */
  maxMs?: number | undefined;
  /** Full jitter (default true). */
  jitter?: boolean | undefined;
}

export interface RateLimitOptions {
  /** Job starts per second. */
  perSecond: number;
  /** Starts allowed at once (default 1). */
  burst?: number | undefined;
}

export interface PoolOptions {
  /** Web Workers, 1 to 256 (default: navigator.hardwareConcurrency). */
  workers?: number | undefined;
  /** Queue capacity; 0 makes submit a rendezvous (default: 2 × workers). */
  queue?: number | undefined;
  /** Default run-time limit of each job, in ms. */
  timeoutMs?: number | undefined;
  /**
   * Default hard limit of each job, in ms: its signal aborts then, and if it
   * is still running 25 ms later its Web Worker is terminated and replaced;
   * it ends with `TimeoutError` whose cause is a `WorkerLostError` (a Rust
   * kind is stopped through its context).
   */
  hardTimeoutMs?: number | undefined;
  /** Width of a window of `stats().saturationSeries`, in ms (default 1000). */
  saturationWindowMs?: number | undefined;
  retry?: RetryOptions | undefined;
  rateLimit?: RateLimitOptions | undefined;
  /**
   * An ES module whose function exports are job handlers: a URL (absolute, or
   * relative to the page: `'./handlers.js'`, not the bare `'handlers.js'`) or
   * the module's source text. Every worker imports it;
   * a job whose kind names an export runs `handler(input, { signal })` there,
   * sync or async. `signal` aborts when the job times out or is canceled.
   */
  handlers?: string | URL | undefined;
  /**
   * Start a rayon pool of this many Web Workers, up to 256 (once per page,
   * shared by every pool), for built-in kernels that split one job across
   * cores (`mandelbrot` with `parallel: true`) (default 0: kernels run on
   * one thread).
   */
  rayonThreads?: number | undefined;
}

export interface JobOptions {
  /** Cancels the job: a queued one never runs, a running one has its context canceled. */
  signal?: AbortSignal | undefined;
  /** Run-time limit of this job, in ms. */
  timeoutMs?: number | undefined;
  /** Hard limit of this job, in ms (see the pool's `hardTimeoutMs`). */
  hardTimeoutMs?: number | undefined;
  /**
   * ArrayBuffers to detach once the input has been copied into the shared
   * memory, as postMessage's transfer list does. The workers read only the
   * shared memory, so this frees the page's copy at once; it saves no copy.
   */
  transfer?: ArrayBuffer[] | undefined;
  /**
   * Called on the page with each value the job reports while it runs (also a
   * `progress` event): a handler's `info.progress(value)`, or `mandelbrot`'s
   * share of rows done (0 to 1).
   */
  onProgress?: ((value: unknown) => void) | undefined;
}

// --- Results, events ---------------------------------------------------------------

/** Why a job failed, as its record carries it. */
export interface JobFailureInfo {
  name: 'JobError' | 'PanicError' | 'TimeoutError' | 'AbortError' | 'WorkerLostError';
  message: string;
  /** A JavaScript handler's error stack, from the worker. */
  stack?: string;
  /** The `name` of the error a JavaScript handler threw (`'TypeError'`, a class's own name). */
  errorName?: string;
  /** The `cause` of the error a JavaScript handler threw, if it had one that is job data. */
  cause?: unknown;
  /** The own enumerable properties of the error a JavaScript handler threw that are job data (`code`…). */
  props?: Record<string, unknown>;
}

/** What every job record carries. */
export interface JobRecord<K extends string = string> {
  id: number;
  kind: K;
  /** The worker that ran it last; null if it never ran. */
  worker: number | null;
  attempts: number;
  queuedMs: number;
  runMs: number;
  /** When the job first started, in ms on the page's `performance.now()` clock; null if it never ran. */
  startedAt: number | null;
  /** When the job ended, on the same clock. */
  endedAt: number;
}

/** The record of a job that succeeded. */
export interface JobSuccess<K extends string = string> extends JobRecord<K> {
  ok: true;
  value: OutputOf<K>;
  error: null;
}

/** The record of a job that failed. */
export interface JobFailure<K extends string = string> extends JobRecord<K> {
  ok: false;
  value: undefined;
  error: JobFailureInfo;
}

/**
 * One job's outcome, from `results()`, `for await (const r of pool)` and the
 * `result`/`error` events. Test `ok` to reach `value` or `error`.
 */
export type JobResult<K extends string = string> = K extends unknown ? JobSuccess<K> | JobFailure<K> : never;

/** The detail of a `progress` event. */
export interface JobProgress {
  /**
   * The job's id; `undefined` in the moment between a job that waited for
   * room starting and its submit() call learning the id.
   */
  id: number | undefined;
  kind: string;
  value: unknown;
}

/** The events a Pool dispatches. */
export interface PoolEventMap {
  /** A job succeeded. */
  result: CustomEvent<JobSuccess>;
  /** A job failed. */
  error: CustomEvent<JobFailure>;
  /** A running job reported progress. */
  progress: CustomEvent<JobProgress>;
  /** No job is queued or running. */
  idle: Event;
  /** A submission found the queue full (it waits, or trySubmit throws QueueFullError). */
  full: Event;
}

/** A job running now (`pool.running()`). */
export interface RunningJob {
  id: number;
  worker: number;
  /** On the page's `performance.now()` clock. */
  startedAt: number;
}

// --- Stats -----------------------------------------------------------------------

/** One bucket of a time histogram: samples at or below `le` ms, cumulative (as Prometheus counts). */
export interface Bucket {
  le: number;
  count: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Samples in all (the `+Inf` bucket). */
  count: number;
  /** Cumulative counts at each bound, smallest bound first. */
  buckets: Bucket[];
}

export interface Stats {
  workers: number;
  busy: number;
  idle: number;
  queued: number;
  capacity: number;
  submitted: number;
  succeeded: number;
  failed: number;
  canceled: number;
  timedOut: number;
  panicked: number;
  /** Jobs whose Web Worker died while running them (a kill for `hardTimeoutMs` counts in `timedOut`). */
  lost: number;
  retried: number;
  rateLimitedWaits: number;
  /** Queue wait, ms. */
  wait: Percentiles;
  /** Run time, ms. */
  run: Percentiles;
  /** Share of worker time spent running jobs since the pool started (0..1). */
  saturation: number;
  /**
   * Saturation per window of `saturationWindowMs`, oldest first (at most 60);
   * the last entry is the window in progress.
   */
  saturationSeries: number[];
  saturationWindowMs: number;
}

// --- Pool --------------------------------------------------------------------------

export interface Group {
  /** Aborted by the group's first failure (or the outer signal). */
  readonly signal: AbortSignal;
  /** Starts a job in the group; waits while `limit` jobs run. Resolves to its output. */
  go<K extends Kind, I extends InputOf<K> = InputOf<K>>(kind: K, input: I): Promise<OutputOf<K, I>>;
  /** Every output in order, or the first failure. */
  wait(): Promise<unknown[]>;
}

/** A pool of Web Workers sharing one WebAssembly memory. Events: see `PoolEventMap`. */
export class Pool extends EventTarget {
  private constructor();
  /** Starts a pool; bad options reject with TypeError/RangeError naming the option. */
  static create(options?: PoolOptions): Promise<Pool>;

  /**
   * Runs one job and resolves to its output, or rejects with JobError,
   * PanicError, TimeoutError, AbortError or PoolClosedError. Waits for room
   * in the queue first. Like fetch, an aborted `signal` rejects with its
   * reason: at once if the job has not started (it never will), else once the
   * running job has stopped.
   */
  run<K extends Kind, I extends InputOf<K> = InputOf<K>>(kind: K, input: I, opts?: JobOptions): Promise<OutputOf<K, I>>;
  /** Queues a job, waiting for room; its result comes out of results(). Resolves to the job's id. */
  submit<K extends Kind>(kind: K, input: InputOf<K>, opts?: JobOptions): Promise<number>;
  /** Queues a job now and returns its id, or throws QueueFullError / PoolClosedError. */
  trySubmit<K extends Kind>(kind: K, input: InputOf<K>, opts?: JobOptions): number;
  /** Cancels a submitted job by id; false if it had already ended. */
  cancel(id: number): boolean;

  /** Results of submitted jobs in completion order; ends after close() once all are out. */
  results(): AsyncGenerator<JobResult, void, undefined>;
  /** The same results as `results()`: `for await (const r of pool)`. */
  [Symbol.asyncIterator](): AsyncIterator<JobResult>;
  /** An errgroup over this pool: the first failure aborts the group's other jobs. */
  group(options?: { signal?: AbortSignal | undefined; limit?: number | undefined }): Group;

  /** Jobs waiting in the queue (not counting calls still waiting for room). */
  get size(): number;
  /** Jobs running now. */
  get pending(): number;
  /** The number of workers the pool has (or is resizing to). */
  get workers(): number;
  /** The queue's capacity (0: every submission waits for a worker). */
  get capacity(): number;
  /** Resolves once no job is queued, running or waiting for room (at once if none is). */
  onIdle(): Promise<void>;

  /** A snapshot of the pool: gauges, counters, and wait/run percentiles in ms. */
  stats(): Stats;
  /** The jobs running now, one per busy worker, in worker order. */
  running(): RunningJob[];
  /** The metrics in Prometheus' text exposition format. */
  metricsText(): string;
  /** Changes the number of workers, 1..256 (busy ones finish their job first when shrinking). */
  resize(n: number): void;

  /** Stops intake; queued jobs still run, and results() ends after them. */
  close(): void;
  /** Closes the pool and resolves once every job has ended and the workers exited. */
  drain(): Promise<void>;
  /**
   * Cancels everything now: queued jobs end with AbortError, running ones are
   * asked to stop. Resolves once every Web Worker of the pool has exited; from
   * then on every job call rejects with PoolClosedError.
   */
  terminate(): Promise<void>;
  /** `await using pool = await Pool.create()` closes and drains the pool at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
  /** Whether close(), drain() or terminate() was called. */
  readonly closed: boolean;

  addEventListener<T extends keyof PoolEventMap>(
    type: T,
    listener: (this: Pool, ev: PoolEventMap[T]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<T extends keyof PoolEventMap>(
    type: T,
    listener: (this: Pool, ev: PoolEventMap[T]) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

// --- Errors ------------------------------------------------------------------------

/** Options of the errors a job ends with: `cause`, and which job it was. */
export interface JobErrorOptions {
  cause?: unknown;
  /** The job's id, once it had one. */
  jobId?: number | undefined;
  /** The job's kind. */
  kind?: string | undefined;
}

/** The page is not cross-origin isolated, so shared memory is unavailable. */
export class NotIsolatedError extends Error {
  constructor();
  name: 'NotIsolatedError';
}

/** trySubmit found the queue full. */
export class QueueFullError extends Error {
  constructor(kind: string);
  name: 'QueueFullError';
}

/** The pool no longer accepts jobs (it was closed, or the module trapped: see `cause`). */
export class PoolClosedError extends Error {
  /** `trapped`: the cause is the trap that ended the module. */
  constructor(options?: { cause?: unknown; trapped?: boolean | undefined });
  name: 'PoolClosedError';
  cause?: unknown;
}

/** A job's handler failed; `cause` is the handler's error, rebuilt on the page. */
export class JobError extends Error {
  constructor(message: string, options?: JobErrorOptions);
  name: 'JobError';
  cause?: unknown;
  jobId?: number | undefined;
  kind?: string | undefined;
}

/** A Rust kernel panicked; the pool kept serving. */
export class PanicError extends Error {
  constructor(message: string, options?: JobErrorOptions);
  name: 'PanicError';
  jobId?: number | undefined;
  kind?: string | undefined;
}

/** A job ran out of time; past `hardTimeoutMs`, `cause` is the `WorkerLostError` of its terminated worker. */
export class TimeoutError extends Error {
  constructor(message: string, options?: JobErrorOptions);
  name: 'TimeoutError';
  cause?: unknown;
  jobId?: number | undefined;
  kind?: string | undefined;
}

/**
 * A job was canceled by the pool (closed by terminate(), or a group's
 * failure). A job whose own AbortSignal aborted rejects with the signal's
 * reason instead, as fetch does.
 */
export class AbortError extends Error {
  constructor(message: string, options?: JobErrorOptions);
  name: 'AbortError';
  cause?: unknown;
  jobId?: number | undefined;
  kind?: string | undefined;
}

/**
 * The Web Worker running a job ended (terminated from outside, crashed, out
 * of memory, or by the pool for `hardTimeoutMs`); the pool replaced it.
 */
export class WorkerLostError extends Error {
  constructor(message: string, options?: JobErrorOptions);
  name: 'WorkerLostError';
  cause?: unknown;
  jobId?: number | undefined;
  kind?: string | undefined;
}

/** A job's input or output cannot be cloned (see `Clonable`), so it cannot cross into the shared memory. */
export class DataCloneError extends Error {
  constructor(message: string, options?: { cause?: unknown });
  name: 'DataCloneError';
  cause?: unknown;
}
