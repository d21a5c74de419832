// @ts-check
// The playground: the knobs and the address, the run of a scenario through a
// real pool, and the frame loop that redraws the live views. Only the public
// API of brigade-wasm (./pkg/index.js) is used.
import { Pool } from './pkg/index.js';
import { ensureIsolated } from './pkg/isolate.js';
import { SCENARIOS } from './scenarios.js';
import { RunRecord, OUTCOMES } from './record.js';
import { Lanes, describe } from './lanes.js';
import { Pipeline } from './pipeline.js';
import { createCharts } from './charts.js';
import { downloadTrace } from './trace.js';
import { code } from './code/index.js';

/** @typedef {import('./scenarios.js').Settings} Settings */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));

/** The knobs every scenario has, with their limits. */
const COMMON = /** @type {const} */ ({
  workers: { min: 1, max: 16 },
  queue: { min: 0, max: 1000 },
  jobs: { min: 1, max: 100_000 },
});
/** The results list keeps this many items; the counters keep the totals. */
const MAX_RESULTS = 1000;
/** How often the charts and the scenario's own view refresh. */
const SLOW_MS = 250;

const dark = matchMedia('(prefers-color-scheme: dark)');

// --- settings: the knobs and the address -------------------------------------

/** @returns {Settings} the settings in the address, over the scenario's defaults */
function settingsFromUrl() {
  const params = new URLSearchParams(location.search);
  const name = params.get('scenario') ?? 'kitchen';
  const scenario = name in SCENARIOS ? name : 'kitchen';
  /** @type {Settings} */
  const s = { scenario, ...SCENARIOS[scenario].defaults };
  for (const [k, def] of Object.entries(SCENARIOS[scenario].defaults)) {
    const v = params.get(k);
    if (v === null) continue;
    if (typeof def === 'number') {
      const n = Number(v);
      if (Number.isFinite(n)) s[k] = clampKnob(scenario, k, n);
    } else if (knob(scenario, k)?.options?.some(([value]) => value === v)) {
      s[k] = v;
    }
  }
  return s;
}

/** @param {string} scenario @param {string} key */
function knob(scenario, key) {
  return SCENARIOS[scenario].knobs.find((k) => k.key === key);
}

/** @param {string} scenario @param {string} key @param {number} n */
function clampKnob(scenario, key, n) {
  const limits = key in COMMON ? COMMON[/** @type {keyof typeof COMMON} */ (key)] : knob(scenario, key);
  const min = limits?.min ?? -Infinity;
  const max = limits?.max ?? Infinity;
  const v = Math.min(max, Math.max(min, n));
  return key in COMMON ? Math.round(v) : v;
}

/** @param {Settings} s */
function writeUrl(s) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) params.set(k, String(v));
  history.replaceState(null, '', `?${params}`);
}

/** @type {Settings} */
let settings = settingsFromUrl();

/** Builds the scenario's own knobs and fills every control from `settings`. */
function renderKnobs() {
  const sc = SCENARIOS[settings.scenario];
  /** @type {HTMLSelectElement} */ ($('scenario')).value = String(settings.scenario);
  $('lesson').innerHTML = sc.lesson;
  for (const k of Object.keys(COMMON)) input(k).value = String(settings[k]);
  const box = $('knobs');
  box.replaceChildren();
  for (const k of sc.knobs) {
    const label = document.createElement('label');
    label.append(k.label);
    /** @type {HTMLInputElement | HTMLSelectElement} */
    let control;
    if (k.type === 'select') {
      control = document.createElement('select');
      for (const [value, text] of k.options ?? []) control.append(new Option(text, value));
    } else {
      control = Object.assign(document.createElement('input'), { type: 'number', inputMode: 'decimal' });
      if (k.min !== undefined) control.min = String(k.min);
      if (k.max !== undefined) control.max = String(k.max);
      if (k.step !== undefined) control.step = String(k.step);
    }
    control.id = `knob-${k.key}`;
    control.dataset.testid = k.key;
    control.dataset.key = k.key;
    control.value = String(settings[k.key]);
    control.addEventListener('change', () => onKnob(k.key, control));
    label.append(control);
    box.append(label);
  }
  renderCode();
}

