// @ts-check
// web/charts.js in Chromium, on a phone-wide page: a run of 2,000 synthetic
// jobs over 5 s and a synthetic stats() draw four charts whose series say what
// the jobs did (throughput adds up to the jobs, each bucket's percentiles are
// those of its jobs, the histograms are the stats' buckets one by one), in
// the light and the dark colours, without a console error. Then 100,000 rows
// through update(), timed and printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
/** @type {Awaited<ReturnType<typeof serve>>} */
let server;
before(async () => {
  // The page imports uPlot from web/vendor/, which the build fills.
  const vendor = spawnSync('bash', [join(root, 'scripts', 'vendor.sh'), join(root, 'web', 'vendor')], {
    encoding: 'utf8',
  });
  assert.equal(vendor.status, 0, vendor.stderr);
  chrome = await launch();
  server = await serve();
});
after(async () => {
  server?.stop();
  await chrome?.close();
});

// The page under test: builds the charts and a run, and leaves what the test
// reads on globalThis. Served in place of tests-charts.html, beside charts.js.
const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="vendor/uPlot.min.css">
<title>charts test</title>
<body style="margin: 0">
<div id="charts"></div>
<script type="module">
  import { createCharts } from './charts.js';
  import { RunRecord } from './record.js';

  const BOUNDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000, 60000];

  // n jobs ending evenly over ms from \`from\` ms into the run: every 10th
  // fails, every 50th is canceled in the queue and never runs; job i waited
  // (i % 100) + 1 ms and ran 10 + (i % 100) / 10 ms.
  function fill(record, n, ms, from = 0) {
    for (let i = 0; i < n; i++) {
      const endedAt = record.t0 + from + ((i + 0.5) * ms) / n;
      const neverRan = i % 50 === 0;
      const failed = !neverRan && i % 10 === 9;
      record.add({
        id: i + 1, kind: 'spin', value: null, attempts: 1,
        ok: !neverRan && !failed,
        error: neverRan ? { name: 'AbortError', message: 'canceled' } : failed ? { name: 'JobError', message: 'no' } : null,
        worker: neverRan ? null : i % 4,
        startedAt: neverRan ? null : endedAt - 10 - (i % 100) / 10,
        endedAt,
        queuedMs: (i % 100) + 1,
        runMs: neverRan ? 0 : 10 + (i % 100) / 10,
      });
    }
  }

  // A stats() histogram: cumulative counts at each bound, 10 samples past the last.
  function histogram(perBucket) {
    let sum = 0;
    const buckets = BOUNDS.map((le, i) => ({ le, count: (sum += perBucket[i] ?? 0) }));
    return { p50: 0, p90: 0, p99: 0, max: 0, count: sum + 10, buckets };
  }
  const waitCounts = [500, 300, 200, 100, 100, 100, 100, 100, 100, 100, 100, 100, 90, 0, 0, 0];
  const runCounts = [0, 0, 0, 0, 0, 0, 1990];
  const stats = { wait: histogram(waitCounts), run: histogram(runCounts) };

  const container = document.getElementById('charts');
  const charts = createCharts(container, { dark: false });
  const record = new RunRecord('synthetic', { workers: 4 });
  fill(record, 2000, 5000);
  record.t1 = record.t0 + 5000;
  charts.update(record, stats);
  // uPlot lays a chart out in a microtask after each change; measure after it.
  const settled = () => new Promise((resolve) => requestAnimationFrame(resolve));
  await settled();

  const canvases = () => [...container.querySelectorAll('canvas')].map((c) => ({ width: c.clientWidth, height: c.clientHeight }));
  const figures = [...container.querySelectorAll('figure')].map((f) => ({
    chart: f.dataset.chart,
    caption: f.querySelector('figcaption')?.textContent ?? '',
    width: f.scrollWidth,
  }));
  const light = { data: charts.data(), canvases: canvases(), figures, expected: { waitCounts, runCounts } };
  light.pixels = document.documentElement.scrollWidth;

  charts.setDark(true);
  charts.resize(360);
  await settled();
  const dark = { canvases: canvases(), data: charts.data(), pixels: document.documentElement.scrollWidth };

  // While a run goes on, the bucket in progress has no throughput yet.
  const live = new RunRecord('live', {});
  live.t0 = performance.now() - 1200;
  fill(live, 100, 1000);
  charts.update(live, null);
  const liveData = charts.data();

  charts.reset();
  const afterReset = charts.data();

  // 100,000 rows over 20 s: the first update reads them all, the next only
  // the 1,000 that ended in the half second since.
  const big = new RunRecord('big', {});
  fill(big, 100000, 20000);
  big.t1 = big.t0 + 20500;
  let t = performance.now();
  charts.update(big, stats);
  const firstMs = performance.now() - t;
  fill(big, 1000, 500, 20000);
  t = performance.now();
  charts.update(big, stats);
  const nextMs = performance.now() - t;
  const bigData = charts.data();
  const bigJobs = (bigData.throughput.completed.reduce((a, v) => a + (v ?? 0), 0)
    + bigData.throughput.other.reduce((a, v) => a + (v ?? 0), 0)) * bigData.bucketMs / 1000;

  globalThis.result = { light, dark, liveData, afterReset, firstMs, nextMs, bigJobs };
