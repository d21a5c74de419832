// @ts-check
// The playground end to end, as a user drives it: for every scenario, pick
// it, set the number of jobs, run, and wait until the counters add up with no
// worker busy; then check what the scenario is there to show. Also: cancel in
// the middle of 10,000 jobs, the trace export, a page with no isolation, and a
// screenshot of each scenario at desktop and phone sizes (tests/artifacts/).
// Every page fails the test on a console error or warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './harness.mjs';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
/** @type {Awaited<ReturnType<typeof serve>>} */
let server;
before(async () => {
  mkdirSync(artifacts, { recursive: true });
  chrome = await launch();
  server = await serve();
});
after(async () => {
  server?.stop();
  await chrome?.close();
});

/** @typedef {import('playwright-core').Page} Page */

/** Opens the playground and waits for its pool. */
async function open() {
  const { page, errors } = await openPage(chrome.browser, { viewport: { width: 1400, height: 1000 } }, { warnings: true });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.state === 'error', null, {
    timeout: 60_000,
  });
  await assertNoError(page);
  return { page, errors };
}

/** @param {Page} page */
async function assertNoError(page) {
  const error = page.locator('[data-testid="error"]');
  assert.equal(await error.isHidden(), true, `page error: ${await error.textContent()}`);
}

/** @param {Page} page @param {string} testid */
async function stat(page, testid) {
  return Number(await page.locator(`[data-testid="${testid}"]`).textContent());
}

/**
 * Picks a scenario, sets the knobs (common ones and its own, by test id), and
 * presses Run; resolves once the run has started.
 * @param {Page} page @param {string} scenario @param {Record<string, string | number>} knobs
 */
async function startRun(page, scenario, knobs) {
  await page.selectOption('[data-testid="scenario"]', scenario);
  for (const [k, v] of Object.entries(knobs)) {
    const control = page.locator(`[data-testid="${k}"]`);
    if ((await control.evaluate((e) => e.tagName)) === 'SELECT') await control.selectOption(String(v));
    else await control.fill(String(v));
    await control.dispatchEvent('change');
  }
  const runs = Number(await page.evaluate(() => document.body.dataset.runs ?? 0));
  await page.click('[data-testid="run"]');
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n, runs);
}

/** Waits until the run has ended and returns the counters. @param {Page} page @param {number} [timeout] */
async function ended(page, timeout = 120_000) {
  await page.waitForFunction(() => ['done', 'canceled', 'error'].includes(document.body.dataset.state ?? ''), null, {
    timeout,
  });
  await assertNoError(page);
  // The last frame has drawn the final counters.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const c = {
    submitted: await stat(page, 'stat-submitted'),
    completed: await stat(page, 'stat-completed'),
    failed: await stat(page, 'stat-failed'),
    canceled: await stat(page, 'stat-canceled'),
    queued: await stat(page, 'stat-queued'),
    busy: await stat(page, 'stat-busy'),
    retried: await stat(page, 'stat-retried'),
    throttled: await stat(page, 'stat-throttled'),
    results: await page.locator('[data-testid="result"]').count(),
    state: await page.evaluate(() => document.body.dataset.state),
  };
  assert.equal(c.completed + c.failed + c.canceled, c.submitted, `the counters add up: ${JSON.stringify(c)}`);
  assert.equal(c.busy, 0, 'no worker busy once the run ended');
  assert.equal(c.queued, 0, 'nothing queued once the run ended');
  return c;
}

