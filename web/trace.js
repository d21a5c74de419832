// @ts-check
// A run written out as a Chrome trace, to open in Perfetto (ui.perfetto.dev)
// or chrome://tracing: the JSON Object Format of the Trace Event Format
// (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU).
//
// One process, "brigade pool". Each worker is a thread, `worker <n>` with
// tid n + 1, and every job it ran is one complete event ('X') on it, from the
// job's start to its end, named after its kind, with its outcome as category.
// Jobs that never started (canceled or timed out in the queue) are slices on
// a thread `queue (never ran)`, spanning their time in the queue. The pool's
// gauges are counter events ('C'): queue depth and busy workers from the
// record's samples, and whether the producer waits for room from its exact
// waiting stretches. Perfetto names a counter track "<event name> <arg key>",
// so the events are named `queue` / `busy` / `producer` with the args `depth`
// / `workers` / `waiting`: the tracks read "queue depth", "busy workers" and
// "producer waiting" there (chrome://tracing shows the key as the series).
//
// Times: `ts` and `dur` are microseconds since the run started (record.t0),
// whole numbers. The page's clock is no finer than 5 µs, and whole numbers keep
// a slice's end (ts + dur) equal to the next one's start exactly, which the
// nesting below relies on.
//
// # Invariants
// 1. Every finished job is exactly one 'X' event; no event has a negative ts
//    or dur.
// 2. On any one thread, two slices are either disjoint or one holds the
//    other, never partly overlapping: Perfetto drops (older versions) or
//    moves aside (newer ones, with an import error) a complete event that
//    partly overlaps another on its thread. A worker runs one job at a time,
//    so its jobs lie side by side; jobs that waited in the queue overlap
//    freely, and so may a retried job's span (first start to end) with the
//    jobs its worker ran between attempts. A slice that cannot go on a
//    thread's first lane goes on another lane of the same name with a
//    numbered suffix (`queue (never ran) #2`), sorted next to it.
// 3. No lane nests deeper than MAX_DEPTH slices (Perfetto keeps 512 levels).

/** @typedef {import('./record.js').JobRow} JobRow */
/** @typedef {import('./record.js').Sample} Sample */

/**
 * What the export reads of a run: a RunRecord, or any object of its shape.
 * @typedef {Pick<import('./record.js').RunRecord,
 *   'scenario' | 'settings' | 't0' | 't1' | 'finished' | 'samples' | 'producerWaits'>} TraceSource
 */

/**
 * One event of the Trace Event Format, as far as this file writes them.
 * @typedef {object} TraceEvent
 * @property {string} name
 * @property {'M' | 'X' | 'C'} ph
 * @property {number} pid
 * @property {number} [tid]
 * @property {number} [ts] µs since the run started
 * @property {number} [dur] µs
 * @property {string} [cat]
 * @property {Record<string, unknown>} args
 */

/**
 * @typedef {object} Trace
 * @property {TraceEvent[]} traceEvents
 * @property {'ms'} displayTimeUnit
 * @property {Record<string, unknown>} otherData
 */

const PID = 1;
const PROCESS = 'brigade pool';
const QUEUE = 'queue (never ran)';
/** Deepest nesting on one lane; Perfetto's limit is 512. */
const MAX_DEPTH = 256;

/**
 * The run as a Chrome trace (JSON Object Format), ready for JSON.stringify.
 * @param {TraceSource} record
 * @param {{ workers: number }} opts the pool's size; workers that ran no job get a thread too
 * @returns {Trace}
 */
export function traceEvents(record, { workers }) {
  const t0 = record.t0;
  /** ms on the page's clock -> whole µs since the run started, never negative. */
  const us = (/** @type {number} */ t) => Math.max(0, Math.round((t - t0) * 1000));

  // Slices by the thread they belong on, workers first, then the queue.
  let pool = workers;
  for (const row of record.finished) {
    if (ran(row)) pool = Math.max(pool, /** @type {number} */ (row.worker) + 1);
  }
  /** @type {{ name: string, slices: Slice[] }[]} */
  const groups = [];
  for (let n = 0; n < pool; n++) groups.push({ name: `worker ${n}`, slices: [] });
  const queue = { name: QUEUE, slices: /** @type {Slice[]} */ ([]) };
  for (const row of record.finished) {
    if (ran(row)) {
      const start = us(/** @type {number} */ (row.startedAt));
      groups[/** @type {number} */ (row.worker)].slices.push({ row, start, end: Math.max(start, us(row.endedAt)) });
    } else {
      const end = us(row.endedAt);
      queue.slices.push({ row, start: Math.min(end, us(row.endedAt - row.queuedMs)), end });
    }
  }
  if (queue.slices.length > 0) groups.push(queue);

  /** @type {TraceEvent[]} */
  const meta = [{ name: 'process_name', ph: 'M', pid: PID, args: { name: PROCESS } }];
  /** @type {TraceEvent[]} */
  const slices = [];
  // Worker n's first lane is tid n + 1; the queue's first lane and every
  // further lane take the ids after the workers'.
  let spareTid = pool + 1;
  let sortIndex = 0;
  for (const [g, group] of groups.entries()) {
    const lanes = layOut(group.slices);
    if (lanes.length === 0) lanes.push([]);
    for (const [k, lane] of lanes.entries()) {
      const tid = g < pool && k === 0 ? g + 1 : spareTid++;
      const name = k === 0 ? group.name : `${group.name} #${k + 1}`;
      meta.push({ name: 'thread_name', ph: 'M', pid: PID, tid, args: { name } });
      meta.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid, args: { sort_index: sortIndex++ } });
      for (const s of lane) slices.push(complete(s, tid));
    }
  }
  slices.sort((a, b) => /** @type {number} */ (a.ts) - /** @type {number} */ (b.ts));

  return {
    traceEvents: [...meta, ...slices, ...counters(record, us)],
    displayTimeUnit: 'ms',
    otherData: {
      scenario: record.scenario,
      settings: record.settings,
      workers: pool,
      jobs: record.finished.length,
      durationMs: record.t1 === null ? null : record.t1 - t0,
    },
  };
}

