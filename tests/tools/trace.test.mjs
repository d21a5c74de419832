// @ts-check
// web/trace.js writes a run as a Chrome trace for Perfetto. Check it against a
// run built by hand: one complete event per finished job on its worker's
// thread (or the queue's, for a job that never ran), in microseconds since the
// run started; every thread named; the gauges as counters; and no two slices
// on one thread partly overlapping, which Perfetto would not show as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceEvents } from '../../web/trace.js';

/** @typedef {import('../../web/record.js').JobRow} JobRow */
/** @typedef {import('../../web/trace.js').TraceEvent} TraceEvent */

const T0 = 10_000; // ms on the page's clock

/**
 * @param {Partial<JobRow> & Pick<JobRow, 'id' | 'endedAt'>} r
 * @returns {JobRow}
 */
function row(r) {
  return {
    kind: 'spin',
    worker: 0,
    startedAt: r.endedAt - 10,
    outcome: 'ok',
    attempts: 1,
    queuedMs: 0,
    runMs: 10,
    error: null,
    value: null,
    ...r,
  };
}

/** A run of 3 workers: worker 0 runs 3 jobs back to back, worker 2 one with
 * an error; 2 jobs time out in the queue, overlapping, and 2 are canceled
 * there together. Worker 1 runs nothing. */
function run() {
  const finished = [
    row({ id: 1, startedAt: T0 + 1, endedAt: T0 + 11, queuedMs: 1, runMs: 10 }),
    row({ id: 2, startedAt: T0 + 11, endedAt: T0 + 21.5, queuedMs: 11, runMs: 10.5 }),
    row({ id: 3, startedAt: T0 + 21.5, endedAt: T0 + 30.0004, queuedMs: 21.5, runMs: 8.5 }),
    row({
      id: 4,
      kind: 'sha256',
      worker: 2,
      startedAt: T0 + 2.25,
      endedAt: T0 + 40,
      outcome: 'failed',
      attempts: 3,
      queuedMs: 2.25,
      runMs: 37.75,
      error: { name: 'JobError', message: 'bad input' },
    }),
    // Queued at 5 and 15, each timing out 20 ms later: partly overlapping.
    row({
      id: 5,
      worker: null,
      startedAt: null,
      endedAt: T0 + 25,
      outcome: 'timedout',
      queuedMs: 20,
      runMs: 0,
      error: { name: 'TimeoutError', message: 'timed out' },
    }),
    row({
      id: 6,
      worker: null,
      startedAt: null,
      endedAt: T0 + 35,
      outcome: 'timedout',
      queuedMs: 20,
      runMs: 0,
      error: { name: 'TimeoutError', message: 'timed out' },
    }),
    // Canceled together at 50 after waiting 20 and 10 ms: nested.
    row({ id: 7, worker: null, startedAt: null, endedAt: T0 + 50, outcome: 'canceled', queuedMs: 20, runMs: 0 }),
    row({ id: 8, worker: null, startedAt: null, endedAt: T0 + 50, outcome: 'canceled', queuedMs: 10, runMs: 0 }),
  ];
  return {
    scenario: 'Kitchen rush',
    settings: { workers: 3, capacity: 4 },
    t0: T0,
    t1: T0 + 60,
    finished,
    samples: [
      { t: T0 + 5, queued: 3, busy: 2, workers: 3, producerWaiting: false },
      { t: T0 + 20, queued: 4, busy: 2, workers: 3, producerWaiting: true },
      { t: T0 + 45, queued: 0, busy: 0, workers: 3, producerWaiting: false },
    ],
    /** @type {[number, number | null][]} */
    producerWaits: [
      [T0 + 12.5, T0 + 26],
      [T0 + 55, null],
    ],
  };
}

/** @param {TraceEvent[]} events */
function threadNames(events) {
  /** @type {Map<number, string>} */
  const names = new Map();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name')
      names.set(/** @type {number} */ (e.tid), /** @type {string} */ (e.args.name));
  }
  return names;
}