/** Desktop and phone screenshots of the page as it is. @param {Page} page @param {string} name */
async function screenshots(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}-1400x1000.png`) });
  await page.screenshot({ path: join(artifacts, `${name}-1400-full.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(artifacts, `${name}-390x844.png`) });
  await page.screenshot({ path: join(artifacts, `${name}-390-full.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 390 px (${overflow} px too wide)`);
  await page.setViewportSize({ width: 1400, height: 1000 });
}

test('kitchen: with no queue slots and one slow worker the producer blocks; the counters add up', async (t) => {
  const { page, errors } = await open();
  await page.waitForFunction(() => document.body.dataset.firstResultMs !== undefined, null, { timeout: 30_000 });
  const first = await page.evaluate(() => Number(document.body.dataset.firstResultMs));
  assert.ok(first > 0, `time to first result: ${first}`);
  t.diagnostic(`the page's first result came ${first} ms after it started loading`);
  await startRun(page, 'kitchen', { workers: 1, queue: 0, jobs: 6, rate: 0, duration: 'fixed', ms: 250, failRate: 0, timeoutMs: 0 });
  // The producer hands each order to the one cook, and waits while it cooks.
  await page.waitForFunction(() => document.querySelector('[data-testid="producer"]')?.getAttribute('data-waiting') === 'true', null, {
    timeout: 10_000,
  });
  assert.match((await page.locator('#producer-state').textContent()) ?? '', /waiting for room/);
  const c = await ended(page);
  assert.equal(c.submitted, 6);
  assert.equal(c.completed, 6);
  assert.equal(c.results, 6);
  // The producer lane recorded the waits: about one cook time per order but
  // the first, which the idle cook took at once.
  const waited = await page.evaluate(() => document.querySelector('[data-testid="slots"]')?.textContent);
  assert.match(waited ?? '', /no slots/);

  // With slots, orders wait in them: the queue fills while the cook is busy.
  await startRun(page, 'kitchen', { workers: 1, queue: 4, jobs: 8, ms: 200 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="slots"] .slot.full').length === 4, null, {
    timeout: 10_000,
  });
  const k = await ended(page);
  assert.equal(k.results, 8);
  // A failure rate and a timeout show up as failed jobs.
  await startRun(page, 'kitchen', { workers: 3, queue: 3, jobs: 30, ms: 40, failRate: 0.5, timeoutMs: 0 });
  const f = await ended(page);
  assert.equal(f.submitted, 30);
  assert.ok(f.failed > 0 && f.completed > 0, JSON.stringify(f));
  await startRun(page, 'kitchen', { workers: 3, queue: 3, jobs: 12, duration: 'fixed', ms: 300, failRate: 0, timeoutMs: 100 });
  const to = await ended(page);
  assert.equal(to.failed, 12, 'every job timed out');
  assert.equal(await page.locator('[data-testid="result"][data-outcome="timedout"]').count(), 12);
  await screenshots(page, 'kitchen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('thumbnails: every image comes back as a thumbnail', async () => {
  const { page, errors } = await open();
  await startRun(page, 'thumbnails', { workers: 2, queue: 4, jobs: 40, size: 256, maxSide: 64 });
  const c = await ended(page);
  assert.equal(c.submitted, 40);
  assert.equal(c.completed, 40);
  assert.equal(c.results, 40);
  const sizes = await page.$$eval('[data-testid="thumbs"] canvas', (cs) => cs.map((e) => [e.width, e.height]));
  assert.equal(sizes.length, 40);
  for (const s of sizes) assert.deepEqual(s, [64, 64]);
  await screenshots(page, 'thumbnails');
  assert.deepEqual(errors, []);
  await page.close();
});

test('mandelbrot: the image is drawn and the speed-up over 1 worker is a number', async (t) => {
  const { page, errors } = await open();
  await startRun(page, 'mandelbrot', { workers: 2, queue: 4, jobs: 24, maxIter: 400 });
  const c = await ended(page);
  assert.equal(c.completed, 24);
  assert.equal(c.results, 24);
  await page.waitForFunction(() => Number.isFinite(Number(document.querySelector('[data-testid="speedup-rayon"]')?.textContent)), null, {
    timeout: 60_000,
  });
  const speedup = Number(await page.locator('[data-testid="speedup"]').textContent());
  const rayon = Number(await page.locator('[data-testid="speedup-rayon"]').textContent());
  t.diagnostic(`speed-up of 2 workers over 1: ${speedup}; of one rayon job: ${rayon}`);
  assert.ok(Number.isFinite(speedup) && speedup > 0, `speed-up ${speedup}`);
  assert.ok(Number.isFinite(rayon) && rayon > 0, `rayon speed-up ${rayon}`);
  const colours = await page.$eval('[data-testid="mandelbrot-canvas"]', (e) => {
    const canvas = /** @type {HTMLCanvasElement} */ (e);
    const d = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')).getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    let blank = 0;
    for (let i = 0; i < d.length; i += 4) {
      seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i + 3] === 0) blank += 1;
    }
    return { distinct: seen.size, blank };
  });
  assert.equal(colours.blank, 0, 'every strip was painted');
  assert.ok(colours.distinct > 20, `the image has many colours (${colours.distinct})`);
  await screenshots(page, 'mandelbrot');
  assert.deepEqual(errors, []);
  await page.close();
});

