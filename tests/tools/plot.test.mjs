// @ts-check
// bench/plot.py draws the benchmark tables' ratios: bars from parity (1x) to
// each median, a dot per round, a dashed line per goal. Check that a chart
// puts them where the ratios say, and that malformed results are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'plot.py');

/** Runs the tool on `data`; the SVG it wrote, if any. @param {unknown} data */
function plot(data) {
  const dir = mkdtempSync(join(tmpdir(), 'brigade-plot-'));
  try {
    const json = join(dir, 'r.json');
    const svg = join(dir, 'r.svg');
    writeFileSync(json, JSON.stringify(data));
    const r = spawnSync('python3', [script, json, svg], { encoding: 'utf8' });
    let out = '';
    try {
      out = readFileSync(svg, 'utf8');
    } catch {
      // no chart: the tool refused the input
    }
    return { ...r, svg: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = {
  title: 'Test <chart>',
  subtitle: 'made by a test',
  axis: 'ratio',
  series: ['÷ a', '÷ b'],
  rows: [
    { label: 'faster', values: [0.25, 0.5], rounds: [[0.2, 0.25, 0.3], [0.5]] },
    { label: 'slower', values: [4, null], rounds: [[3, 4, 5], []] },
  ],
  goals: [{ value: 1.3, series: 0, label: 'goal: 1.3x' }],
};

/** The x position of every element with attribute `attr`, in document order. */
function xs(/** @type {string} */ svg, /** @type {RegExp} */ re) {
  return [...svg.matchAll(re)].map((m) => Number(m[1]));
}

test('bars run from parity to each ratio, one per value that is not null', () => {
  const r = plot(base);
  assert.equal(r.status, 0, r.stderr);
  // Bars carry a <title> with their row, series and value.
  const bars = [...r.svg.matchAll(/<rect x='([\d.]+)' y='[\d.]+' width='([\d.]+)'[^>]*><title>([^<]*)<\/title>/g)];
  assert.deepEqual(
    bars.map((b) => b[3]),
    ['faster ÷ a: 0.25x', 'faster ÷ b: 0.50x', 'slower ÷ a: 4.00x'],
  );
  // The parity line is the grid line drawn thicker.
  const [parity] = xs(r.svg, /<line x1='([\d.]+)'[^>]*stroke-width='1.5'\/>/g);
  const [fast, half, slow] = bars.map((b) => ({ x: Number(b[1]), w: Number(b[2]) }));
  // Below 1 a bar ends at parity; above 1 it starts there.
  assert.ok(Math.abs(fast.x + fast.w - parity) < 0.2, `${fast.x}+${fast.w} vs ${parity}`);
  assert.ok(Math.abs(slow.x - parity) < 0.2, `${slow.x} vs ${parity}`);
  // Log scale: 0.25 is twice as far from 1 as 0.5, and as far as 4.
  assert.ok(Math.abs(fast.w - 2 * half.w) < 0.3, `${fast.w} vs 2 x ${half.w}`);
  assert.ok(Math.abs(fast.w - slow.w) < 0.3, `${fast.w} vs ${slow.w}`);
});

test('every round is a dot, and every goal a dashed line on the right side of parity', () => {
  const r = plot(base);
  assert.equal(r.status, 0, r.stderr);
  // The legend has one dot; the rounds the rest.
  assert.equal([...r.svg.matchAll(/<circle /g)].length, 1 + 3 + 1 + 3);
  const [parity] = xs(r.svg, /<line x1='([\d.]+)'[^>]*stroke-width='1.5'\/>/g);
  const goals = xs(r.svg, /<line x1='([\d.]+)'[^>]*stroke-dasharray/g);
  assert.equal(goals.length, 1);
  assert.ok(goals[0] > parity);
  assert.match(r.svg, /goal: 1\.3x/);
});

test('text is escaped', () => {
  const r = plot(base);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.svg, /Test &lt;chart&gt;/);
  assert.doesNotMatch(r.svg, /<chart>/);
});

test('a row with the wrong number of values is refused, naming the row', () => {
  const r = plot({ ...base, rows: [{ label: 'short', values: [1] }] });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /row 'short' has 1 values for 2 series/);
  assert.equal(r.svg, '');
});

test('a ratio that is not positive is refused', () => {
  const r = plot({ ...base, rows: [{ label: 'zero', values: [0, 1] }] });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /row 'zero' has a ratio that is not positive/);
});