/**
 * A knob changed: keep the value if it is valid, update the address and the
 * code, and resize the running pool if it was the worker count.
 * @param {string} key @param {HTMLInputElement | HTMLSelectElement} control
 */
function onKnob(key, control) {
  if (control instanceof HTMLSelectElement) {
    settings[key] = control.value;
  } else {
    const n = Number(control.value);
    const ok = control.value.trim() !== '' && Number.isFinite(n);
    control.setAttribute('aria-invalid', String(!ok));
    if (!ok) return;
    const v = clampKnob(String(settings.scenario), key, n);
    settings[key] = v;
    if (v !== n) control.value = String(v);
  }
  writeUrl(settings);
  renderCode();
  if (key === 'workers' && current && !current.ended) {
    current.pool.resize(Number(settings.workers));
    current.ctx.s.workers = settings.workers;
  }
}

for (const k of Object.keys(COMMON)) {
  const control = input(k);
  control.addEventListener('change', () => onKnob(k, control));
}
$('scenario').addEventListener('change', () => {
  const name = /** @type {HTMLSelectElement} */ ($('scenario')).value;
  settings = { scenario: name, ...SCENARIOS[name].defaults };
  writeUrl(settings);
  renderKnobs();
  SCENARIOS[name].mount($('scene'), settings);
});

// --- the code panel ----------------------------------------------------------

let lang = 'rust';
function renderCode() {
  const text = code({ ...settings });
  $('code').firstElementChild.textContent = text[/** @type {'rust' | 'js' | 'go'} */ (lang)];
  $('code').dataset.lang = lang;
}
const tabs = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('[role="tab"]')]);
for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i + tabs.length - 1) % tabs.length] : null;
    if (next) {
      e.preventDefault();
      selectTab(next);
      next.focus();
    }
  });
}
/** @param {HTMLButtonElement} tab */
function selectTab(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
  }
  lang = tab.dataset.lang ?? 'rust';
  renderCode();
}

// --- views ---------------------------------------------------------------------

const lanes = new Lanes(/** @type {HTMLCanvasElement} */ ($('lanes')), $('tip'));
const pipeline = new Pipeline({
  producer: $('producer'),
  producerState: $('producer-state'),
  slots: $('slots'),
  fill: $('queue-fill'),
  workers: $('worker-boxes'),
});
const charts = createCharts($('charts'), { dark: dark.matches });
dark.addEventListener('change', () => {
  lanes.recolor();
  charts.setDark(dark.matches);
});
new ResizeObserver(() => charts.resize()).observe($('charts'));

const legend = $('legend');
for (const o of [...OUTCOMES, 'running', 'producer waiting']) {
  const li = document.createElement('li');
  li.dataset.outcome = o.replace(' ', '-');
  li.textContent = o === 'timedout' ? 'timed out' : o;
  legend.append(li);
}

/**
 * The run's state, shown and kept on `body` for scripts and tests:
 * starting, running, done, canceled or error.
 * @param {string} state
 */
function setState(state) {
  $('state').textContent = state;
  document.body.dataset.state = state;
}

/** @param {string} message */
function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
  setState('error');
}

