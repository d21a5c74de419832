// @ts-check
// The playground's code panel: for the current settings, the same program
// three ways. Rust uses the `brigade` crate, JavaScript the `brigade-wasm`
// package (imported as ./pkg/index.js, as on this page), Go plain goroutines
// and channels, sync.WaitGroup, errgroup and x/time/rate. Every snippet is a
// whole program whose numbers are the settings' values, so the code changes as
// the knobs move; options that are off are left out. The Rust and JavaScript
// versions really run: tests/tools/code-panel.test.mjs builds and runs the
// Rust, tests/e2e/code-panel.test.mjs runs the JavaScript in a page, both for
// TEST_SETTINGS. No DOM here: Node imports this module too.
//
// This file is the public face: the types, TEST_SETTINGS and code(), which
// hands the settings to their scenario's builder. Each scenario's program is
// written in a file of its own (kitchen.js, thumbnails.js, mandelbrot.js,
// emails.js, errgroup.js), with the text helpers they share in program.js.
import { kitchen } from './kitchen.js';
import { thumbnails } from './thumbnails.js';
import { mandelbrot } from './mandelbrot.js';
import { emails } from './emails.js';
import { errgroup } from './errgroup.js';

/**
 * What the page's knobs are set to. Common keys: `scenario` ('kitchen' |
 * 'thumbnails' | 'mandelbrot' | 'emails' | 'errgroup'), `workers` (>= 1),
 * `queue` (>= 0; 0 = a rendezvous), `jobs` (>= 1). Per scenario:
 * - kitchen: `rate` (orders/s, 0 = as fast as it can), `duration` ('fixed' |
 *   'uniform' | 'longtail'), `ms` (mean cook time), `failRate` (0..1),
 *   `timeoutMs` (0 = none);
 * - thumbnails: `size` (source side, px), `maxSide` (thumbnail side, px);
 * - mandelbrot: `maxIter`;
 * - emails: `latencyMs`, `failRate`, `perSecond`, `burst`, `attempts`, `baseMs`;
 * - errgroup: `ms` (each step's time), `failAt` (1-based, 0 = none), `limit` (0 = none).
 * @typedef {Record<string, number | string>} Settings
 *
 * @typedef {object} Code
 * @property {string} rust a Rust program using the crate `brigade`
 * @property {string} js an ES module using `brigade-wasm` (as ./pkg/index.js)
 * @property {string} go a Go program
 */

/**
 * Small settings per scenario for the tests: few jobs, short times, so that
 * every Rust and JavaScript program finishes within a second or two.
 * @type {Record<string, Settings>}
 */
export const TEST_SETTINGS = {
  kitchen: {
    scenario: 'kitchen',
    workers: 2,
    queue: 1,
    jobs: 8,
    rate: 200,
    duration: 'uniform',
    ms: 5,
    failRate: 0,
    timeoutMs: 1000,
  },
  thumbnails: { scenario: 'thumbnails', workers: 2, queue: 1, jobs: 6, size: 96, maxSide: 32 },
  mandelbrot: { scenario: 'mandelbrot', workers: 2, queue: 1, jobs: 6, maxIter: 50 },
  emails: {
    scenario: 'emails',
    workers: 2,
    queue: 2,
    jobs: 8,
    latencyMs: 5,
    failRate: 0.3,
    perSecond: 200,
    burst: 4,
    attempts: 3,
    baseMs: 5,
  },
  errgroup: { scenario: 'errgroup', workers: 2, queue: 1, jobs: 6, ms: 20, failAt: 3, limit: 2 },
};

/** @type {Record<string, (s: Settings) => Code>} */
const BUILDERS = { kitchen, thumbnails, mandelbrot, emails, errgroup };

/**
 * The program `settings` describe, in Rust, JavaScript and Go.
 * @param {Settings} settings
 * @returns {Code}
 */
export function code(settings) {
  const s = String(settings.scenario);
  const make = BUILDERS[s];
  if (!make) throw new RangeError(`code: unknown scenario ${JSON.stringify(s)}`);
  return make(settings);
}
