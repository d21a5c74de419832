// @ts-check
// The playground and the package under a strict Content-Security-Policy,
// sent by scripts/serve.py (`--csp`) with every response, workers included:
//
//   script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'
//
// Every page records the `securitypolicyviolation` events it sees and fails on
// any console error or warning. The package's page is tests/pages/csp.html,
// whose own module does the work: page.evaluate runs through the devtools
// protocol, past the policy, so it would prove nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STRICT = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

/** @type {Awaited<ReturnType<typeof launch>>} */
let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
});

/** @typedef {import('playwright-core').Page} Page */

/**
 * Opens a page that records console errors and warnings (the page's and, as
 * Playwright reports them on the page too, its workers'), the URLs of the
 * workers it starts, and the policy violations the page sees, as
 * "<directive> <blocked URI>".
 * @param {{ noWaitAsync?: boolean }} [opts] hide Atomics.waitAsync from the
 *   page and from the pool's workers, as in a browser without it
 */
async function openCspPage({ noWaitAsync = false } = {}) {
  const { page, errors } = await openPage(chrome.browser, undefined, { warnings: true });
  /** @type {string[]} */
  const workers = [];
  page.on('worker', (w) => workers.push(w.url()));
  await page.addInitScript((noWaitAsync) => {
    if (noWaitAsync) delete (/** @type {any} */ (Atomics).waitAsync);
    /** @type {string[]} */
    const seen = [];
    /** @type {any} */ (window).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  }, noWaitAsync);
  if (noWaitAsync) {
    // Init scripts do not reach workers: prepend the same line to the pool's
    // worker module, keeping the server's headers (the policy among them).
    await page.route('**/js/worker.js', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: `delete Atomics.waitAsync;\n${await response.text()}` });
    });
  }
  /** @returns {Promise<string[]>} */
  const violations = () => page.evaluate(() => /** @type {any} */ (window).cspViolations);
  return { page, errors, workers, violations };
}

/**
 * Runs scripts/serve.py with `args` for the length of `body`.
 * @template T
 * @param {string[]} args for serve.py
 * @param {(url: string) => Promise<T>} body
 */
async function withServer(args, body) {
  const server = await serve(args);
  try {
    return await body(server.url);
  } finally {
    server.stop();
  }
}

// --- the playground -------------------------------------------------------------

/**
 * Opens the playground at `query` (it starts a run on load) and waits for the
 * run to end.
 * @param {string} url
 * @param {string} query
 */
async function playground(url, query) {
  const p = await openCspPage();
  await p.page.goto(`${url}?${query}`);
  await p.page.waitForFunction(() => ['done', 'error', 'canceled'].includes(document.body.dataset.state ?? ''), null, {
    timeout: 60_000,
  });
  const error = p.page.locator('[data-testid="error"]');
  assert.equal(await error.isHidden(), true, `page error: ${await error.textContent()}`);
  assert.equal(await p.page.evaluate(() => document.body.dataset.state), 'done');
  return p;
}

/** @param {Awaited<ReturnType<typeof openCspPage>>} p */
async function assertClean(p) {
  assert.deepEqual(await p.violations(), [], 'no Content-Security-Policy violations');
  assert.deepEqual(p.errors, [], 'no page errors, console errors or warnings');
}

test('the playground runs its scenarios, starts its rayon workers and exports a trace under the policy', async () => {
  await withServer(['--csp', STRICT], async (url) => {
    const kitchen = await playground(url, 'scenario=kitchen&workers=2&queue=2&jobs=10&ms=20&failRate=0');
    try {
      assert.equal(await kitchen.page.locator('[data-testid="result"]').count(), 10);
      const [download] = await Promise.all([
        kitchen.page.waitForEvent('download'),
        kitchen.page.click('[data-testid="export-trace"]'),
      ]);
      assert.match(download.suggestedFilename(), /^brigade-trace-.*\.json$/);
      await assertClean(kitchen);
    } finally {
      await kitchen.page.close();
    }

    const mandelbrot = await playground(url, 'scenario=mandelbrot&jobs=8');
    try {
      assert.equal(await mandelbrot.page.locator('[data-testid="result"]').count(), 8);
      // The timing afterwards renders one job across a rayon pool of its own workers.
      const rayon = Number(await mandelbrot.page.locator('[data-testid="speedup-rayon"]').textContent());
      assert.ok(Number.isFinite(rayon) && rayon > 0, `the rayon render finished (speed-up ${rayon})`);
      await assertClean(mandelbrot);
    } finally {
      await mandelbrot.page.close();
    }

    for (const query of ['scenario=errgroup&jobs=4&ms=50', 'scenario=thumbnails&jobs=4', 'scenario=emails&jobs=6']) {
      const p = await playground(url, query);
      try {
        assert.ok((await p.page.locator('[data-testid="result"]').count()) > 0, `${query}: results`);
        await assertClean(p);
      } finally {
        await p.page.close();
      }
    }
  });
});

