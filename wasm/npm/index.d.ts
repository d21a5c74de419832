// Type declarations for brigade-wasm's JavaScript API (js/index.js).

/** Instantiates the module once; rejects with NotIsolatedError when the page is not cross-origin isolated. */
export function initialize(moduleOrPath?: string | URL | Request | BufferSource | WebAssembly.Module): Promise<void>;

export interface RetryOptions {
  /** Attempts in all, 1 = no retry (default 3). */
  attempts?: number;
  /** First backoff delay in ms (default 10). */
  baseMs?: number;
  /** Largest backoff delay in ms (default 1000). */
  maxMs?: number;
  /** Full jitter (default true). */
  jitter?: boolean;
}

export interface RateLimitOptions {
  /** Job starts per second. */
  perSecond: number;
  /** Starts allowed at once (default 1). */
  burst?: number;
}

export interface PoolOptions {
  /** Web Workers (default: navigator.hardwareConcurrency). */
  workers?: number;
  /** Queue capacity; 0 makes submit a rendezvous (default: 2 × workers). */
  queue?: number;
  /** Default run-time limit of each job, in ms. */
  timeoutMs?: number;
  /** Width of a window of `stats().saturationSeries`, in ms (default 1000). */
  saturationWindowMs?: number;
  retry?: RetryOptions;
  rateLimit?: RateLimitOptions;
  /**
   * An ES module whose function exports are job handlers: a URL (absolute, or
   * relative to the page) or the module's source text. Every worker imports it;
   * a job whose kind names an export runs `handler(input, { signal })` there,
   * sync or async. `signal` aborts when the job times out or is cancelled.
   */
  handlers?: string | URL;
  /**
   * Start a rayon pool of this many Web Workers (once per page, shared by every
   * pool) for built-in kernels that split one job across cores (`mandelbrot`
   * renders its rows in parallel). Default 0: kernels run on one thread.
   */
  rayonThreads?: number;
}

export interface JobOptions {
  /** Cancels the job: a queued one never runs, a running one has its context cancelled. */
  signal?: AbortSignal;
  /** Run-time limit of this job, in ms. */
  timeoutMs?: number;
}

export type BuiltInKind =
  | 'echo'
  | 'sleep'
  | 'spin'
  | 'sha256'
  | 'primes'
  | 'mandelbrot'
  | 'thumbnail'
  | 'square'
  | 'fail'
  | 'panic';

export interface JobResult {
  id: number;
  kind: string;
  ok: boolean;
  value: unknown;
  /** `stack` is a JavaScript handler's error stack, from the worker. */
  error: { name: 'JobError' | 'PanicError' | 'TimeoutError' | 'AbortError'; message: string; stack?: string } | null;
  worker: number | null;
  attempts: number;
  queuedMs: number;
  runMs: number;
  /** When the job first started, in ms on the page's `performance.now()` clock; null if it never ran. */
  startedAt: number | null;
  /** When the job ended, on the same clock. */
  endedAt: number;
}

/** A job running now (`pool.running()`). */
export interface RunningJob {
  id: number;
  worker: number;
  /** On the page's `performance.now()` clock. */
  startedAt: number;
}

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

export interface Group {
  /** Aborted by the group's first failure (or the outer signal). */
  readonly signal: AbortSignal;
  /** Starts a job in the group; waits while `limit` jobs run. */
  go(kind: BuiltInKind | string, input: unknown): Promise<unknown>;
  /** Every output in order, or the first failure. */
  wait(): Promise<unknown[]>;
}

export class Pool extends EventTarget {
  private constructor();
  /** Starts a pool; bad options reject with TypeError/RangeError naming the option. */
  static create(options?: PoolOptions): Promise<Pool>;
  run(kind: BuiltInKind | string, input: unknown, opts?: JobOptions): Promise<unknown>;
  submit(kind: BuiltInKind | string, input: unknown, opts?: JobOptions): Promise<number>;
  trySubmit(kind: BuiltInKind | string, input: unknown, opts?: JobOptions): number;
  cancel(id: number): boolean;
  results(): AsyncGenerator<JobResult, void, undefined>;
  group(options?: { signal?: AbortSignal; limit?: number }): Group;
  stats(): Stats;
  /** The jobs running now, one per busy worker, in worker order. */
  running(): RunningJob[];
  metricsText(): string;
  resize(n: number): void;
  close(): void;
  drain(): Promise<void>;
  terminate(): void;
  readonly closed: boolean;
}

export class NotIsolatedError extends Error {}
export class QueueFullError extends Error {}
export class PoolClosedError extends Error {}
export class JobError extends Error {}
export class PanicError extends Error {}
export class TimeoutError extends Error {}
export class AbortError extends Error {}