/** @param {unknown} v a job's value, in a few words */
function summary(v) {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${/** @type {Uint8Array} */ (v).length})`;
  if (v && typeof v === 'object') {
    const o = /** @type {Record<string, unknown>} */ (v);
    if ('rgba' in o) return `${o.width}×${o.height} thumbnail`;
    const text = JSON.stringify(v);
    return text.length > 80 ? `${text.slice(0, 77)}…` : text;
  }
  return JSON.stringify(v) ?? 'undefined';
}

// --- a run -----------------------------------------------------------------------

/**
 * @typedef {object} Run
 * @property {Pool} pool
 * @property {RunRecord} rec
 * @property {AbortController} ctl
 * @property {boolean} producing
 * @property {boolean} ended
 * @property {Promise<void>} done
 * @property {import('./record.js').JobRow[]} pending rows not yet in the results list
 * @property {import('./pkg/index.js').Stats | null} stats
 * @property {import('./scenarios.js').RunContext} ctx
 */

/** @type {Run | null} */
let current = null;
let firstRun = true;
let runs = 0;

async function start() {
  if (current && !current.ended) {
    current.ctl.abort(new DOMException('a new run replaced this one', 'AbortError'));
    await current.done;
  }
  $('error').hidden = true;
  const s = { ...settings };
  const sc = SCENARIOS[String(s.scenario)];
  writeUrl(s);
  sc.mount($('scene'), s);
  $('results').replaceChildren();
  $('run-note').textContent = '';
  setState('starting');
  document.body.dataset.runs = String(++runs);
  const pool = await Pool.create(sc.pool(s));
  document.body.dataset.ready = 'true';
  const rec = new RunRecord(String(s.scenario), s);
  const ctl = new AbortController();
  /** @type {Run} */
  const run = {
    pool,
    rec,
    ctl,
    producing: true,
    ended: false,
    done: Promise.resolve(),
    pending: [],
    stats: null,
    ctx: {
      pool,
      s,
      signal: ctl.signal,
      rec,
      scene: $('scene'),
      note: (text) => {
        $('run-note').textContent = text;
      },
    },
  };
  current = run;
  const wasFirst = firstRun;
  firstRun = false;
  const onRecord = (/** @type {Event} */ e) => {
    const row = rec.add(/** @type {CustomEvent} */ (e).detail);
    if (wasFirst && !document.body.dataset.firstResultMs) {
      // performance.now() counts from the start of the page's navigation.
      const ms = Math.round(/** @type {number} */ (rec.firstResultAt));
      document.body.dataset.firstResultMs = String(ms);
      $('first-result').textContent = `This page's first result came ${ms} ms after it started loading.`;
    }
    run.pending.push(row);
    if (run.pending.length > MAX_RESULTS) run.pending.splice(0, run.pending.length - MAX_RESULTS);
    sc.paint?.(run.ctx, row);
  };
  pool.addEventListener('result', onRecord);
  pool.addEventListener('error', onRecord);
  if (sc.producer !== false) pool.addEventListener('full', () => rec.producerBlocked());
  lanes.reset(rec, Number(s.workers));
  pipeline.reset(Number(s.queue));
  charts.reset();
  $('cancel').toggleAttribute('disabled', false);
  $('export-trace').toggleAttribute('disabled', false);
  setState('running');
  run.done = (async () => {
    try {
      await sc.produce(run.ctx);
    } finally {
      run.producing = false;
      rec.producerDone();
      pool.close();
    }
    // Every job's event has fired once the pool is idle; then the workers exit.
    await pool.onIdle();
    await pool.drain();
    rec.end();
    await sc.finish?.(run.ctx);
  })()
    // A canceled run's pending calls reject with the cancel's reason.
    .catch((e) => {
      if (!(ctl.signal.aborted && e === ctl.signal.reason)) showError(`${e.name}: ${e.message}`);
    })
    .finally(() => {
      run.ended = true;
      try {
        run.stats = pool.stats();
      } catch {
        // The module trapped: the error above says so; the views keep the last stats.
      }
      if (document.body.dataset.state !== 'error') setState(ctl.signal.aborted ? 'canceled' : 'done');
      $('cancel').toggleAttribute('disabled', true);
      draw(true);
    });
  await run.done;
}