test("the playground loads nothing but its own files (default-src 'self')", async () => {
  // Its icon is a file, not a data: URL, which img-src would refuse.
  await withServer(['--csp', `default-src 'self'; ${STRICT}`], async (url) => {
    const kitchen = await playground(url, 'scenario=kitchen&workers=2&queue=2&jobs=10&ms=20&failRate=0');
    try {
      assert.equal(await kitchen.page.locator('[data-testid="result"]').count(), 10);
      await assertClean(kitchen);
    } finally {
      await kitchen.page.close();
    }
  });
});

// --- the package (tests/pages/csp.html) -------------------------------------------

/**
 * @typedef {{ ok: true, value: any } | { ok: false, error: { name: string, message: string, cause: string | null } }} Outcome
 * @typedef {{ url?: Outcome, text?: Outcome, fatal?: string }} Report
 */

/**
 * Opens tests/pages/csp.html from the repository root under `policy` and
 * returns its report.
 * @param {string} policy
 * @param {{ noWaitAsync?: boolean }} [opts]
 */
async function packagePage(policy, opts) {
  return withServer(['--dir', root, '--csp', policy], async (url) => {
    const p = await openCspPage(opts);
    try {
      await p.page.goto(`${url}tests/pages/csp.html`);
      // A step that hung would leave `done` unset: this timeout fails the test.
      await p.page.waitForFunction(() => document.body.dataset.done, null, { timeout: 60_000 });
      /** @type {Report} */
      const report = JSON.parse(/** @type {string} */ (await p.page.evaluate(() => document.body.dataset.done)));
      return { report, errors: p.errors, workers: p.workers, violations: await p.violations() };
    } finally {
      await p.page.close();
    }
  });
}

/** @param {Outcome | undefined} url the step with built-in kinds, rayon and handlers.js */
function assertUrlStep(url) {
  assert.deepEqual(url, {
    ok: true,
    value: {
      echo: 'hi',
      sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      mandelbrot: 64 * 48,
      double: 42,
      where: 'worker',
      later: 'late',
    },
  });
}

/**
 * The source-text step: the page's import of the blob: module is blocked by
 * script-src (as script-src-elem), and Pool.create says so with a TypeError.
 * @param {Awaited<ReturnType<typeof packagePage>>} r
 */
function assertBlobBlocked(r) {
  const text = /** @type {Outcome} */ (r.report.text);
  assert.equal(text.ok, false, 'source-text handlers are refused');
  if (text.ok) return;
  assert.equal(text.error.name, 'TypeError');
  assert.match(
    text.error.message,
    /^option "handlers": the module \(source text\) could not be imported: Failed to fetch dynamically imported module: blob:http:/,
  );
  assert.deepEqual(r.violations, ['script-src-elem blob']);
  // Chromium reports the refusal on the console; nothing else may appear there.
  assert.equal(r.errors.length, 1, r.errors.join('\n'));
  assert.match(r.errors[0], /^console\.error: Loading the script 'blob:.*violates .*"script-src 'self'/);
}

test('the package runs built-in kinds, rayon and a handlers module by URL under the policy; source-text handlers are a TypeError', async () => {
  const r = await packagePage(STRICT);
  assert.equal(r.report.fatal, undefined);
  assertUrlStep(r.report.url);
  assertBlobBlocked(r);
});

test("source-text handlers work once script-src allows blob: (worker-src need not)", async () => {
  const r = await packagePage("script-src 'self' 'wasm-unsafe-eval' blob:; worker-src 'self'");
  assertUrlStep(r.report.url);
  assert.deepEqual(r.report.text, { ok: true, value: { triple: 15 } });
  assert.deepEqual(r.violations, []);
  assert.deepEqual(r.errors, []);
});

test("without 'wasm-unsafe-eval' Pool.create rejects with a CompileError that names the policy", async () => {
  const r = await packagePage("script-src 'self'; worker-src 'self'");
  const url = /** @type {Outcome} */ (r.report.url);
  assert.equal(url.ok, false);
  if (url.ok) return;
  assert.equal(url.error.name, 'CompileError');
  assert.match(url.error.message, /Content Security Policy/);
  assert.ok(r.violations.includes('script-src wasm-eval'), r.violations.join('\n'));
});

test("without Atomics.waitAsync, wasm-bindgen-futures' fallback worker starts from a file, which worker-src 'self' allows", async () => {
  const r = await packagePage(STRICT, { noWaitAsync: true });
  assertUrlStep(r.report.url);
  assert.ok(
    r.workers.some((u) => /\/snippets\/js-sys-[^/]+\/src\/futures\/task\/worker\.js$/.test(u)),
    `the fallback ran: ${r.workers.join(', ')}`,
  );
  assertBlobBlocked(r);
});
