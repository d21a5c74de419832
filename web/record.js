// @ts-check
// What the playground keeps of one run: every job as it ended, the pool's
// gauges sampled over time, and the stretches the producer spent waiting for
// room. The views (lanes, queue, charts) draw from it and the trace export
// writes it out; nothing here touches the DOM. Times are milliseconds on the
// page's `performance.now()` clock, the clock of the pool's `startedAt` and
// `endedAt`.

/**
 * How a job ended, as the page colours it. `retried` is a success that took
 * more than one attempt; a job that failed after its retries is `failed`.
 * @typedef {'ok' | 'retried' | 'failed' | 'timedout' | 'canceled' | 'panicked'} Outcome
 */

/** Every outcome, in the order legends list them. @type {Outcome[]} */
export const OUTCOMES = ['ok', 'retried', 'failed', 'timedout', 'canceled', 'panicked'];

/**
 * One finished job.
 * @typedef {object} JobRow
 * @property {number} id
 * @property {string} kind
 * @property {number | null} worker the worker that ran it; null if it never started
 * @property {number | null} startedAt null if it never started
 * @property {number} endedAt
 * @property {Outcome} outcome
 * @property {number} attempts
 * @property {number} queuedMs
 * @property {number} runMs
 * @property {{ name: string, message: string } | null} error
 * @property {unknown} value
 */

/**
 * The pool's gauges at one moment.
 * @typedef {object} Sample
 * @property {number} t
 * @property {number} queued
 * @property {number} busy
 * @property {number} workers
 * @property {boolean} producerWaiting
 */

/**
 * @param {import('./pkg/index.js').JobResult} r
 * @returns {Outcome}
 */
export function outcomeOf(r) {
  if (r.ok) return r.attempts > 1 ? 'retried' : 'ok';
  switch (r.error?.name) {
    case 'TimeoutError':
      return 'timedout';
    case 'AbortError':
      return 'canceled';
    case 'PanicError':
      return 'panicked';
    default:
      return 'failed';
  }
}

export class RunRecord {
  /**
   * @param {string} scenario
   * @param {Record<string, string | number>} settings
   */
  constructor(scenario, settings) {
    this.scenario = scenario;
    this.settings = settings;
    /** When the run started. */
    this.t0 = performance.now();
    /** When the last job ended and the run was over; null while it runs. */
    this.t1 = /** @type {number | null} */ (null);
    /** First result's arrival, for the time-to-first-result figure. */
    this.firstResultAt = /** @type {number | null} */ (null);
    /** @type {JobRow[]} in the order they ended */
    this.finished = [];
    /** @type {Sample[]} */
    this.samples = [];
    /** Stretches the producer spent waiting for room: [start, end]; end null while waiting. @type {[number, number | null][]} */
    this.producerWaits = [];
    this.submitted = 0;
    this.counts = { completed: 0, failed: 0, canceled: 0, retried: 0 };
  }

  /** The producer found no room and waits. */
  producerBlocked() {
    const last = this.producerWaits.at(-1);
    if (last && last[1] === null) return;
    this.producerWaits.push([performance.now(), null]);
  }

  /** The producer's job was accepted. */
  producerAccepted() {
    this.submitted += 1;
    const last = this.producerWaits.at(-1);
    if (last && last[1] === null) last[1] = performance.now();
  }

  get producerWaiting() {
    const last = this.producerWaits.at(-1);
    return Boolean(last && last[1] === null);
  }

  /**
   * A job's result came out of the pool.
   * @param {import('./pkg/index.js').JobResult} r
   * @returns {JobRow}
   */
  add(r) {
    this.firstResultAt ??= performance.now();
    const outcome = outcomeOf(r);
    /** @type {JobRow} */
    const row = {
      id: r.id,
      kind: r.kind,
      worker: r.worker,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      outcome,
      attempts: r.attempts,
      queuedMs: r.queuedMs,
      runMs: r.runMs,
      error: r.error ? { name: r.error.name, message: r.error.message } : null,
      value: r.value,
    };
    this.finished.push(row);
    if (outcome === 'ok' || outcome === 'retried') this.counts.completed += 1;
    else if (outcome === 'canceled') this.counts.canceled += 1;
    else this.counts.failed += 1;
    if (r.attempts > 1) this.counts.retried += 1;
    return row;
  }

  /**
   * Records the gauges now (the frame loop calls it).
   * @param {{ queued: number, busy: number, workers: number }} g
   */
  sample(g) {
    this.samples.push({ t: performance.now(), ...g, producerWaiting: this.producerWaiting });
  }

  /** Jobs accepted whose result has not come out yet. */
  get outstanding() {
    return this.submitted - this.finished.length;
  }

  /** The producer has submitted its last job (or gave up): it waits no more. */
  producerDone() {
    const last = this.producerWaits.at(-1);
    if (last && last[1] === null) last[1] = performance.now();
  }

  /** Every job has ended: the run is over. */
  end() {
    this.producerDone();
    this.t1 = performance.now();
  }
}