test('emails: a flaky API is retried, and the rate limit throttles', async () => {
  const { page, errors } = await open();
  await startRun(page, 'emails', {
    workers: 4,
    queue: 8,
    jobs: 40,
    latencyMs: 20,
    failRate: 0.4,
    perSecond: 40,
    burst: 2,
    attempts: 5,
    baseMs: 10,
  });
  const c = await ended(page);
  assert.equal(c.submitted, 40);
  assert.ok(c.retried > 0, `some sends were retried: ${JSON.stringify(c)}`);
  assert.ok(c.throttled > 0, `the rate limit made starts wait: ${JSON.stringify(c)}`);
  assert.equal(Number(await page.locator('[data-testid="mail-throttled"]').textContent()), c.throttled);
  assert.ok((await page.locator('[data-testid="result"][data-outcome="retried"]').count()) > 0, 'a send succeeded after a retry');
  await screenshots(page, 'emails');
  assert.deepEqual(errors, []);
  await page.close();
});

test('errgroup: the first error cancels the rest and wait() rejects with it', async () => {
  const { page, errors } = await open();
  await startRun(page, 'errgroup', { workers: 3, queue: 2, jobs: 12, ms: 400, failAt: 2, limit: 0 });
  const c = await ended(page);
  const text = (await page.locator('[data-testid="group-result"]').textContent()) ?? '';
  assert.match(text, /rejected with the first error: JobError: step 2 failed/);
  assert.ok(c.completed < c.submitted, `fewer completed than submitted: ${JSON.stringify(c)}`);
  assert.equal(c.failed, 1, 'one step failed; the others were canceled');
  assert.ok(c.canceled > 0);
  const neverRan = await page.locator('[data-testid="result"][data-outcome="canceled"]:not([data-worker])').count();
  assert.ok(neverRan > 0, 'queued steps never started');
  await screenshots(page, 'errgroup');
  assert.deepEqual(errors, []);
  await page.close();
});