</script>
`;

const sum = (/** @type {(number | null)[]} */ a) => a.reduce((/** @type {number} */ s, v) => s + (v ?? 0), 0);

test('four charts of a synthetic run, their series from its jobs, on a 390 px screen', async () => {
  const { page, errors } = await openPage(chrome.browser, { viewport: { width: 390, height: 844 } });
  const url = `${server.url}tests-charts.html`;
  await page.route(url, (route) =>
    route.fulfill({
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      },
      body: PAGE,
    }),
  );
  await page.goto(url);
  // A script error leaves no result: wait for one or the other.
  await page.waitForFunction(() => 'result' in globalThis, null, { timeout: 30_000 }).catch(() => {});
  assert.deepEqual(errors, []);
  const r = await page.evaluate(() => /** @type {any} */ (globalThis).result);
  assert.ok(r, 'the page ran to the end');
  const { light, dark, liveData, afterReset } = r;

  // Four figures, each a captioned chart whose canvas has a size, none wider
  // than the phone.
  assert.deepEqual(
    light.figures.map((/** @type {any} */ f) => f.chart),
    ['throughput', 'latency', 'wait', 'run'],
  );
  for (const f of light.figures) {
    assert.ok(f.caption.length > 10, `${f.chart} caption: ${f.caption}`);
    assert.ok(f.width <= 390, `${f.chart} is ${f.width} px wide`);
  }
  assert.equal(light.canvases.length, 4);
  for (const c of light.canvases) assert.ok(c.width > 200 && c.width <= 390 && c.height > 100, JSON.stringify(c));
  assert.ok(light.pixels <= 390, `the page scrolls sideways: ${light.pixels} px`);

  // Throughput: 10 buckets of 0.5 s, 200 jobs each; 1 in 10 failed and 1 in
  // 50 canceled, so 176 completed and 24 not per bucket.
  const d = light.data;
  assert.equal(d.bucketMs, 500);
  assert.deepEqual(d.throughput.x, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.25, 4.75]);
  assert.equal((sum(d.throughput.completed) + sum(d.throughput.other)) * 0.5, 2000);
  assert.equal(sum(d.throughput.completed) * 0.5, 1760);
  assert.deepEqual(d.throughput.completed, Array(10).fill(352));
  assert.deepEqual(d.throughput.other, Array(10).fill(48));

  // Latency: each bucket's 200 jobs waited 1..100 ms twice over; the 196
  // that ran (not i % 100 = 0 or 50) ran 10 + k / 10 ms for k = 1..99 but 50,
  // twice over: the 98th smallest is k = 49, the 195th k = 99.
  assert.deepEqual(d.latency.waitP50, Array(10).fill(50));
  assert.deepEqual(d.latency.waitP99, Array(10).fill(99));
  assert.deepEqual(d.latency.runP50, Array(10).fill(10 + 49 / 10));
  assert.deepEqual(d.latency.runP99, Array(10).fill(10 + 99 / 10));

  // Histograms: the stats' cumulative buckets one by one, and the overflow.
  assert.deepEqual(d.wait.counts, [...light.expected.waitCounts, 10]);
  assert.deepEqual(d.run.counts, [0, 0, 0, 0, 0, 0, 1990, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]);
  assert.deepEqual(d.wait.labels, [
    '≤100 µs',
    '≤250 µs',
    '≤500 µs',
    '≤1 ms',
    '≤2.5 ms',
    '≤5 ms',
    '≤10 ms',
    '≤25 ms',
    '≤50 ms',
    '≤100 ms',
    '≤250 ms',
    '≤500 ms',
    '≤1 s',
    '≤2.5 s',
    '≤10 s',
    '≤60 s',
    '> 60 s',
  ]);

  // Dark, and resized: the same data, narrower canvases.
  assert.deepEqual(dark.data, light.data);
  assert.equal(dark.canvases.length, 4);
  for (const c of dark.canvases) assert.ok(c.width > 200 && c.width <= 360, JSON.stringify(c));

  // Live: 1.2 s in, buckets 0 and 1 are done (100 jobs), bucket 2 is in progress.
  assert.equal(liveData.throughput.x.length, 3);
  assert.equal(liveData.throughput.completed[2], null);
  assert.equal((sum(liveData.throughput.completed) + sum(liveData.throughput.other)) * 0.5, 100);
  assert.deepEqual(liveData.wait, d.wait, 'an update without stats keeps the last histograms');

  assert.deepEqual(afterReset.throughput.x, []);
  assert.deepEqual(afterReset.wait.counts, []);

  assert.equal(r.bigJobs, 101_000, '100,000 rows, then 1,000 more, all counted once');
  console.log(
    `update() with 100,000 new rows: ${r.firstMs.toFixed(1)} ms; then with 1,000 more: ${r.nextMs.toFixed(1)} ms`,
  );
  assert.deepEqual(errors, []);
  await page.close();
});
