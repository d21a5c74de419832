// @ts-check
// The npm package as a user gets it: `npm pack` dist/brigade-wasm (built by
// scripts/package.sh), install the tarball into a fresh app, import it from a
// static page (no bundler) and run 1,000 jobs in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from '../e2e/harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist', 'brigade-wasm');

/** @type {string} */
let app;
/** @type {string} */
let tarball;
before(() => {
  assert.ok(existsSync(join(dist, 'package.json')), 'run scripts/package.sh first (make test does)');
  app = mkdtempSync(join(tmpdir(), 'brigade-app-'));
  const packed = execFileSync('npm', ['pack', dist, '--pack-destination', app, '--json'], { encoding: 'utf8' });
  const info = JSON.parse(packed)[0];
  tarball = join(app, info.filename);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
});
after(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

test('the tarball carries the worker snippet, the types and an ES module entry', () => {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
  assert.ok(files.some((f) => /^package\/snippets\/[^/]+\/js\/worker\.js$/.test(f)), files.join('\n'));
  for (const f of ['index.js', 'index.d.ts', 'brigade_wasm.js', 'brigade_wasm_bg.wasm', 'README.md']) {
    assert.ok(files.includes(`package/${f}`), `${f} is packed`);
  }
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'brigade-wasm', 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'brigade-wasm');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.types, './index.d.ts');
  assert.equal(pkg.exports['.'].default, './index.js');
});

test('a static page imports the installed package and runs 1,000 jobs', async () => {
  writeFileSync(
    join(app, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script type="module">
  import { Pool } from './node_modules/brigade-wasm/index.js';
  const pool = await Pool.create({ workers: 2, queue: 16 });
  const values = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run('square', i)));
  window.done = { values, stats: pool.stats() };
</script></body></html>`,
  );
  const server = await serve(['--dir', app]);
  const chrome = await launch();
  try {
    const { page, errors } = await openPage(chrome.browser);
    await page.goto(server.url);
    await page.waitForFunction(() => /** @type {any} */ (window).done, null, { timeout: 60_000 });
    const done = await page.evaluate(() => /** @type {any} */ (window).done);
    assert.equal(done.values.length, 1000);
    done.values.forEach((/** @type {number} */ v, /** @type {number} */ i) => assert.equal(v, i * i));
    assert.equal(done.stats.succeeded, 1000);
    assert.deepEqual(errors, []);
  } finally {
    await chrome.close();
    server.stop();
  }
});