test('one complete event per finished job, on its worker, in µs since the run started', () => {
  const record = run();
  const { traceEvents: events } = traceEvents(record, { workers: 3 });
  const slices = events.filter((e) => e.ph === 'X');
  assert.equal(slices.length, record.finished.length);
  const byId = new Map(slices.map((e) => [e.args.id, e]));
  assert.equal(byId.size, record.finished.length, 'every job id once');
  const names = threadNames(events);

  const one = byId.get(1);
  assert.deepEqual(
    { name: one?.name, cat: one?.cat, pid: one?.pid, tid: one?.tid, ts: one?.ts, dur: one?.dur },
    { name: 'spin', cat: 'ok', pid: 1, tid: 1, ts: 1000, dur: 10_000 },
  );
  assert.equal(names.get(1), 'worker 0');
  const three = byId.get(3);
  assert.equal(three?.ts, 21_500);
  assert.equal(three?.dur, 8500, 'whole µs: 30.0004 ms rounds to 30000 µs');

  const four = byId.get(4);
  assert.equal(four?.tid, 3, 'worker 2 is tid 3');
  assert.equal(names.get(3), 'worker 2');
  assert.deepEqual(
    { ts: four?.ts, dur: four?.dur, name: four?.name, cat: four?.cat },
    { ts: 2250, dur: 37_750, name: 'sha256', cat: 'failed' },
  );
  assert.deepEqual(four?.args, {
    id: 4,
    kind: 'sha256',
    outcome: 'failed',
    attempts: 3,
    queuedMs: 2.25,
    runMs: 37.75,
    error: 'JobError: bad input',
  });

  // Jobs that never ran span their time in the queue.
  for (const [id, ts, dur] of [
    [5, 5000, 20_000],
    [6, 15_000, 20_000],
    [7, 30_000, 20_000],
    [8, 40_000, 10_000],
  ]) {
    const e = byId.get(id);
    assert.deepEqual({ id, ts: e?.ts, dur: e?.dur }, { id, ts, dur });
    assert.match(names.get(/** @type {number} */ (e?.tid)) ?? '', /^queue \(never ran\)/, `job ${id}'s thread`);
  }
  for (const e of events) {
    if (e.ts !== undefined) assert.ok(Number.isInteger(e.ts) && e.ts >= 0, `ts ${e.ts} of ${e.name}`);
    if (e.dur !== undefined) assert.ok(Number.isInteger(e.dur) && e.dur >= 0, `dur ${e.dur} of ${e.name}`);
  }
});

test('every worker thread is named and sorted, one process', () => {
  const { traceEvents: events } = traceEvents(run(), { workers: 3 });
  const names = threadNames(events);
  assert.equal(names.get(1), 'worker 0');
  assert.equal(names.get(2), 'worker 1', 'a worker that ran nothing is named too');
  assert.equal(names.get(3), 'worker 2');
  assert.equal(names.get(4), 'queue (never ran)');
  assert.equal(names.get(5), 'queue (never ran) #2');
  assert.equal(names.size, 5);
  const process = events.filter((e) => e.ph === 'M' && e.name === 'process_name');
  assert.deepEqual(process, [{ name: 'process_name', ph: 'M', pid: 1, args: { name: 'brigade pool' } }]);
  const sort = new Map(events.filter((e) => e.name === 'thread_sort_index').map((e) => [e.tid, e.args.sort_index]));
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((tid) => sort.get(tid)),
    [0, 1, 2, 3, 4],
  );
  // A worker index past `workers` (the pool grew) still gets a thread.
  const grown = run();
  grown.finished.push(row({ id: 9, worker: 4, startedAt: T0 + 1, endedAt: T0 + 2 }));
  const more = threadNames(traceEvents(grown, { workers: 3 }).traceEvents);
  assert.equal(more.get(5), 'worker 4');
  assert.equal(more.get(6), 'queue (never ran)');
});

