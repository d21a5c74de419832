// @ts-check
// The playground's code panel (web/code/) shows one program three ways. Its
// Rust must really compile against `brigade` and print what the settings
// imply: each case below becomes a binary of a scratch cargo package in
// target/code-panel/ (its own `target` kept between runs, so a warm run only
// rebuilds what changed), is built once and run. The Go and the text
// checks need no toolchain: the code follows the knobs, and leaves out what is off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { code, TEST_SETTINGS } from '../../web/code/index.js';
import { CASES } from './code-panel-cases.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = join(root, 'target', 'code-panel');
const T = TEST_SETTINGS;


/** Writes `text` to `path` unless it holds it already (an untouched file keeps cargo's build). @param {string} path @param {string} text */
function put(path, text) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text);
}

/**
 * Sets up target/code-panel/ afresh, one binary per case. Only its build
 * (`target/`) and lock file are kept, and files that already hold the right
 * text, so cargo rebuilds only what changed.
 */
function writePackage() {
  const bin = join(scratch, 'src', 'bin');
  mkdirSync(bin, { recursive: true });
  const keep = (/** @type {string} */ dir, /** @type {string[]} */ names) => {
    for (const f of readdirSync(dir)) if (!names.includes(f)) rmSync(join(dir, f), { recursive: true, force: true });
  };
  keep(scratch, ['target', 'Cargo.lock', 'Cargo.toml', 'src']);
  keep(join(scratch, 'src'), ['bin']);
  keep(bin, CASES.map((c) => `${c.name}.rs`));
  put(
    join(scratch, 'Cargo.toml'),
    [
      '# Written by tests/tools/code-panel.test.mjs: the code panel\'s Rust snippets, one binary each.',
      '[package]',
      'name = "code-panel"',
      'version = "0.0.0"',
      'edition = "2021"',
      'publish = false',
      '',
      '[dependencies]',
      `brigade = { path = ${JSON.stringify(join(root, 'core'))} }`,
      '',
      '# Not a member of the repository\'s workspace.',
      '[workspace]',
      '',
    ].join('\n'),
  );
  // Start from the repository's lock file: the same versions as core's own build.
  const lock = join(scratch, 'Cargo.lock');
  if (!existsSync(lock)) writeFileSync(lock, readFileSync(join(root, 'Cargo.lock'), 'utf8'));
  for (const c of CASES) put(join(bin, `${c.name}.rs`), code(c.settings).rust);
}

