// @ts-check
// The cases both code-panel tests run (tests/tools/code-panel.test.mjs builds
// and runs the Rust, tests/e2e/code-panel.test.mjs runs the JavaScript in the
// page): each a name, the settings, and the summary line they must print.
import assert from 'node:assert/strict';
import { TEST_SETTINGS } from '../../web/code/index.js';

const T = TEST_SETTINGS;

/**
 * Iteration counts that reach `maxIter` in the 480×360 view the snippets draw,
 * split in `strips` strips: the same arithmetic as the Rust snippet and the
 * built-in kind (strip origin, then offsets), so the counts agree exactly.
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
 * A program to build and run, and the summary line it must print: exact where
 * the settings decide it, else a check of what they do decide.
 * @type {{ name: string, settings: import('../../web/code/index.js').Settings, expect: RegExp | ((line: string) => void) }[]}
 */
export const CASES = [
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