test('no two slices on one thread partly overlap', () => {
  const record = run();
  // A retried job whose span (first start to end) covers jobs its worker ran
  // between attempts, and ends after them.
  record.finished.push(row({ id: 9, worker: 0, startedAt: T0 + 5, endedAt: T0 + 33, attempts: 2, outcome: 'retried' }));
  const { traceEvents: events } = traceEvents(record, { workers: 3 });
  const slices = events.filter((e) => e.ph === 'X');
  assert.equal(slices.length, record.finished.length);
  /** @type {Map<number, TraceEvent[]>} */
  const byTid = new Map();
  for (const e of slices)
    byTid.set(/** @type {number} */ (e.tid), [...(byTid.get(/** @type {number} */ (e.tid)) ?? []), e]);
  for (const [tid, list] of byTid) {
    for (const a of list) {
      for (const b of list) {
        if (a === b) continue;
        const [as, ae, bs, be] = [a.ts ?? 0, (a.ts ?? 0) + (a.dur ?? 0), b.ts ?? 0, (b.ts ?? 0) + (b.dur ?? 0)];
        const disjoint = ae <= bs || be <= as;
        const nested = (as <= bs && be <= ae) || (bs <= as && ae <= be);
        assert.ok(
          disjoint || nested,
          `tid ${tid}: job ${a.args.id} [${as}, ${ae}) and job ${b.args.id} [${bs}, ${be})`,
        );
      }
    }
  }
  const names = threadNames(events);
  const nine = slices.find((e) => e.args.id === 9);
  assert.equal(names.get(/** @type {number} */ (nine?.tid)), 'worker 0 #2');
  // The two jobs canceled together nest on the queue's first lane; the two
  // timeouts cannot share a lane.
  const tidOf = (/** @type {number} */ id) => slices.find((e) => e.args.id === id)?.tid;
  assert.equal(tidOf(7), tidOf(8));
  assert.notEqual(tidOf(5), tidOf(6));
});

test('counters: queue depth, busy workers, producer waiting', () => {
  const { traceEvents: events } = traceEvents(run(), { workers: 3 });
  const series = (/** @type {string} */ name, /** @type {string} */ key) =>
    events.filter((e) => e.ph === 'C' && e.name === name).map((e) => [e.ts, e.args[key]]);
  assert.deepEqual(series('queue', 'depth'), [
    [5000, 3],
    [20_000, 4],
    [45_000, 0],
  ]);
  assert.deepEqual(series('busy', 'workers'), [
    [5000, 2],
    [20_000, 2],
    [45_000, 0],
  ]);
  // Exact wait edges; the wait still open at the end closes at t1.
  assert.deepEqual(series('producer', 'waiting'), [
    [0, 0],
    [12_500, 1],
    [26_000, 0],
    [55_000, 1],
    [60_000, 0],
  ]);
  for (const e of events.filter((e) => e.ph === 'C')) {
    assert.equal(e.pid, 1);
    assert.equal(Object.keys(e.args).length, 1, 'one series per counter track');
  }
});

test('the JSON Object Format, and it round-trips through JSON', () => {
  const record = run();
  const trace = traceEvents(record, { workers: 3 });
  assert.equal(trace.displayTimeUnit, 'ms');
  assert.deepEqual(trace.otherData, {
    scenario: 'Kitchen rush',
    settings: { workers: 3, capacity: 4 },
    workers: 3,
    jobs: 8,
    durationMs: 60,
  });
  const text = JSON.stringify(trace);
  assert.deepEqual(JSON.parse(text), trace);
  assert.ok(text.startsWith('{"traceEvents":['), 'traceEvents first, as streaming readers expect');
  for (const e of trace.traceEvents) {
    assert.ok(['M', 'X', 'C'].includes(e.ph), e.ph);
    assert.equal(typeof e.name, 'string');
    assert.equal(typeof e.args, 'object');
  }
});

test('an empty run is a valid trace of named, idle workers', () => {
  const trace = traceEvents(
    { scenario: 's', settings: {}, t0: 0, t1: null, finished: [], samples: [], producerWaits: [] },
    { workers: 2 },
  );
  assert.deepEqual([...threadNames(trace.traceEvents).values()], ['worker 0', 'worker 1']);
  assert.equal(trace.traceEvents.filter((e) => e.ph === 'X').length, 0);
  assert.deepEqual(JSON.parse(JSON.stringify(trace)), trace);
});
