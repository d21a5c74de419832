// @ts-check
// The timeline: one lane per worker, each job a bar from its start to its end
// coloured by its outcome, running jobs growing at the right edge, and a top
// lane that is red while the producer waits for room in the queue. Drawn on a
// canvas once per frame; a bar's details show on hover, on tap, and with the
// arrow keys when the canvas has focus.

/**
 * @typedef {import('./record.js').RunRecord} RunRecord
 * @typedef {import('./record.js').JobRow} JobRow
 * @typedef {import('./pkg/index.js').RunningJob} RunningJob
 * @typedef {{ x: number, y: number, w: number, h: number, row: JobRow | null, running?: RunningJob }} Hit
 */

const LANE = 20;
const GUTTER = 74;
const AXIS = 18;
/** While a run goes, the window shows at most this much of its end. */
const WINDOW_MS = 15_000;

/** The colours, from the page's CSS custom properties (light or dark). */
function palette() {
  const css = getComputedStyle(document.documentElement);
  const v = (/** @type {string} */ name) => css.getPropertyValue(name).trim();
  return {
    text: v('--text'),
    muted: v('--muted'),
    grid: v('--grid'),
    lane: v('--lane'),
    running: v('--running'),
    wait: v('--wait'),
    outcome: /** @type {Record<string, string>} */ ({
      ok: v('--ok'),
      retried: v('--retried'),
      failed: v('--failed'),
      timedout: v('--timedout'),
      canceled: v('--canceled'),
      panicked: v('--panicked'),
    }),
  };
}

