// @ts-check
// The code panel's JavaScript runs as shown. Each snippet web/code/ makes,
// for TEST_SETTINGS and a few variants, is served as a module in the
// playground's folder, so its './pkg/index.js' and './jobs.js' are the real
// package and handlers, imported into a cross-origin isolated page, and must
// log the summary line its settings imply, with no page error and no console
// error or warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';
import { code, TEST_SETTINGS } from '../../web/code/index.js';

const T = TEST_SETTINGS;

/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
});

/**
 * Pixels whose iteration count reaches `maxIter` in the snippets' 480×360 view
 * in `strips` strips, with the built-in kind's arithmetic (strip origin, then
 * offsets), so the count agrees exactly.
 * @param {number} strips @param {number} maxIter
 */
function inSet(strips, maxIter) {
  const scale = 3.2 / 480;
  let n = 0;
  for (let s = 0; s < strips; s++) {
    const top = Math.floor((s * 360) / strips);
    const bottom = Math.floor(((s + 1) * 360) / strips);
    const x = -0.6 - 240 * scale;
    const y = -180 * scale + top * scale;
    for (let j = 0; j < bottom - top; j++) {
      for (let i = 0; i < 480; i++) {
        const cr = x + i * scale;
        const ci = y + j * scale;
        let zr = 0;
        let zi = 0;
        let k = 0;
        while (k < maxIter && zr * zr + zi * zi <= 4) {
          const t = zr * zr - zi * zi + cr;
          zi = 2 * zr * zi + ci;
          zr = t;
          k++;
        }
        if (k === maxIter) n++;
      }
    }
  }
  return n;
}

/**
 * Emails with a failure rate strictly between 0 and 1: every email ends sent
 * or failed, and one that failed used every attempt.
 * @param {string} line
 */
function emailsAddUp(line) {
  const m = line.match(/^emails: (\d+) sent, (\d+) retried, (\d+) failed$/);
  assert.ok(m, `summary line: ${line}`);
  const [sent, retried, failed] = m.slice(1).map(Number);
  assert.equal(sent + failed, T.emails.jobs, line);
  assert.ok(retried <= Number(T.emails.jobs) && failed <= retried, line);
}

/**
 * A snippet to run and the summary line it must log (the same cases as the
 * Rust in tests/tools/code-panel.test.mjs).
 * @type {{ name: string, settings: import('../../web/code/index.js').Settings, expect: RegExp | ((line: string) => void) }[]}
 */
const CASES = [
  // Failure rate 0 and a timeout far above the longest cook time.
  { name: 'kitchen', settings: T.kitchen, expect: new RegExp(`^kitchen: ${T.kitchen.jobs} cooked, 0 failed, 0 timed out$`) },
  {
    name: 'kitchen-burnt',
    settings: { ...T.kitchen, rate: 0, duration: 'longtail', failRate: 1, timeoutMs: 0 },
    expect: new RegExp(`^kitchen: 0 cooked, ${T.kitchen.jobs} failed, 0 timed out$`),
  },
  {
    name: 'kitchen-slow',
    settings: { ...T.kitchen, queue: 0, duration: 'fixed', ms: 300, timeoutMs: 20 },
    expect: new RegExp(`^kitchen: 0 cooked, 0 failed, ${T.kitchen.jobs} timed out$`),
  },
  {
    name: 'thumbnails',
    settings: T.thumbnails,
    expect: new RegExp(`^thumbnails: ${T.thumbnails.jobs} made, ${T.thumbnails.maxSide}x${T.thumbnails.maxSide} each$`),
  },
  {
    name: 'mandelbrot',
    settings: T.mandelbrot,
    expect: new RegExp(
      `^mandelbrot: ${T.mandelbrot.jobs} strips, 172800 pixels, ${inSet(Number(T.mandelbrot.jobs), Number(T.mandelbrot.maxIter))} in the set$`,
    ),
  },
  { name: 'emails', settings: T.emails, expect: emailsAddUp },
  {
    name: 'emails-down',
    settings: { ...T.emails, failRate: 1, attempts: 2 },
    expect: new RegExp(`^emails: 0 sent, ${T.emails.jobs} retried, ${T.emails.jobs} failed$`),
  },
  {
    name: 'emails-up',
    settings: { ...T.emails, failRate: 0, attempts: 1, perSecond: 0 },
    expect: new RegExp(`^emails: ${T.emails.jobs} sent, 0 retried, 0 failed$`),
  },
  { name: 'errgroup', settings: T.errgroup, expect: new RegExp(`^errgroup: first error: step ${T.errgroup.failAt} failed$`) },
  {
    name: 'errgroup-ok',
    settings: { ...T.errgroup, failAt: 0, limit: 0 },
    expect: new RegExp(`^errgroup: ${T.errgroup.jobs} steps done$`),
  },
];

/** What shared memory needs (scripts/serve.py sends the same on every response). */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

test('every JavaScript snippet runs in the page and logs what its settings imply', { timeout: 5 * 60_000 }, async () => {
  const server = await serve();
  try {
    const { page, errors } = await openPage(chrome.browser, undefined, { warnings: true });
    // A blank page in the playground's folder, and the snippets next to it.
    await page.route(`${server.url}code-snippet.html`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        headers: ISOLATION,
        body: '<!doctype html><meta charset="utf-8"><title>code panel snippets</title>',
      }),
    );
    /** Module sources by path. @type {Map<string, string>} */
    const snippets = new Map();
    await page.route(
      (url) => snippets.has(url.pathname),
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/javascript; charset=utf-8',
          headers: { 'Cross-Origin-Resource-Policy': 'same-origin' },
          body: snippets.get(new URL(route.request().url()).pathname),
        }),
    );
    await page.goto(`${server.url}code-snippet.html`);
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true, 'the page is cross-origin isolated');

    for (const c of CASES) {
      const path = `/snippet-${c.name}.mjs`;
      snippets.set(path, code(c.settings).js);
      const scenario = String(c.settings.scenario);
      /** @type {string[]} */
      const logged = [];
      /** @param {import('playwright-core').ConsoleMessage} m */
      const listen = (m) => {
        if (m.type() === 'log') logged.push(m.text());
      };
      page.on('console', listen);
      try {
        const summary = page.waitForEvent('console', {
          predicate: (m) => m.type() === 'log' && m.text().startsWith(`${scenario}:`),
          timeout: 60_000,
        });
        await page.evaluate((u) => import(u).then(() => undefined), new URL(path, server.url).href);
        const line = (await summary).text();
        assert.deepEqual(logged, [line], `${c.name} logs its summary and nothing else`);
        if (c.expect instanceof RegExp) assert.match(line, c.expect, `${c.name} logged ${JSON.stringify(line)}`);
        else c.expect(line);
      } finally {
        page.off('console', listen);
      }
    }
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    server.stop();
  }
});