test('cancel in the middle of 10,000 jobs: every job ends once, and a new run works', async () => {
  const { page, errors } = await open();
  await startRun(page, 'kitchen', { workers: 4, queue: 8, jobs: 10_000, rate: 0, duration: 'uniform', ms: 20, failRate: 0.05, timeoutMs: 0 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-completed"]')?.textContent) > 30, null, {
    timeout: 30_000,
  });
  await page.click('[data-testid="cancel"]');
  const c = await ended(page);
  assert.equal(c.state, 'canceled');
  assert.ok(c.submitted < 10_000, `the producer stopped (${c.submitted} submitted)`);
  assert.ok(c.canceled > 0, JSON.stringify(c));
  await startRun(page, 'kitchen', { jobs: 5, failRate: 0, ms: 10 });
  const again = await ended(page);
  assert.equal(again.state, 'done');
  assert.equal(again.completed, 5);
  assert.equal(again.results, 5);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page keeps drawing while 20,000 jobs pour through', async (t) => {
  const { page, errors } = await openPage(chrome.browser, { viewport: { width: 1400, height: 1000 } }, { warnings: true });
  // The gaps between animation frames while the run goes: a main thread
  // kept busy in microtasks (a results loop that never yields) stops them.
  await page.addInitScript(() => {
    const w = /** @type {any} */ (window);
    w.__gaps = { frames: 0, longest: 0 };
    let last = performance.now();
    let wasRunning = false;
    const frame = (/** @type {number} */ now) => {
      // A gap counts if the run went on at either end of it.
      const running = document.body?.dataset.state === 'running';
      if (running || wasRunning) {
        w.__gaps.frames += 1;
        w.__gaps.longest = Math.max(w.__gaps.longest, now - last);
      }
      wasRunning = running;
      last = now;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  // The run the page starts as it loads, with these settings.
  await page.goto(`${server.url}?scenario=kitchen&workers=4&queue=64&jobs=20000&rate=0&duration=fixed&ms=0&failRate=0&timeoutMs=0`);
  const c = await ended(page, 300_000);
  assert.equal(c.completed, 20_000);
  assert.equal(c.results, 1000, 'the list keeps the latest 1,000');
  const gaps = await page.evaluate(() => /** @type {any} */ (window).__gaps);
  t.diagnostic(`${gaps.frames} frames during the run, the longest gap ${Math.round(gaps.longest)} ms`);
  assert.ok(gaps.frames >= 10, `frames drawn during the run: ${gaps.frames}`);
  // A generous bound: without the results loop's breaks, one blocked
  // stretch took most of the run (seconds).
  assert.ok(gaps.longest < 1000, `the longest gap between frames: ${Math.round(gaps.longest)} ms`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a live resize: more workers while the run goes', async () => {
  const { page, errors } = await open();
  await startRun(page, 'kitchen', { workers: 1, queue: 4, jobs: 24, duration: 'fixed', ms: 150, failRate: 0 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-completed"]')?.textContent) >= 1);
  await page.locator('[data-testid="workers"]').fill('4');
  await page.locator('[data-testid="workers"]').dispatchEvent('change');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-busy"]')?.textContent) >= 3, null, {
    timeout: 10_000,
  });
  const c = await ended(page);
  assert.equal(c.completed, 24);
  const workers = await page.$$eval('[data-testid="result"]', (els) => new Set(els.map((e) => e.getAttribute('data-worker'))).size);
  assert.ok(workers >= 3, `jobs ran on ${workers} workers`);
  assert.match(page.url(), /workers=4/, 'the address keeps the setting');
  assert.deepEqual(errors, []);
  await page.close();
});

test('settings come from the address, and the trace export has one slice per finished job', async () => {
  const { page, errors } = await openPage(chrome.browser, { viewport: { width: 1400, height: 1000 } }, { warnings: true });
  await page.goto(`${server.url}?scenario=errgroup&workers=2&queue=1&jobs=7&ms=100&failAt=0&limit=2`);
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="scenario"]').inputValue(), 'errgroup');
  assert.equal(await page.locator('[data-testid="jobs"]').inputValue(), '7');
  assert.equal(await page.locator('[data-testid="limit"]').inputValue(), '2');
  assert.match((await page.locator('[data-testid="code"]').textContent()) ?? '', /7/);
  const c = await ended(page);
  assert.equal(c.completed, 7);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-trace"]')]);
  const trace = JSON.parse(readFileSync(/** @type {string} */ (await download.path()), 'utf8'));
  const slices = trace.traceEvents.filter((/** @type {any} */ e) => e.ph === 'X');
  assert.equal(slices.length, c.results, 'one slice per finished job');
  const ids = new Set(slices.map((/** @type {any} */ e) => e.args.id));
  assert.equal(ids.size, 7);
  assert.ok(trace.traceEvents.some((/** @type {any} */ e) => e.ph === 'C'), 'counter tracks');
  assert.ok(
    trace.traceEvents.some((/** @type {any} */ e) => e.ph === 'M' && e.name === 'thread_name'),
    'workers are named threads',
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('without COOP/COEP and without service workers the page shows what is missing', async () => {
  const bare = await serve(['--no-isolation']);
  try {
    const { page, errors } = await openPage(chrome.browser, { serviceWorkers: 'block' });
    await page.goto(bare.url);
    const error = page.locator('[data-testid="error"]');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await error.textContent()) ?? '';
    assert.match(text, /NotIsolatedError/);
    assert.match(text, /Cross-Origin-Opener-Policy: same-origin/);
    assert.match(text, /Cross-Origin-Embedder-Policy: require-corp/);
    assert.equal(await page.locator('[data-testid="result"]').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    bare.stop();
  }
});
