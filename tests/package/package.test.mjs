// @ts-check
// The npm package as a user gets it: `npm pack` dist/brigade-wasm (built by
// scripts/package.sh), install the tarball into a fresh app, import it from a
// static page (no bundler) and from a Vite build, and run 1,000 jobs each in
// headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readFileSync, readdirSync } from 'node:fs';
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
  for (const f of [
    'index.js',
    'index.d.ts',
    'brigade_wasm.js',
    'brigade_wasm_bg.wasm',
    'README.md',
    'sw.js',
    'isolate.js',
    'isolate.d.ts',
  ]) {
    assert.ok(files.includes(`package/${f}`), `${f} is packed`);
  }
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'brigade-wasm', 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'brigade-wasm');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.types, './index.d.ts');
  assert.equal(pkg.exports['.'].default, './index.js');
  assert.equal(pkg.exports['./sw.js'], './sw.js');
  assert.deepEqual(pkg.exports['./isolate.js'], { types: './isolate.d.ts', default: './isolate.js' });
});

/**
 * Serves `dir` with the isolation headers, opens it in headless Chromium, waits
 * for the page to set `window.done` and returns it; fails on console errors.
 * @param {string} dir
 */
async function runPage(dir) {
  const server = await serve(['--dir', dir]);
  const chrome = await launch();
  try {
    const { page, errors } = await openPage(chrome.browser);
    await page.goto(server.url);
    await page.waitForFunction(() => /** @type {any} */ (window).done, null, { timeout: 60_000 });
    const done = await page.evaluate(() => /** @type {any} */ (window).done);
    assert.deepEqual(errors, []);
    return done;
  } finally {
    await chrome.close();
    server.stop();
  }
}

/** @param {{ values: number[], stats: { succeeded: number }, handled?: number[] }} done */
function checkSquares(done) {
  assert.equal(done.values.length, 1000);
  done.values.forEach((v, i) => assert.equal(v, i * i));
  assert.equal(done.stats.succeeded, 1000);
}

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
  checkSquares(await runPage(app));
});

test('a Vite build bundles the package, its workers and the wasm, and runs 1,000 jobs', async () => {
  const src = join(app, 'vite-app');
  mkdirSync(src);
  writeFileSync(
    join(src, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script type="module" src="./main.js"></script></body></html>`,
  );
  writeFileSync(
    join(src, 'main.js'),
    `import { Pool } from 'brigade-wasm';
const pool = await Pool.create({ workers: 2, queue: 16, handlers: 'export const negate = (x) => -x;' });
const values = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run('square', i)));
const stats = pool.stats();
const handled = await Promise.all([1, 2, 3].map((i) => pool.run('negate', i)));
window.done = { values, handled, stats };
`,
  );
  // Workers are ES modules: they import the glue, which a classic worker cannot.
  writeFileSync(join(src, 'vite.config.js'), `export default { worker: { format: 'es' }, logLevel: 'warn' };\n`);
  // Vite runs from the repository's node_modules; the app resolves
  // brigade-wasm from its own (the installed tarball).
  execFileSync(join(root, 'node_modules', '.bin', 'vite'), ['build', '--outDir', join(app, 'vite-dist'), '--emptyOutDir'], {
    cwd: src,
    env: { ...process.env, NODE_PATH: join(app, 'node_modules') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const assets = readdirSync(join(app, 'vite-dist', 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `the wasm is an asset: ${assets.join(', ')}`);
  assert.ok(
    assets.some((f) => /worker/.test(f) && f.endsWith('.js')),
    `the worker has a chunk of its own: ${assets.join(', ')}`,
  );
  const done = await runPage(join(app, 'vite-dist'));
  checkSquares(done);
  assert.deepEqual(done.handled, [-1, -2, -3]);
});
