// @ts-check
// The playground's live charts, drawn with uPlot (web/vendor/, copied from
// node_modules by scripts/vendor.sh): throughput and latency over the run,
// and the pool's wait-time and run-time histograms.
//
// Throughput and latency come from the run's record. Finished jobs fall into
// BUCKET_MS-wide buckets of time since the run started, by when they ended;
// each bucket keeps its count and its own wait and run samples, so an update
// reads only the rows added since the last one (a cursor into
// record.finished) and sorts only the buckets those rows fell into, to take
// their percentiles. The histograms are the pool's own (stats.wait and
// stats.run: Prometheus-style cumulative buckets), drawn per bucket.
//
// # Invariants
// 1. Every row of record.finished before the cursor is counted in exactly one
//    bucket, and no row after it is.
// 2. A bucket's percentiles are those of its samples whenever it is not in
//    `dirty`.

import vendored from './vendor/uPlot.esm.js';

// The vendored copy has no types of its own; an editor finds them in
// node_modules/uplot, which it was copied from.
/** @typedef {import('uplot')} uPlot */
/** @typedef {import('uplot').Options} Options */
/** @typedef {import('uplot').AlignedData} AlignedData */
const uPlot = /** @type {typeof import('uplot')} */ (/** @type {unknown} */ (vendored));

/**
 * One of the pool's histograms: `count` samples in all, and for each bound
 * `le` (ms, ascending) the samples at or below it, cumulative.
 * @typedef {{ count: number, buckets: { le: number, count: number }[] }} Histogram
 */

/**
 * What the charts read of the pool's stats(); both optional.
 * @typedef {{ wait?: Histogram, run?: Histogram }} ChartStats
 */

/**
 * What the charts read of a run: a RunRecord, or any object of its shape.
 * @typedef {Pick<import('./record.js').RunRecord, 't0' | 't1' | 'finished'>} ChartSource
 */

/**
 * The series the charts draw, as last computed (for tests and the curious).
 * Throughput is in jobs per second; latency in ms, null where a bucket has no
 * sample; the histograms' counts are per bucket, the last one the overflow.
 * @typedef {object} ChartData
 * @property {number} bucketMs
 * @property {{ x: number[], completed: (number | null)[], other: (number | null)[] }} throughput
 *   x: the middle of each bucket, s since the run started; completed: ok or
 *   retried; other: failed, timed out, panicked or canceled
 * @property {{ x: number[], waitP50: (number | null)[], waitP99: (number | null)[],
 *   runP50: (number | null)[], runP99: (number | null)[] }} latency
 * @property {{ labels: string[], counts: number[] }} wait
 * @property {{ labels: string[], counts: number[] }} run
 */

/**
 * @typedef {object} Charts
 * @property {(record: ChartSource, stats?: ChartStats | null) => void} update
 *   reads the rows added since the last call (a new record starts over) and redraws
 * @property {() => void} reset empties every chart, for a new run
 * @property {(width?: number) => void} resize sets every chart's width, CSS px, but never
 *   wider than a figure's content box (as the page's CSS lays it out); without a
 *   width, that content box's width
 * @property {(dark: boolean) => void} setDark redraws in the dark or the light colours
 * @property {() => ChartData} data
 * @property {() => void} destroy removes the charts from the container
 */

/** Width of a throughput and latency bucket. */
export const BUCKET_MS = 500;
/** Latency is drawn on a log scale; a time under this (ms) is drawn at it. */
const FLOOR_MS = 0.01;

const HEIGHTS = { throughput: 180, latency: 200, histogram: 300 };
const FONT = '11px system-ui, sans-serif';
const LABEL_FONT = '600 11px system-ui, sans-serif';

/** Calm colours, a lighter set on the dark background; p99 lines dashed in a hue of their own. */
const PALETTE = {
  light: {
    axis: '#4b5568',
    grid: 'rgba(29, 35, 48, 0.09)',
    completed: '#3b6ea8',
    other: '#b5524e',
    wait: '#3b6ea8',
    waitTail: '#7a5ba6',
    run: '#2a8f7f',
    runTail: '#b7791f',
    bars: 0.55,
  },
  dark: {
    axis: '#b4bccb',
    grid: 'rgba(220, 228, 240, 0.12)',
    completed: '#84aedd',
    other: '#e08e8a',
    wait: '#84aedd',
    waitTail: '#b49ddc',
    run: '#64c7b5',
    runTail: '#e0b25c',
    bars: 0.7,
  },
};