test('every Rust snippet is rustfmt-clean, compiles without warnings and prints what its settings imply', { timeout: 20 * 60_000 }, () => {
  writePackage();
  const env = { ...process.env, PATH: `${join(homedir(), '.cargo', 'bin')}:${process.env.PATH}` };
  const files = CASES.map((c) => join('src', 'bin', `${c.name}.rs`));
  const fmt = spawnSync('rustfmt', ['+stable', '--check', '--edition', '2021', ...files], { cwd: scratch, env, encoding: 'utf8' });
  assert.equal(fmt.status, 0, `rustfmt would change a snippet:\n${fmt.stdout}${fmt.stderr}`);
  const build = spawnSync('cargo', ['+stable', 'build', '--quiet', '--bins'], { cwd: scratch, env, encoding: 'utf8' });
  assert.equal(build.status, 0, `cargo build failed:\n${build.stderr}`);
  assert.ok(!build.stderr.includes('--> src/bin/'), `a snippet has warnings:\n${build.stderr}`);
  for (const c of CASES) {
    const run = spawnSync(join(scratch, 'target', 'debug', c.name), { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, `${c.name} exited with ${run.status} (${run.signal ?? 'no signal'}):\n${run.stderr}`);
    const line = run.stdout.trim();
    if (c.expect instanceof RegExp) assert.match(line, c.expect, `${c.name} printed ${JSON.stringify(run.stdout)}`);
    else c.expect(line);
  }
});

/** A knob of each scenario besides `workers`, and a value for it. @type {Record<string, [string, number]>} */
const KNOBS = {
  kitchen: ['ms', 25],
  thumbnails: ['maxSide', 48],
  mandelbrot: ['maxIter', 120],
  emails: ['perSecond', 35],
  errgroup: ['failAt', 5],
};

test('the code follows the knobs in all three languages', () => {
  for (const [scenario, s] of Object.entries(TEST_SETTINGS)) {
    /** @type {[string, number][]} */
    const knobs = [['workers', 5], KNOBS[scenario]];
    for (const [key, value] of knobs) {
      const a = code({ ...s, [key]: 3 });
      const b = code({ ...s, [key]: value });
      for (const lang of /** @type {const} */ (['rust', 'js', 'go'])) {
        assert.notEqual(a[lang], b[lang], `${scenario} ${lang}: ${key} changes the code`);
        assert.ok(b[lang].includes(String(value)), `${scenario} ${lang}: ${key} = ${value} appears in the code`);
      }
    }
  }
});

test('each Go snippet is a main package that names its worker count', () => {
  for (const [scenario, s] of Object.entries(TEST_SETTINGS)) {
    for (const workers of [3, 7]) {
      const go = code({ ...s, workers }).go;
      assert.match(go, /^package main$/m, `${scenario}: package main`);
      assert.match(go, /^func main\(\) \{$/m, `${scenario}: func main`);
      assert.match(go, new RegExp(`\\b${workers} (workers?|cooks?)\\b|range ${workers} \\{`), `${scenario}: ${workers} workers`);
    }
  }
});

test('options that are off are left out', () => {
  const kitchen = code({ ...T.kitchen, duration: 'fixed', timeoutMs: 0, failRate: 0, rate: 0 });
  assert.doesNotMatch(kitchen.rust, /timeout|random|tick/);
  assert.doesNotMatch(kitchen.js, /timeoutMs|failRate|setTimeout/);
  assert.doesNotMatch(kitchen.go, /WithTimeout|DeadlineExceeded|Ticker|rand\./);
  const timed = code({ ...T.kitchen, timeoutMs: 250 });
  assert.match(timed.rust, /\.timeout\(Duration::from_millis\(250\)\)/);
  assert.match(timed.js, /timeoutMs: 250,/);
  assert.match(timed.go, /context\.WithTimeout\(context\.Background\(\), 250\*time\.Millisecond\)/);

  const emails = code({ ...T.emails, attempts: 1, perSecond: 0 });
  assert.doesNotMatch(emails.rust, /Retry|RateLimit/);
  assert.doesNotMatch(emails.js, /retry|rateLimit/);
  assert.doesNotMatch(emails.go, /rate\.|attempt ==/);

  const group = code({ ...T.errgroup, limit: 0, failAt: 0 });
  assert.match(group.js, /pool\.group\(\)/);
  assert.doesNotMatch(group.rust + group.js + group.go, /failed"|fail:/);
});

/** The largest values the page's knobs take, for the widest lines. */
const LARGEST = {
  kitchen: { rate: 33.3333, duration: 'longtail', ms: 60000, failRate: 0.055, timeoutMs: 600000 },
  thumbnails: { size: 2048, maxSide: 256 },
  mandelbrot: { maxIter: 20000 },
  emails: { latencyMs: 10000, failRate: 0.355, perSecond: 10000, burst: 1000, attempts: 100, baseMs: 60000 },
  errgroup: { ms: 60000, failAt: 100000, limit: 1000 },
};

test('every snippet is short enough to read in a panel', () => {
  const large = Object.entries(LARGEST).map(([scenario, s]) => ({ scenario, workers: 256, queue: 1000, jobs: 100000, ...s }));
  for (const s of [...Object.values(TEST_SETTINGS), ...large]) {
    const c = code(s);
    for (const lang of /** @type {const} */ (['rust', 'js', 'go'])) {
      const lines = c[lang].trimEnd().split('\n');
      assert.ok(lines.length <= 80, `${s.scenario} ${lang}: ${lines.length} lines`);
      for (const l of lines) {
        const width = l.replaceAll('\t', '    ').length;
        assert.ok(width <= 100, `${s.scenario} ${lang}: a line ${width} wide: ${l}`);
      }
    }
  }
});

test('an unknown scenario or duration is refused', () => {
  assert.throws(() => code({ ...T.kitchen, scenario: 'nope' }), RangeError);
  assert.throws(() => code({ ...T.kitchen, duration: 'nope' }), RangeError);
});
