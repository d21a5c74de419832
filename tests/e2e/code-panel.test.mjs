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
import { code } from '../../web/code/index.js';
import { CASES } from '../tools/code-panel-cases.mjs';


/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
});


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
