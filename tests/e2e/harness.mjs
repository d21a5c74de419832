// @ts-check
// Shared pieces of the browser tests: the project's server and headless Chromium.
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Starts scripts/serve.py (the server `make demo` uses) on a free port.
 * @param {string[]} [args]
 * @returns {Promise<{ url: string, stop: () => void }>}
 */
export function serve(args = []) {
  const child = spawn('python3', [join(root, 'scripts', 'serve.py'), '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve({ url: m[0], stop: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`serve.py exited with ${code}: ${out}`)));
  });
}

/**
 * Launches Debian's Chromium headless. Playwright gives every launch a fresh,
 * temporary profile (its own --user-data-dir), removed on close.
 * @returns {Promise<{ browser: import('playwright-core').Browser, close: () => Promise<void> }>}
 */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/**
 * Opens a page that records every page error and console error (and, with
 * `warnings`, every console warning too).
 * @param {import('playwright-core').Browser} browser
 * @param {Parameters<import('playwright-core').Browser['newPage']>[0]} [options] for browser.newPage
 * @param {{ warnings?: boolean }} [record]
 */
export async function openPage(browser, options, { warnings = false } = {}) {
  const page = await browser.newPage(options);
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    if (warnings && m.type() === 'warning') errors.push(`console.warning: ${m.text()}`);
  });
  return { page, errors };
}

/**
 * Runs `scenario` in a fresh page of `browser` (at `base`'s blank test page)
 * with the package loaded as its argument; fails on any page error or
 * console error but those `allow` matches.
 * @template T
 * @param {import('playwright-core').Browser} browser
 * @param {string} base the test server's URL
 * @param {(brigade: any) => Promise<T>} scenario
 * @param {{ allow?: RegExp }} [options] console errors a test expects
 * @returns {Promise<T>}
 */
export async function inPackagePage(browser, base, scenario, { allow } = {}) {
  const { page, errors } = await openPage(browser);
  try {
    await page.goto(`${base}tests/pages/blank.html`);
    const result = await page.evaluate(async (src) => {
      const brigade = await import('/web/pkg/index.js');
      // eslint-disable-next-line no-new-func
      const f = new Function('brigade', `return (${src})(brigade);`);
      return await f(brigade);
    }, scenario.toString());
    assert.deepEqual(
      errors.filter((e) => !allow?.test(e)),
      [],
      'no page or console errors',
    );
    return result;
  } finally {
    await page.close();
  }
}

/**
 * Starts headless Chromium and the project's server before the calling
 * file's tests (node:test hooks) and stops both after them.
 * @param {string[]} [serveArgs] for serve()
 * @returns {{ readonly browser: import('playwright-core').Browser, readonly url: string }}
 */
export function browserAndServer(serveArgs = []) {
  /** @type {Awaited<ReturnType<typeof launch>> | undefined} */
  let chrome;
  /** @type {Awaited<ReturnType<typeof serve>> | undefined} */
  let server;
  before(async () => {
    chrome = await launch();
    server = await serve(serveArgs);
  });
  after(async () => {
    server?.stop();
    await chrome?.close();
  });
  return {
    get browser() {
      if (!chrome) throw new Error('the browser starts in the before() hook');
      return chrome.browser;
    },
    get url() {
      if (!server) throw new Error('the server starts in the before() hook');
      return server.url;
    },
  };
}