/**
 * A job placed in time, in µs since the run started.
 * @typedef {{ row: JobRow, start: number, end: number }} Slice
 */

/** @param {JobRow} row whether the job started on a worker */
function ran(row) {
  return row.worker !== null && row.startedAt !== null;
}

/**
 * Deals slices onto lanes so that on each lane any two are disjoint or
 * nested (invariant 2), at most MAX_DEPTH deep (invariant 3): by start,
 * longest first, each onto the first lane where it fits, a new lane if none.
 * One lane for slices that never overlap, so O(n log n) for a worker's jobs.
 * @param {Slice[]} slices
 * @returns {Slice[][]}
 */
function layOut(slices) {
  const sorted = slices.slice().sort((a, b) => a.start - b.start || b.end - a.end);
  /** @type {{ slices: Slice[], open: number[] }[]} open: ends of the slices still open, innermost last */
  const lanes = [];
  for (const s of sorted) {
    let lane = lanes.find(({ open }) => {
      // A slice that ended by this one's start is closed (Perfetto closes a
      // slice ending exactly where the next starts, too).
      while (open.length > 0 && /** @type {number} */ (open.at(-1)) <= s.start) open.pop();
      return open.length === 0 || (s.end <= /** @type {number} */ (open.at(-1)) && open.length < MAX_DEPTH);
    });
    if (!lane) {
      lane = { slices: [], open: [] };
      lanes.push(lane);
    }
    lane.slices.push(s);
    lane.open.push(s.end);
  }
  return lanes.map((l) => l.slices);
}

/**
 * @param {Slice} s
 * @param {number} tid
 * @returns {TraceEvent}
 */
function complete({ row, start, end }, tid) {
  /** @type {Record<string, unknown>} */
  const args = {
    id: row.id,
    kind: row.kind,
    outcome: row.outcome,
    attempts: row.attempts,
    queuedMs: row.queuedMs,
    runMs: row.runMs,
  };
  if (row.error) args.error = `${row.error.name}: ${row.error.message}`;
  return { name: row.kind, cat: row.outcome, ph: 'X', pid: PID, tid, ts: start, dur: end - start, args };
}

/**
 * The counter events: queue depth and busy workers at every sample, the
 * producer's waiting as 1 from each wait's start to its end, else 0.
 * @param {TraceSource} record
 * @param {(t: number) => number} us
 * @returns {TraceEvent[]}
 */
function counters(record, us) {
  /** @type {TraceEvent[]} */
  const events = [];
  /** @param {string} name @param {number} t @param {Record<string, number>} args */
  const counter = (name, t, args) => events.push({ name, ph: 'C', pid: PID, ts: t, args });
  for (const s of record.samples) {
    const t = us(s.t);
    counter('queue', t, { depth: s.queued });
    counter('busy', t, { workers: s.busy });
  }
  counter('producer', 0, { waiting: 0 });
  const last = record.t1 ?? record.samples.at(-1)?.t ?? record.t0;
  for (const [start, end] of record.producerWaits) {
    const from = us(start);
    counter('producer', from, { waiting: 1 });
    counter('producer', Math.max(from, us(end ?? last)), { waiting: 0 });
  }
  return events.sort((a, b) => /** @type {number} */ (a.ts) - /** @type {number} */ (b.ts));
}

/**
 * Saves the run's trace as `brigade-trace-<scenario>.json` through the
 * browser's download.
 * @param {TraceSource} record
 * @param {{ workers: number }} opts as for traceEvents
 */
export function downloadTrace(record, opts) {
  const json = JSON.stringify(traceEvents(record, opts));
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `brigade-trace-${slug(record.scenario)}.json`;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken hold of the blob once click() returns in Chromium,
  // but not at once in every browser: revoke a little later, not right away.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** @param {string} s a scenario's name, fit for a file name */
function slug(s) {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'run'
  );
}
