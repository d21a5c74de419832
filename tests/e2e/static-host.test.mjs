// @ts-check
// `make site`'s folder (dist/site) on a static host that sends no COOP/COEP
// headers (serve.py --no-isolation), under a sub-path (/brigade/): isolate.js
// registers sw.js, the page reloads once, arrives through the service worker
// with the headers, and runs a scenario on a shared memory. A service worker
// that adds no headers must cost exactly one reload and then show
// NotIsolatedError, not reload forever.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const site = join(root, 'dist', 'site');
/** The sub-path the site is served under. */
const SUB = 'brigade/';
/** A small run, so that the page settles quickly. */
const QUERY = '?scenario=kitchen&workers=2&queue=2&jobs=10&ms=50&failRate=0';

/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
before(async () => {
  // `make test` builds the site first; build it here when run alone.
  if (!existsSync(join(site, 'index.html'))) execFileSync(join(root, 'scripts', 'site.sh'), [site], { stdio: 'inherit' });
  chrome = await launch();
});

/**
 * A folder holding `dir` at the sub-path, to serve as a host's root.
 * @param {string} dir
 */
function hostRoot(dir) {
  const top = mkdtempSync(join(tmpdir(), 'brigade-host-'));
  symlinkSync(dir, join(top, SUB.slice(0, -1)));
  return top;
}
after(async () => {
  await chrome?.close();
});

/**
 * Evaluates `fn` in the page until it returns a truthy value. Unlike
 * page.waitForFunction it keeps polling across the service worker's reload,
 * which destroys the execution context it runs in.
 * @template T
 * @param {import('playwright-core').Page} page
 * @param {() => T} fn
 * @param {number} [timeout]
 * @returns {Promise<T>}
 */
async function until(page, fn, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      const value = await page.evaluate(fn);
      if (value) return value;
    } catch (e) {
      if (!/context was destroyed|navigat/i.test(String(e))) throw e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Counts the main frame's document loads (goto is the first). Same-document
 * navigations (the page keeps its settings in the address with
 * history.replaceState) are not loads.
 * @param {import('playwright-core').Page} page
 */
function countLoads(page) {
  const loads = { count: 0 };
  page.on('domcontentloaded', () => {
    loads.count += 1;
  });
  return loads;
}

/** The page has finished: its run is done, or it shows an error. */
const settled = () => document.body.dataset.state === 'done' || !document.getElementById('error')?.hidden;

test('without COOP/COEP headers, sw.js isolates the site under a sub-path after one reload', async () => {
  const top = hostRoot(site);
  const server = await serve(['--no-isolation', '--dir', top]);
  try {
    const { page, errors } = await openPage(chrome.browser, undefined, { warnings: true });
    const loads = countLoads(page);
    const first = await page.goto(`${server.url}${SUB}${QUERY}`);
    assert.equal(first?.headers()['cross-origin-opener-policy'], undefined, 'the server itself sends no COOP');
    assert.equal(first?.headers()['cross-origin-embedder-policy'], undefined, 'the server itself sends no COEP');
    await until(page, settled);

    const error = page.locator('[data-testid="error"]');
    assert.equal(await error.isHidden(), true, `page error: ${await error.textContent()}`);
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    assert.equal(loads.count, 2, 'the first visit, then exactly one reload');
    assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true);

    assert.equal(await page.locator('[data-testid="result"]').count(), 10);
    assert.equal(await page.locator('[data-testid="stat-completed"]').textContent(), '10');
    assert.ok(new URL(page.url()).pathname.startsWith(`/${SUB}`), page.url());

    // Through the worker, the page and its subresources carry the headers.
    const headers = await page.evaluate(async () =>
      Promise.all(
        ['./', 'main.js', 'pkg/brigade_wasm_bg.wasm'].map(async (url) => {
          const h = (await fetch(url)).headers;
          const policies = ['opener', 'embedder', 'resource'].map((p) => h.get(`cross-origin-${p}-policy`));
          return [url, ...policies];
        }),
      ),
    );
    for (const h of headers) assert.deepEqual(h.slice(1), ['same-origin', 'require-corp', 'same-origin'], String(h[0]));

    // Later visits are isolated from the start: no further reload.
    await page.reload();
    await until(page, settled);
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    assert.equal(loads.count, 3, 'a plain reload is served by the worker, with no second reload');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    server.stop();
    rmSync(top, { recursive: true, force: true });
  }
});

test('a service worker that adds no headers costs one reload, then NotIsolatedError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'brigade-static-'));
  // The site with a sw.js that passes every response through unchanged.
  cpSync(site, dir, { recursive: true });
  writeFileSync(
    join(dir, 'sw.js'),
    `self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => e.respondWith(fetch(e.request)));
`,
  );
  const top = hostRoot(dir);
  const server = await serve(['--no-isolation', '--dir', top]);
  try {
    const { page, errors } = await openPage(chrome.browser);
    const loads = countLoads(page);
    await page.goto(`${server.url}${SUB}${QUERY}`);
    await until(page, settled);
    const text = (await page.locator('[data-testid="error"]').textContent()) ?? '';
    assert.match(text, /NotIsolatedError/);
    await page.waitForTimeout(2000); // room for a second reload, which must not come
    assert.equal(loads.count, 2, 'the first visit, then exactly one reload');
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), false);
    assert.equal(await page.locator('[data-testid="result"]').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(top, { recursive: true, force: true });
  }
});