/** A step between ticks that puts about `n` of them across `span` ms. @param {number} span @param {number} n */
function tickStep(span, n) {
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** A tick's label: milliseconds under 2 s of span, else seconds. @param {number} ms @param {number} step */
function fmtTime(ms, step) {
  if (step < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(step % 1000 === 0 ? 0 : 1)} s`;
}

/** @param {JobRow} r */
export function describe(r) {
  const lines = [
    `job ${r.id} · ${r.kind} · ${r.outcome}`,
    r.worker === null ? 'never started' : `worker ${r.worker}`,
    `waited ${r.queuedMs.toFixed(1)} ms, ran ${r.runMs.toFixed(1)} ms`,
  ];
  if (r.attempts > 1) lines.push(`${r.attempts} attempts`);
  if (r.error) lines.push(`${r.error.name}: ${r.error.message}`);
  return lines.join('\n');
}

export class Lanes {
  /** @param {HTMLCanvasElement} canvas @param {HTMLElement} tip */
  constructor(canvas, tip) {
    this.canvas = canvas;
    this.tip = tip;
    this.colors = palette();
    /** @type {Hit[]} what the last frame drew, for hit tests */
    this.hits = [];
    /** Worker indices that have a lane, in order. @type {number[]} */
    this.lanes = [];
    /** The finished job the keyboard selected. */
    this.selected = -1;
    /** @type {RunRecord | null} */
    this.rec = null;
    /** Whether the tip stays up (it was tapped or chosen by keyboard). */
    this.pinned = false;
    canvas.addEventListener('pointermove', (e) => {
      if (!this.pinned) this.#showAt(e.offsetX, e.offsetY);
    });
    canvas.addEventListener('pointerleave', () => {
      if (!this.pinned) this.tip.hidden = true;
    });
    canvas.addEventListener('click', (e) => {
      const shown = this.#showAt(e.offsetX, e.offsetY);
      this.pinned = shown;
    });
    canvas.addEventListener('keydown', (e) => this.#key(e));
    canvas.addEventListener('blur', () => {
      this.pinned = false;
      this.tip.hidden = true;
    });
  }

  /** Re-reads the colours (the colour scheme changed). */
  recolor() {
    this.colors = palette();
  }

  /** @param {RunRecord} rec @param {number} workers */
  reset(rec, workers) {
    this.rec = rec;
    this.lanes = Array.from({ length: workers }, (_, i) => i);
    this.selected = -1;
    this.pinned = false;
    this.tip.hidden = true;
  }

  /** @param {number} w */
  #lane(w) {
    let i = this.lanes.indexOf(w);
    if (i < 0) {
      this.lanes.push(w);
      this.lanes.sort((a, b) => a - b);
      i = this.lanes.indexOf(w);
    }
    return i;
  }

  /**
   * Draws the frame at `now`.
   * @param {RunningJob[]} running
   * @param {number} now
   */
  draw(running, now) {
    const rec = this.rec;
    const canvas = this.canvas;
    const c = this.colors;
    for (const r of running) this.#lane(r.worker);
    const width = canvas.clientWidth || 600;
    const rows = this.lanes.length + 1;
    const height = AXIS + rows * LANE + 4;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.height = `${height}px`;
    }
    const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    this.hits = [];
    if (!rec) return;

    const end = rec.t1 ?? now;
    const elapsed = Math.max(end - rec.t0, 1);
    const live = rec.t1 === null;
    const span = live ? Math.max(2000, Math.min(elapsed, WINDOW_MS)) : elapsed;
    const from = live ? Math.max(rec.t0, end - span) : rec.t0;
    const plot = width - GUTTER - 6;
    const x = (/** @type {number} */ t) => GUTTER + ((t - from) / span) * plot;

    // Lanes and labels.
    g.fillStyle = c.muted;
    g.fillText('producer', 6, AXIS + LANE / 2);
    this.lanes.forEach((w, i) => {
      const y = AXIS + (i + 1) * LANE;
      g.fillStyle = c.lane;
      g.fillRect(GUTTER, y + 1, plot, LANE - 2);
      g.fillStyle = c.muted;
      g.fillText(`worker ${w}`, 6, y + LANE / 2);
    });

    // Time axis: seconds since the run started.
    const step = tickStep(span, Math.max(2, Math.floor(plot / 90)));
    g.strokeStyle = c.grid;
    g.fillStyle = c.muted;
    g.lineWidth = 1;
    const firstTick = Math.ceil((from - rec.t0) / step) * step;
    for (let t = firstTick; t <= end - rec.t0 + 0.5; t += step) {
      const px = Math.round(x(rec.t0 + t)) + 0.5;
      g.beginPath();
      g.moveTo(px, AXIS - 4);
      g.lineTo(px, height);
      g.stroke();
      g.fillText(fmtTime(t, step), px + 3, AXIS / 2);
    }

    // The producer's waits for room.
    g.fillStyle = c.wait;
    for (let i = rec.producerWaits.length - 1; i >= 0; i--) {
      const [s, e] = rec.producerWaits[i];
      const stop = e ?? end;
      if (stop < from) break;
      const x0 = x(Math.max(s, from));
      g.fillRect(x0, AXIS + 3, Math.max(1.5, x(stop) - x0), LANE - 6);
    }

    // Finished jobs, newest first, until they end before the window (rows
    // come in completion order, so they are nearly sorted by their end).
    const fin = rec.finished;
    for (let i = fin.length - 1; i >= 0; i--) {
      const r = fin[i];
      if (r.endedAt < from - 2000) break;
      if (r.worker === null || r.startedAt === null || r.endedAt < from) continue;
      const y = AXIS + (this.#lane(r.worker) + 1) * LANE + 2;
      const x0 = x(Math.max(r.startedAt, from));
      const w = Math.max(1, x(r.endedAt) - x0 - 1);
      g.fillStyle = c.outcome[r.outcome];
      g.fillRect(x0, y, w, LANE - 4);
      if (w > 30) {
        g.fillStyle = '#fff';
        g.fillText(String(r.id), x0 + 3, y + (LANE - 4) / 2, w - 5);
      }
      this.hits.push({ x: x0, y, w, h: LANE - 4, row: r });
    }

    // Jobs running now.
    for (const r of running) {
      const y = AXIS + (this.#lane(r.worker) + 1) * LANE + 2;
      const x0 = x(Math.max(r.startedAt, from));
      const w = Math.max(2, x(now) - x0);
      g.fillStyle = c.running;
      g.fillRect(x0, y, w, LANE - 4);
      if (w > 30) {
        g.fillStyle = '#fff';
        g.fillText(String(r.id), x0 + 3, y + (LANE - 4) / 2, w - 5);
      }
      this.hits.push({ x: x0, y, w, h: LANE - 4, row: null, running: r });
    }

    if (this.selected >= 0 && this.pinned) {
      const hit = this.hits.find((h) => h.row === fin[this.selected]);
      if (hit) {
        g.strokeStyle = c.text;
        g.lineWidth = 2;
        g.strokeRect(hit.x - 1, hit.y - 1, hit.w + 2, hit.h + 2);
      }
    }
  }

  /** Shows the tip for what is under (px, py); returns whether something was. @param {number} px @param {number} py */
  #showAt(px, py) {
    const hit = this.hits.find((h) => px >= h.x && px <= h.x + Math.max(h.w, 3) && py >= h.y && py <= h.y + h.h);
    if (!hit) {
      this.tip.hidden = true;
      return false;
    }
    this.#tip(
      hit.row ? describe(hit.row) : `job ${hit.running?.id} · running on worker ${hit.running?.worker}`,
      px,
      py,
    );
    return true;
  }

  /** @param {string} text @param {number} px @param {number} py */
  #tip(text, px, py) {
    this.tip.textContent = text;
    this.tip.hidden = false;
    const maxLeft = this.canvas.clientWidth - this.tip.offsetWidth - 4;
    this.tip.style.left = `${Math.max(0, Math.min(px + 12, maxLeft))}px`;
    this.tip.style.top = `${py + 14}px`;
  }

  /** Arrow keys walk through the finished jobs; Escape hides the tip. @param {KeyboardEvent} e */
  #key(e) {
    const fin = this.rec?.finished ?? [];
    if (e.key === 'Escape') {
      this.pinned = false;
      this.tip.hidden = true;
      return;
    }
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key) || fin.length === 0) return;
    e.preventDefault();
    if (this.selected < 0 || this.selected >= fin.length) this.selected = fin.length - 1;
    else if (e.key === 'ArrowLeft') this.selected = Math.max(0, this.selected - 1);
    else if (e.key === 'ArrowRight') this.selected = Math.min(fin.length - 1, this.selected + 1);
    else if (e.key === 'Home') this.selected = 0;
    else this.selected = fin.length - 1;
    this.pinned = true;
    const hit = this.hits.find((h) => h.row === fin[this.selected]);
    this.#tip(describe(fin[this.selected]), hit ? hit.x : 8, hit ? hit.y : 8);
  }
}
