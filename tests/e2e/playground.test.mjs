// @ts-check
// The playground end to end: the page served by `make demo`'s server starts a
// pool of 2 Web Workers and streams 20 results in; and without the isolation
// headers, in a browser where its service worker cannot add them, it says what
// is missing instead of hanging. (static-host.test.mjs covers the service worker.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
});

test('20 jobs through 2 Web Workers stream back as results', async () => {
  const server = await serve();
  try {
    const { page, errors } = await openPage(chrome.browser);
    await page.goto(server.url);
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="result"]').length === 20 || !document.getElementById('error')?.hidden,
      null,
      { timeout: 60_000 },
    );
    const error = await page.locator('[data-testid="error"]');
    assert.equal(await error.isHidden(), true, `page error: ${await error.textContent()}`);
    const results = await page.$$eval('[data-testid="result"]', (els) =>
      els.map((e) => ({ id: Number(e.dataset.id), value: JSON.parse(e.dataset.value ?? 'null'), worker: Number(e.dataset.worker) })),
    );
    assert.equal(results.length, 20);
    const byId = new Map(results.map((r) => [r.id, r]));
    assert.equal(byId.size, 20, 'every job id appears exactly once');
    for (let i = 1; i <= 20; i++) {
      assert.equal(byId.get(i)?.value, i * i, `job ${i} squares its input`);
    }
    for (const r of results) assert.ok(r.worker === 0 || r.worker === 1, `worker index ${r.worker}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="state"]')?.textContent === 'done');
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    assert.equal(isolated, true);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    server.stop();
  }
});

test('without COOP/COEP and without service workers the page shows what is missing', async () => {
  const server = await serve(['--no-isolation']);
  try {
    const { page, errors } = await openPage(chrome.browser, { serviceWorkers: 'block' });
    await page.goto(server.url);
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
    server.stop();
  }
});