/** Integer steps for count axes, 1, 2, 5, 10, ... 5e8. */
const COUNT_INCRS = Array.from({ length: 27 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

/**
 * Builds the four charts inside `container` (an empty element), each in its
 * own `<figure>` with a `<figcaption>`.
 * @param {HTMLElement} container
 * @param {{ dark: boolean }} options
 * @returns {Charts}
 */
export function createCharts(container, { dark }) {
  let colours = dark ? PALETTE.dark : PALETTE.light;
  const timeline = new Timeline();
  /** @type {ChartData} */
  let last = emptyData();

  const figures = {
    throughput: figure(container, 'throughput', 'Throughput: jobs finished per second'),
    latency: figure(
      container,
      'latency',
      `Latency: wait (queue) and run time of the jobs that ended in each ${BUCKET_MS / 1000} s`,
    ),
    wait: figure(container, 'wait', 'Wait time: how long jobs queued, all jobs so far'),
    run: figure(container, 'run', 'Run time: how long jobs ran, all jobs so far'),
  };
  /** The width a chart's figure leaves it; the container's or a guess while hidden. */
  const fit = () =>
    Math.max(200, figures.throughput.clientWidth || container.clientWidth || Math.min(640, innerWidth - 32));
  let width = fit();
  /** @type {{ throughput: uPlot, latency: uPlot, wait: uPlot, run: uPlot } | null} */
  let plots = null;
  /** The bucket labels each histogram was built with: they label its axis. */
  const built = { wait: '', run: '' };

  /** @param {'wait' | 'run'} which */
  function histogramPlot(which) {
    const h = last[which];
    built[which] = h.labels.join('|');
    const what = which === 'wait' ? 'wait time' : 'run time';
    return new uPlot(
      histogramOptions(colours, width, what, colours[which], h.labels),
      histogramData(h),
      figures[which],
    );
  }

  function build() {
    destroyPlots();
    plots = {
      throughput: new uPlot(throughputOptions(colours, width), throughputData(last), figures.throughput),
      latency: new uPlot(latencyOptions(colours, width), latencyData(last), figures.latency),
      wait: histogramPlot('wait'),
      run: histogramPlot('run'),
    };
  }

  function destroyPlots() {
    plots?.throughput.destroy();
    plots?.latency.destroy();
    plots?.wait.destroy();
    plots?.run.destroy();
    plots = null;
  }

  /** Sets the histograms' data; rebuilds one whose bucket bounds changed. */
  function drawHistograms() {
    if (!plots) return;
    for (const which of /** @type {const} */ (['wait', 'run'])) {
      if (built[which] !== last[which].labels.join('|')) {
        plots[which].destroy();
        plots[which] = histogramPlot(which);
      } else {
        plots[which].setData(histogramData(last[which]));
      }
    }
  }

  build();

  return {
    update(record, stats) {
      timeline.read(record);
      const now = record.t1 ?? performance.now();
      last = {
        ...timeline.series(record.t0, now, record.t1 === null),
        wait: histogram(stats?.wait) ?? last.wait,
        run: histogram(stats?.run) ?? last.run,
      };
      plots?.throughput.setData(throughputData(last));
      plots?.latency.setData(latencyData(last));
      drawHistograms();
    },
    reset() {
      timeline.clear();
      last = emptyData();
      build();
    },
    resize(w) {
      width = w === undefined ? fit() : Math.max(200, Math.min(Math.floor(w), fit()));
      if (!plots) return;
      plots.throughput.setSize({ width, height: HEIGHTS.throughput });
      plots.latency.setSize({ width, height: HEIGHTS.latency });
      plots.wait.setSize({ width, height: HEIGHTS.histogram });
      plots.run.setSize({ width, height: HEIGHTS.histogram });
    },
    setDark(d) {
      colours = d ? PALETTE.dark : PALETTE.light;
      build();
    },
    data() {
      return structuredClone(last);
    },
    destroy() {
      destroyPlots();
      for (const f of Object.values(figures)) f.closest('figure')?.remove();
    },
  };
}

/**
 * Finished jobs by the bucket they ended in, read incrementally.
 */
class Timeline {
  /** The rows being read. @type {ChartSource['finished'] | null} */
  rows = null;
  /** Rows read so far (invariant 1). */
  cursor = 0;
  /** Per bucket: jobs that completed (ok or retried), and the others. @type {number[]} */
  completed = [];
  /** @type {number[]} */
  other = [];
  /** Per bucket: the wait of every job, the run time of every job that ran. @type {number[][]} */
  waits = [];
  /** @type {number[][]} */
  runs = [];
  /** Per bucket: [wait p50, wait p99, run p50, run p99], null without samples. @type {(number | null)[][]} */
  percentiles = [];
  /** Buckets with samples added since their percentiles were taken (invariant 2). @type {Set<number>} */
  dirty = new Set();

  clear() {
    this.rows = null;
    this.cursor = 0;
    this.completed = [];
    this.other = [];
    this.waits = [];
    this.runs = [];
    this.percentiles = [];
    this.dirty.clear();
  }

  /** @param {ChartSource} record */
  read(record) {
    if (record.finished !== this.rows || record.finished.length < this.cursor) {
      this.clear();
      this.rows = record.finished;
    }
    const rows = record.finished;
    for (; this.cursor < rows.length; this.cursor++) {
      const row = rows[this.cursor];
      const i = Math.max(0, Math.floor((row.endedAt - record.t0) / BUCKET_MS));
      this.grow(i + 1);
      if (row.outcome === 'ok' || row.outcome === 'retried') this.completed[i] += 1;
      else this.other[i] += 1;
      this.waits[i].push(row.queuedMs);
      if (row.startedAt !== null) this.runs[i].push(row.runMs);
      this.dirty.add(i);
    }
    for (const i of this.dirty) {
      const [w50, w99] = quantiles(this.waits[i], [0.5, 0.99]);
      const [r50, r99] = quantiles(this.runs[i], [0.5, 0.99]);
      this.percentiles[i] = [w50, w99, r50, r99];
    }
    this.dirty.clear();
  }

  /** @param {number} n buckets to have at least */
  grow(n) {
    while (this.completed.length < n) {
      this.completed.push(0);
      this.other.push(0);
      this.waits.push([]);
      this.runs.push([]);
      this.percentiles.push([null, null, null, null]);
    }
  }

  /**
   * The throughput and latency series from the run's start to `now`. While
   * the run goes on, the bucket in progress has no throughput yet: a partial
   * count would read as a drop. (Once it is over, the last bucket counts its
   * jobs over a whole bucket's time even if the run ended inside it.)
   * @param {number} t0
   * @param {number} now
   * @param {boolean} live
   * @returns {Pick<ChartData, 'bucketMs' | 'throughput' | 'latency'>}
   */
  series(t0, now, live) {
    const elapsed = Math.max(0, now - t0) / BUCKET_MS;
    const n = Math.max(this.completed.length, live ? Math.floor(elapsed) + 1 : Math.ceil(elapsed));
    const perSecond = 1000 / BUCKET_MS;
    /** @type {number[]} */
    const x = [];
    /** @type {(number | null)[][]} */
    const [completed, other, waitP50, waitP99, runP50, runP99] = [[], [], [], [], [], []];
    for (let i = 0; i < n; i++) {
      x.push(((i + 0.5) * BUCKET_MS) / 1000);
      const inProgress = live && t0 + (i + 1) * BUCKET_MS > now;
      completed.push(inProgress ? null : (this.completed[i] ?? 0) * perSecond);
      other.push(inProgress ? null : (this.other[i] ?? 0) * perSecond);
      const p = this.percentiles[i] ?? [null, null, null, null];
      waitP50.push(p[0]);
      waitP99.push(p[1]);
      runP50.push(p[2]);
      runP99.push(p[3]);
    }
    return {
      bucketMs: BUCKET_MS,
      throughput: { x, completed, other },
      latency: { x, waitP50, waitP99, runP50, runP99 },
    };
  }
}

/**
 * Nearest-rank quantiles of `values`, null for none.
 * @param {number[]} values
 * @param {number[]} qs
 * @returns {(number | null)[]}
 */
function quantiles(values, qs) {
  if (values.length === 0) return qs.map(() => null);
  const sorted = Float64Array.from(values).sort();
  return qs.map((q) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]);
}

/**
 * A pool histogram as per-bucket counts with labels, the overflow last.
 * @param {Histogram | undefined} h
 * @returns {{ labels: string[], counts: number[] } | null} null when the stats have none
 */
function histogram(h) {
  if (!h?.buckets?.length) return null;
  const labels = h.buckets.map((b) => `≤${duration(b.le)}`);
  const counts = h.buckets.map((b, i) => Math.max(0, b.count - (i > 0 ? h.buckets[i - 1].count : 0)));
  const top = h.buckets[h.buckets.length - 1];
  labels.push(`> ${duration(top.le)}`);
  counts.push(Math.max(0, h.count - top.count));
  return { labels, counts };
}

/**
 * A time in ms, as people write it: "250 µs", "2.5 ms", "1 s".
 * @param {number} ms
 */
function duration(ms) {
  if (ms < 1) return `${Number((ms * 1000).toPrecision(3))} µs`;
  if (ms < 1000) return `${Number(ms.toPrecision(3))} ms`;
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

/** @returns {ChartData} */
function emptyData() {
  const blank = { x: [], completed: [], other: [] };
  return {
    bucketMs: BUCKET_MS,
    throughput: blank,
    latency: { x: [], waitP50: [], waitP99: [], runP50: [], runP99: [] },
    wait: { labels: [], counts: [] },
    run: { labels: [], counts: [] },
  };
}

/**
 * Appends `<figure data-chart=name><figcaption>caption</figcaption><div></div></figure>`;
 * the div holds the chart.
 * @param {HTMLElement} container
 * @param {string} name
 * @param {string} caption
 */
function figure(container, name, caption) {
  const fig = document.createElement('figure');
  fig.className = 'chart';
  fig.dataset.chart = name;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  const plot = document.createElement('div');
  plot.className = 'chart-plot';
  fig.append(cap, plot);
  container.append(fig);
  return plot;
}

/** @param {ChartData} d @returns {AlignedData} */
function throughputData(d) {
  return [d.throughput.x, d.throughput.completed, d.throughput.other];
}

/** @param {ChartData} d @returns {AlignedData} */
function latencyData(d) {
  const floor = (/** @type {(number | null)[]} */ a) => a.map((v) => (v === null ? null : Math.max(FLOOR_MS, v)));
  const l = d.latency;
  return [l.x, floor(l.waitP50), floor(l.waitP99), floor(l.runP50), floor(l.runP99)];
}

/** @param {{ counts: number[] }} h @returns {AlignedData} */
function histogramData(h) {
  return [h.counts.map((_, i) => i), h.counts];
}

/**
 * The parts every chart shares: size, fonts, colours of axes and grid.
 * @param {typeof PALETTE.light} c
 * @param {number} width
 * @param {number} height
 * @param {string} xLabel
 * @param {string} yLabel
 * @returns {Options}
 */
function base(c, width, height, xLabel, yLabel) {
  const axis = (/** @type {string} */ label, /** @type {number} */ size) => ({
    label,
    size,
    stroke: c.axis,
    font: FONT,
    labelFont: LABEL_FONT,
    labelSize: 18,
    grid: { stroke: c.grid, width: 1 },
    ticks: { stroke: c.grid, width: 1, size: 4 },
  });
  return {
    width,
    height,
    series: [{}],
    axes: [axis(xLabel, 30), axis(yLabel, 48)],
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
  };
}

/**
 * @param {typeof PALETTE.light} c
 * @param {number} width
 * @returns {Options}
 */
function throughputOptions(c, width) {
  const o = base(c, width, HEIGHTS.throughput, 's since start', 'jobs/s');
  o.scales = { x: { time: false }, y: { range: (_u, _min, max) => [0, niceMax(max)] } };
  o.series = [
    { label: 'time', value: (_u, v) => (v == null ? '–' : `${v.toFixed(2)} s`) },
    {
      label: 'completed',
      stroke: c.completed,
      fill: withAlpha(c.completed, 0.15),
      width: 1.5,
      value: (_u, v) => (v == null ? '–' : `${Math.round(v)} /s`),
    },
    {
      label: 'failed or canceled',
      stroke: c.other,
      width: 1.5,
      value: (_u, v) => (v == null ? '–' : `${Math.round(v)} /s`),
    },
  ];
  return o;
}

/**
 * @param {typeof PALETTE.light} c
 * @param {number} width
 * @returns {Options}
 */
function latencyOptions(c, width) {
  const o = base(c, width, HEIGHTS.latency, 's since start', 'time (log scale)');
  o.scales = { x: { time: false }, y: { distr: 3, log: 10 } };
  // A log axis splits every decade nine ways; keep the 1, 2, 5 steps' lines and values.
  /** @type {import('uplot').Axis.Filter} */
  const steps = (_u, splits) => splits.map((v) => (oneTwoFive(v) ? v : null));
  const yAxis = /** @type {import('uplot').Axis[]} */ (o.axes)[1];
  Object.assign(yAxis, {
    size: 56,
    filter: steps,
    grid: { ...yAxis.grid, filter: steps },
    ticks: { ...yAxis.ticks, filter: steps },
    values: (/** @type {unknown} */ _u, /** @type {(number | null)[]} */ splits) =>
      splits.map((v) => (v == null ? '' : duration(v))),
  });
  const ms = (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v == null ? '–' : duration(v));
  o.series = [
    { label: 'time', value: (_u, v) => (v == null ? '–' : `${v.toFixed(2)} s`) },
    { label: 'wait p50', stroke: c.wait, width: 1.5, value: ms },
    { label: 'wait p99', stroke: c.waitTail, width: 1.5, dash: [5, 4], value: ms },
    { label: 'run p50', stroke: c.run, width: 1.5, value: ms },
    { label: 'run p99', stroke: c.runTail, width: 1.5, dash: [5, 4], value: ms },
  ];
  return o;
}

/**
 * A histogram as horizontal bars, one row per bucket, the shortest times on
 * top: the bucket labels stay level and readable on a narrow screen.
 * @param {typeof PALETTE.light} c
 * @param {number} width
 * @param {string} what "wait time" or "run time"
 * @param {string} colour
 * @param {string[]} labels
 * @returns {Options}
 */
function histogramOptions(c, width, what, colour, labels) {
  const o = base(c, width, HEIGHTS.histogram, what, 'jobs');
  const rows = Math.max(1, labels.length);
  o.scales = {
    x: { time: false, ori: 1, dir: -1, range: () => [-0.5, rows - 0.5] },
    y: { ori: 0, dir: 1, range: (_u, _min, max) => [0, niceMax(max)] },
  };
  const [xAxis, yAxis] = /** @type {import('uplot').Axis[]} */ (o.axes);
  Object.assign(xAxis, {
    side: 3,
    size: 64,
    grid: { show: false },
    ticks: { show: false },
    splits: () => labels.map((_, i) => i),
    values: (/** @type {unknown} */ _u, /** @type {number[]} */ splits) => splits.map((i) => labels[i] ?? ''),
  });
  Object.assign(yAxis, {
    side: 2,
    size: 30,
    incrs: COUNT_INCRS,
    values: (/** @type {unknown} */ _u, /** @type {number[]} */ splits) => splits.map(count),
  });
  o.series = [
    { label: what, value: (_u, i) => (i == null ? '–' : (labels[i] ?? '')) },
    {
      label: 'jobs',
      stroke: colour,
      fill: withAlpha(colour, c.bars),
      width: 0,
      paths: uPlot.paths.bars?.({ size: [0.75, 40], align: 0 }),
      points: { show: false },
      value: (_u, v) => (v == null ? '–' : count(v)),
    },
  ];
  o.cursor = { ...o.cursor, points: { show: false } };
  return o;
}

/** Whether `v` is 1, 2 or 5 times a power of ten. @param {number} v */
function oneTwoFive(v) {
  if (!(v > 0)) return false;
  const m = Math.round((v / 10 ** Math.floor(Math.log10(v) + 1e-9)) * 1e6) / 1e6;
  return m === 1 || m === 2 || m === 5;
}

/** A count with thousands separators: 12,345. @param {number} n */
function count(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** A round upper bound for a linear axis from 0. @param {number | null} max */
function niceMax(max) {
  if (max == null || !(max > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (max <= m * step) return m * step;
  return 10 * step;
}

/**
 * `#rrggbb` with an alpha, as rgba().
 * @param {string} hex
 * @param {number} alpha
 */
function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
