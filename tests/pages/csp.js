// @ts-check
// The package under a Content-Security-Policy (tests/e2e/csp.test.mjs). A test
// cannot drive this through page.evaluate, which the devtools protocol runs
// past the policy, so this module is the page's own script: it runs each step,
// records its value or its error, and writes the report into
// `document.body.dataset.done` as JSON.

/**
 * @param {() => Promise<unknown>} step
 * @returns {Promise<{ ok: true, value: unknown } | { ok: false, error: { name: string, message: string, cause: string | null } }>}
 */
async function attempt(step) {
  try {
    return { ok: true, value: await step() };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : null;
    return { ok: false, error: { name: err.name, message: err.message, cause } };
  }
}

const report = {};
try {
  const { Pool } = await import('/web/pkg/index.js');

  // Built-in kinds, a rayon job, and a handlers module given by URL.
  report.url = await attempt(async () => {
    const pool = await Pool.create({
      workers: 2,
      queue: 4,
      rayonThreads: 2,
      handlers: new URL('./handlers.js', import.meta.url),
    });
    try {
      const mandel = await pool.run('mandelbrot', {
        x: -2, y: -1.2, scale: 0.05, width: 64, height: 48, maxIter: 64, parallel: true,
      });
      return {
        echo: await pool.run('echo', 'hi'),
        sha256: await pool.run('sha256', 'hello'),
        mandelbrot: mandel instanceof Uint16Array ? mandel.length : String(mandel),
        double: await pool.run('double', 21),
        where: await pool.run('where', null),
        later: await pool.run('later', { ms: 10, value: 'late' }),
      };
    } finally {
      pool.close();
    }
  });

  // A handlers module given as source text becomes a blob: URL module.
  report.text = await attempt(async () => {
    const pool = await Pool.create({ workers: 1, handlers: 'export function triple(n) {\n  return n * 3;\n}\n' });
    try {
      return { triple: await pool.run('triple', 5) };
    } finally {
      pool.close();
    }
  });
} catch (e) {
  report.fatal = String(e);
}
document.body.dataset.done = JSON.stringify(report);
