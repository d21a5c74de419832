// Results, events and errors: typed without casts.
import {
  AbortError,
  DataCloneError,
  JobError,
  NotIsolatedError,
  PanicError,
  Pool,
  PoolClosedError,
  QueueFullError,
  TimeoutError,
  WorkerLostError,
} from 'brigade-wasm';
import type { JobFailure, JobProgress, JobResult, JobSuccess, PoolEventMap, RunningJob, Stats } from 'brigade-wasm';
import { expectType, type Equal } from './assert.js';

const pool = await Pool.create();

// --- events ---------------------------------------------------------------------------
pool.addEventListener('result', (e) => {
  expectType<Equal<typeof e, CustomEvent<JobSuccess>>>();
  expectType<Equal<typeof e.detail.value, unknown>>();
  expectType<Equal<typeof e.detail.error, null>>();
  const n: number = e.detail.id + e.detail.runMs + e.detail.queuedMs + e.detail.attempts + e.detail.endedAt;
  void n;
  return e.detail.value;
});
pool.addEventListener('error', (e) => {
  expectType<Equal<typeof e, CustomEvent<JobFailure>>>();
  const name: 'JobError' | 'PanicError' | 'TimeoutError' | 'AbortError' | 'WorkerLostError' = e.detail.error.name;
  const stack: string | undefined = e.detail.error.stack;
  void [name, stack, e.detail.error.message.length];
});
pool.addEventListener('progress', (e) => {
  expectType<Equal<typeof e.detail, JobProgress>>();
  expectType<Equal<typeof e.detail.value, unknown>>();
  const where: [number | undefined, string] = [e.detail.id, e.detail.kind];
  void where;
});
pool.addEventListener('idle', (e) => expectType<Equal<typeof e, Event>>());
pool.addEventListener('full', function (e) {
  expectType<Equal<typeof this, Pool>>();
  expectType<Equal<typeof e, Event>>();
}, { once: true });
// Any other type, and listener objects, as on every EventTarget.
pool.addEventListener('custom', (e) => expectType<Equal<typeof e, Event>>());
pool.addEventListener('result', { handleEvent: () => {} });
const onResult = (e: CustomEvent<JobResult>) => e.detail.ok;
pool.addEventListener('result', onResult);
pool.removeEventListener('result', onResult);
pool.removeEventListener('idle', () => {}, { capture: true });
// @ts-expect-error a result event is a CustomEvent of a record, not of a number
pool.addEventListener('result', (e: CustomEvent<number>) => e.detail);
// A pool is an EventTarget.
const target: EventTarget = pool;
void target;
expectType<Equal<PoolEventMap['idle'], Event>>();

// --- results ----------------------------------------------------------------------------
for await (const r of pool.results()) {
  expectType<Equal<typeof r, JobResult>>();
  expectType<Equal<typeof r.kind, string>>();
  expectType<Equal<typeof r.worker, number | null>>();
  expectType<Equal<typeof r.startedAt, number | null>>();
  // @ts-expect-error error may be null until ok is tested
  void r.error.name;
  if (r.ok) {
    expectType<Equal<typeof r.value, unknown>>();
    expectType<Equal<typeof r.error, null>>();
  } else {
    expectType<Equal<typeof r.value, undefined>>();
    void r.error.name; // the README's `r.ok ? r.value : r.error.name`
  }
}
// A record of a known kind carries that kind's output.
declare const r: JobResult<'primes' | 'sha256'>;
if (r.ok && r.kind === 'primes') expectType<Equal<typeof r.value, number>>();
if (r.ok && r.kind === 'sha256') expectType<Equal<typeof r.value, string>>();

const running: RunningJob[] = pool.running();
expectType<Equal<ReturnType<typeof pool.running>, RunningJob[]>>();
void running;
const stats: Stats = pool.stats();
const p99: number = stats.run.p99 + stats.wait.buckets.reduce((s, b) => s + b.le * b.count, 0);
void p99;
expectType<Equal<ReturnType<typeof pool.metricsText>, string>>();

// --- errors -----------------------------------------------------------------------------
try {
  await pool.run('primes', { below: 10 });
} catch (e) {
  if (e instanceof JobError) {
    expectType<Equal<typeof e.name, 'JobError'>>();
    expectType<Equal<typeof e.jobId, number | undefined>>();
    expectType<Equal<typeof e.kind, string | undefined>>();
    expectType<Equal<typeof e.cause, unknown>>();
  } else if (e instanceof PanicError || e instanceof TimeoutError || e instanceof AbortError) {
    const at: [number | undefined, string | undefined] = [e.jobId, e.kind];
    void at;
  } else if (e instanceof WorkerLostError) {
    expectType<Equal<typeof e.name, 'WorkerLostError'>>();
  } else if (e instanceof DataCloneError) {
    const base: Error = e;
    void base;
  }
  // Past hardTimeoutMs the cause of a TimeoutError is the lost worker's error.
  if (e instanceof TimeoutError) expectType<Equal<typeof e.cause, unknown>>();
}
new JobError('handler failed', { cause: new RangeError('x'), jobId: 3, kind: 'negate' });
new PanicError('boom', { jobId: 1, kind: 'panic' });
new TimeoutError('slow', { cause: new WorkerLostError('worker 0 was terminated', { jobId: 4, kind: 'spin' }) });
new AbortError('aborted', { cause: 'user' });
new QueueFullError('square');
new PoolClosedError();
new PoolClosedError({ cause: new Error('trap'), trapped: true });
new NotIsolatedError();
new DataCloneError('functions cannot be job inputs', { cause: new TypeError('x') });
const errors: Error[] = [new QueueFullError('x'), new NotIsolatedError()];
void errors;
// @ts-expect-error QueueFullError names the kind it could not submit
new QueueFullError();
// @ts-expect-error jobId is a number
new JobError('x', { jobId: '1' });
expectType<Equal<InstanceType<typeof PoolClosedError>['name'], 'PoolClosedError'>>();