$('run').addEventListener('click', () => start().catch((e) => showError(`${e.name}: ${e.message}`)));
$('cancel').addEventListener('click', () => {
  current?.ctl.abort(new DOMException('canceled by the user', 'AbortError'));
});
$('export-trace').addEventListener('click', () => {
  if (current) downloadTrace(current.rec, { workers: Number(current.rec.settings.workers) });
});

// --- the frame loop ------------------------------------------------------------------

let lastSlow = 0;

/** Redraws every live view; `final` forces the slow ones too. @param {boolean} [final] */
function draw(final = false) {
  const run = current;
  if (!run) return;
  const now = performance.now();
  const stats = run.ended ? run.stats : run.pool.stats();
  if (!stats) return;
  const running = run.ended ? [] : run.pool.running();
  const rec = run.rec;
  rec.sample({ queued: stats.queued, busy: running.length, workers: stats.workers });
  pipeline.update({
    queued: stats.queued,
    // A drained pool's workers have exited; show the ones the run had, idle.
    workers: run.ended ? Number(rec.settings.workers) : stats.workers,
    running,
    waiting: rec.producerWaiting,
    producing: run.producing,
  });
  lanes.draw(running, now);
  const set = (/** @type {string} */ id, /** @type {number} */ v) => {
    const e = /** @type {HTMLElement} */ (document.querySelector(`[data-testid="${id}"]`));
    const text = String(v);
    if (e.textContent !== text) e.textContent = text;
  };
  set('stat-submitted', stats.submitted);
  set('stat-completed', rec.counts.completed);
  set('stat-failed', rec.counts.failed);
  set('stat-canceled', rec.counts.canceled);
  set('stat-queued', stats.queued);
  set('stat-busy', running.length);
  set('stat-retried', stats.retried);
  set('stat-throttled', stats.rateLimitedWaits);
  flushResults(run);
  if (final || now - lastSlow > SLOW_MS) {
    lastSlow = now;
    charts.update(rec, stats);
    SCENARIOS[rec.scenario].tick?.(run.ctx, stats);
  }
}

/** Puts the rows that ended since the last frame at the top of the results list. @param {Run} run */
function flushResults(run) {
  if (run.pending.length === 0) return;
  const list = $('results');
  const frag = document.createDocumentFragment();
  for (let i = run.pending.length - 1; i >= 0; i--) {
    const r = run.pending[i];
    const li = document.createElement('li');
    li.dataset.testid = 'result';
    li.dataset.id = String(r.id);
    li.dataset.outcome = r.outcome;
    if (r.worker !== null) li.dataset.worker = String(r.worker);
    li.title = describe(r);
    const head = r.outcome === 'ok' || r.outcome === 'retried' ? `→ ${summary(r.value)}` : `✗ ${r.error?.name}: ${r.error?.message}`;
    const where = r.worker === null ? 'never ran' : `worker ${r.worker}, ${r.runMs.toFixed(0)} ms`;
    li.textContent = `#${r.id} ${r.kind} ${head} (${where}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''})`;
    frag.append(li);
  }
  run.pending = [];
  list.prepend(frag);
  let extra = list.childElementCount - MAX_RESULTS;
  while (extra-- > 0) list.lastElementChild?.remove();
}

function frame() {
  if (current && (!current.ended || current.pending.length)) draw();
  requestAnimationFrame(frame);
}

// --- start -------------------------------------------------------------------------

renderKnobs();
SCENARIOS[String(settings.scenario)].mount($('scene'), settings);
requestAnimationFrame(frame);
new ResizeObserver(() => {
  if (current?.ended) draw(true);
}).observe($('lanes'));
dark.addEventListener('change', () => {
  if (current?.ended) draw(true);
});
// Without COOP/COEP headers, sw.js adds them (one reload); where it cannot,
// Pool.create rejects with NotIsolatedError, which says what to do.
ensureIsolated()
  .then(() => start())
  .catch((e) => showError(`${e.name}: ${e.message}`));
