// @ts-check
// The playground's five scenarios. Each is real work through the real pool:
// what the pool is created with, the knobs of its own, and a producer that
// submits the jobs. Results reach the page as the pool's `result` and `error`
// events (main.js records them); `paint` shows what a finished job made.

/**
 * @typedef {import('./pkg/index.js').Pool} Pool
 * @typedef {import('./pkg/index.js').PoolOptions} PoolOptions
 * @typedef {import('./record.js').RunRecord} RunRecord
 * @typedef {import('./record.js').JobRow} JobRow
 * @typedef {Record<string, number | string>} Settings
 *
 * @typedef {object} Knob
 * @property {string} key
 * @property {string} label
 * @property {'number' | 'select'} type
 * @property {number} [min]
 * @property {number} [max]
 * @property {number} [step]
 * @property {string[][]} [options] value, label
 * @property {string} [title]
 *
 * @typedef {object} RunContext
 * @property {Pool} pool
 * @property {Settings} s
 * @property {AbortSignal} signal
 * @property {RunRecord} rec
 * @property {HTMLElement} scene the scenario's own view
 * @property {(text: string) => void} note a line under the timeline
 *
 * @typedef {object} Scenario
 * @property {string} title
 * @property {string} lesson what the scenario teaches, as HTML
 * @property {Settings} defaults every setting, the common ones included
 * @property {Knob[]} knobs the scenario's own knobs
 * @property {boolean} [producer] false where no single producer submits in
 *   order (a group's jobs wait each on its own), so no producer lane is drawn
 * @property {(s: Settings) => PoolOptions} pool
 * @property {(scene: HTMLElement, s: Settings) => void} mount sets up the scene before a run
 * @property {(ctx: RunContext) => Promise<void>} produce submits the jobs (and, for a group, waits for it)
 * @property {(ctx: RunContext, row: JobRow) => void} [paint] shows a finished job in the scene
 * @property {(ctx: RunContext, stats: import('./pkg/index.js').Stats) => void} [tick] refreshes the scene
 *   from the pool's stats, a few times a second
 * @property {(ctx: RunContext) => Promise<void>} [finish] after every job ended
 */

const HANDLERS = new URL('./jobs.js', import.meta.url);

/** @param {number} ms @param {AbortSignal} signal */
function pause(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const t = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', done);
      clearTimeout(t);
      resolve(undefined);
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A cook's time for one order.
 * @param {string} shape fixed, uniform or longtail
 * @param {number} mean ms
 */
export function cookTime(shape, mean) {
  switch (shape) {
    case 'uniform':
      return Math.round(Math.random() * 2 * mean);
    case 'longtail': {
      // Log-normal with the given mean: most orders are quick, a few take ages.
      const sigma = 1;
      const mu = Math.log(mean) - (sigma * sigma) / 2;
      const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
      return Math.round(Math.exp(mu + sigma * z));
    }
    default:
      return mean;
  }
}

/**
 * Submits `count` jobs, one after another; `submit` waits while the queue is
 * full, which is the producer blocking. `rate` > 0 spaces them out.
 * @param {RunContext} ctx
 * @param {number} count
 * @param {number} rate jobs per second, 0 = as fast as the queue takes them
 * @param {(i: number) => Promise<[string, unknown]> | [string, unknown]} job kind and input of job i (from 1)
 */
async function producer({ pool, signal, rec }, count, rate, job) {
  const t0 = performance.now();
  for (let i = 1; i <= count && !signal.aborted; i++) {
    if (rate > 0) {
      const due = t0 + ((i - 1) * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await pause(wait, signal);
      if (signal.aborted) break;
    }
    const [kind, input] = await job(i);
    if (signal.aborted) break;
    try {
      await pool.submit(kind, input, { signal });
    } catch (e) {
      // Canceled while it waited for room: the job was never queued.
      if (signal.aborted) break;
      throw e;
    }
    rec.producerAccepted();
  }
}

/** @param {string} tag @param {Record<string, string>} [attrs] @param {string} [text] */
function el(tag, attrs = {}, text = '') {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

// --- kitchen ----------------------------------------------------------------

/** @type {Scenario} */
const kitchen = {
  title: 'Kitchen',
  lesson:
    'The producer (a waiter) puts orders on the pass, a queue with a fixed number of slots; ' +
    'cooks (workers) take them when free. <b>When every slot is full the producer waits</b>: ' +
    'that is backpressure. Set <b>queue slots</b> to 0 for an unbuffered hand-off, where each ' +
    'order waits for a free cook; add workers and watch the queue drain.',
  defaults: {
    workers: 3,
    queue: 5,
    jobs: 60,
    rate: 0,
    duration: 'uniform',
    ms: 400,
    failRate: 0.05,
    timeoutMs: 0,
  },
  knobs: [
    { key: 'rate', label: 'producer rate (jobs/s, 0 = as fast as it can)', type: 'number', min: 0, max: 100000, step: 1 },
    {
      key: 'duration',
      label: 'job duration',
      type: 'select',
      options: [
        ['fixed', 'fixed'],
        ['uniform', 'uniform (0 to 2× mean)'],
        ['longtail', 'long tail (log-normal)'],
      ],
    },
    { key: 'ms', label: 'mean job time (ms)', type: 'number', min: 0, max: 60000, step: 10 },
    { key: 'failRate', label: 'failure rate (0 to 1)', type: 'number', min: 0, max: 1, step: 0.01 },
    { key: 'timeoutMs', label: 'per-job timeout (ms, 0 = none)', type: 'number', min: 0, max: 600000, step: 10 },
  ],
  pool: (s) => ({
    workers: Number(s.workers),
    queue: Number(s.queue),
    handlers: HANDLERS,
    ...(Number(s.timeoutMs) > 0 ? { timeoutMs: Number(s.timeoutMs) } : {}),
  }),
  mount(scene) {
    scene.replaceChildren(
      el(
        'p',
        { class: 'scene-note' },
        'Each order is a cook() call in a JavaScript handler module (jobs.js) on a Web Worker. ' +
          'The timeline above is the picture: the top lane shows when the producer was blocked.',
      ),
    );
  },
  produce: (ctx) =>
    producer(ctx, Number(ctx.s.jobs), Number(ctx.s.rate), (i) => [
      'cook',
      { order: i, ms: cookTime(String(ctx.s.duration), Number(ctx.s.ms)), failRate: Number(ctx.s.failRate) },
    ]),
};

// --- thumbnails -------------------------------------------------------------

/** Files the user dropped or picked, used instead of generated images. @type {File[]} */
let pickedFiles = [];

/**
 * A generated picture: a few soft blobs of colour on a gradient, different for each i.
 * @param {number} i
 * @param {number} side
 */
function generateImage(i, side) {
  const rgba = new Uint8Array(side * side * 4);
  const hue = (i * 137.508) % 360;
  const blobs = Array.from({ length: 4 }, (_, k) => ({
    x: (Math.sin(i * 1.7 + k * 2.1) * 0.35 + 0.5) * side,
    y: (Math.cos(i * 1.3 + k * 1.9) * 0.35 + 0.5) * side,
    r: side * (0.12 + 0.06 * k),
    c: hsl((hue + k * 70) % 360, 0.7, 0.55),
  }));
  const bg1 = hsl(hue, 0.45, 0.85);
  const bg2 = hsl((hue + 40) % 360, 0.5, 0.35);
  for (let y = 0; y < side; y++) {
    const t = y / side;
    for (let x = 0; x < side; x++) {
      let r = bg1[0] * (1 - t) + bg2[0] * t;
      let g = bg1[1] * (1 - t) + bg2[1] * t;
      let b = bg1[2] * (1 - t) + bg2[2] * t;
      for (const blob of blobs) {
        const dx = x - blob.x;
        const dy = y - blob.y;
        const a = Math.max(0, 1 - (dx * dx + dy * dy) / (blob.r * blob.r));
        r += (blob.c[0] - r) * a;
        g += (blob.c[1] - g) * a;
        b += (blob.c[2] - b) * a;
      }
      const o = (y * side + x) * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}

/** @param {number} h @param {number} s @param {number} l @returns {number[]} */
function hsl(h, s, l) {
  const f = (/** @type {number} */ n) => {
    const k = (n + h / 30) % 12;
    return 255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1)));
  };
  return [f(0), f(8), f(4)];
}

/**
 * Reads a picked image file as RGBA pixels (scaled so its longest side is at most 1024).
 * @param {File} file
 */
async function readImage(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1024 / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const g = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  g.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const data = g.getImageData(0, 0, width, height).data;
  return { width, height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Thumbnails kept on screen; older ones scroll away. */
const MAX_THUMBS = 240;

/** @type {Scenario} */
const thumbnails = {
  title: 'Thumbnails',
  lesson:
    'The articles’ “resize 10,000 images”: each job turns one image into a thumbnail with ' +
    'the built-in Rust <code>thumbnail</code> kind. The images are drawn on the page (or are ' +
    'the files you drop here); each thumbnail appears the moment its job finishes, in whatever ' +
    'order the workers finish them.',
  defaults: { workers: 2, queue: 4, jobs: 120, size: 384, maxSide: 72 },
  knobs: [
    { key: 'size', label: 'source image side (px)', type: 'number', min: 16, max: 2048, step: 16 },
    { key: 'maxSide', label: 'thumbnail side (px)', type: 'number', min: 8, max: 256, step: 4 },
  ],
  pool: (s) => ({ workers: Number(s.workers), queue: Number(s.queue) }),
  mount(scene) {
    const drop = el('label', { class: 'drop', 'data-testid': 'drop' });
    const input = /** @type {HTMLInputElement} */ (
      el('input', { type: 'file', accept: 'image/*', multiple: '', 'data-testid': 'files' })
    );
    const text = el(
      'span',
      {},
      pickedFiles.length
        ? `${pickedFiles.length} picked image(s) will be used; drop others to replace them.`
        : 'Drop images here or pick files to thumbnail your own; otherwise the page draws them.',
    );
    input.addEventListener('change', () => {
      pickedFiles = [...(input.files ?? [])];
      text.textContent = `${pickedFiles.length} image(s) picked: press Run.`;
    });
    drop.addEventListener('dragover', (e) => e.preventDefault());
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      pickedFiles = [...(e.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/'));
      text.textContent = `${pickedFiles.length} image(s) dropped: press Run.`;
    });
    drop.append(text, input);
    scene.replaceChildren(drop, el('div', { class: 'thumbs', 'data-testid': 'thumbs' }));
  },
  async produce(ctx) {
    const files = pickedFiles;
    const count = files.length || Number(ctx.s.jobs);
    if (files.length) ctx.note(`Using the ${files.length} picked image(s) instead of ${ctx.s.jobs} drawn ones.`);
    const side = Number(ctx.s.size);
    const maxSide = Number(ctx.s.maxSide);
    await producer(ctx, count, 0, async (i) => {
      if (files.length) return ['thumbnail', { ...(await readImage(files[i - 1])), maxSide }];
      return ['thumbnail', { width: side, height: side, rgba: generateImage(i, side), maxSide }];
    });
  },
  paint(ctx, row) {
    const v = /** @type {{ width: number, height: number, rgba: Uint8Array } | null} */ (row.value);
    if (!v || !v.rgba) return;
    const grid = ctx.scene.querySelector('.thumbs');
    if (!grid) return;
    const c = /** @type {HTMLCanvasElement} */ (el('canvas', { width: String(v.width), height: String(v.height) }));
    c.title = `job ${row.id} on worker ${row.worker}: ${row.runMs.toFixed(1)} ms`;
    const g = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    g.putImageData(new ImageData(new Uint8ClampedArray(v.rgba), v.width, v.height), 0, 0);
    grid.prepend(c);
    while (grid.childElementCount > MAX_THUMBS) grid.lastElementChild?.remove();
  },
};

// --- mandelbrot -------------------------------------------------------------

const MB = { width: 480, height: 360, cx: -0.6, cy: 0, span: 3.2 };

/** The input of strip `i` of `n` (rows [top, bottom)). @param {number} i @param {number} n @param {number} maxIter */
export function strip(i, n, maxIter) {
  const top = Math.floor((i * MB.height) / n);
  const bottom = Math.floor(((i + 1) * MB.height) / n);
  const scale = MB.span / MB.width;
  return {
    top,
    input: {
      x: MB.cx - (MB.width / 2) * scale,
      y: MB.cy - (MB.height / 2) * scale + top * scale,
      width: MB.width,
      height: bottom - top,
      scale,
      maxIter,
    },
  };
}

/**
 * Paints iteration counts into a canvas's rows starting at `top`.
 * @param {HTMLCanvasElement} canvas @param {Uint16Array} it @param {number} top @param {number} height @param {number} maxIter
 */
function paintStrip(canvas, it, top, height, maxIter) {
  if (height <= 0) return;
  const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const img = g.createImageData(MB.width, height);
  const d = img.data;
  const log = Math.log(maxIter + 1);
  for (let k = 0; k < it.length; k++) {
    const n = it[k];
    const o = k * 4;
    if (n >= maxIter) {
      d[o] = 12;
      d[o + 1] = 14;
      d[o + 2] = 30;
    } else {
      const t = Math.log(n + 1) / log;
      d[o] = 255 * Math.min(1, t * 1.6);
      d[o + 1] = 255 * t * t;
      d[o + 2] = 255 * Math.min(1, 0.35 + t * 0.9) * (1 - t * 0.5);
    }
    d[o + 3] = 255;
  }
  g.putImageData(img, 0, top);
}

/**
 * Renders the whole image as `n` strips on a fresh pool and returns the time
 * it took, from the first submission to the last strip.
 * @param {typeof import('./pkg/index.js').Pool} Pool
 * @param {PoolOptions} options
 * @param {number} n
 * @param {number} maxIter
 * @param {AbortSignal} signal
 */
async function timeRender(Pool, options, n, maxIter, signal, parallel = false) {
  const pool = await Pool.create(options);
  try {
    // Warm the workers (their start-up is not rendering).
    await Promise.all(Array.from({ length: options.workers ?? 1 }, () => pool.run('echo', 0)));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, (_, i) => pool.run('mandelbrot', { ...strip(i, n, maxIter).input, parallel }, { signal })),
    );
    return performance.now() - t0;
  } finally {
    pool.close();
    await pool.drain();
  }
}

/** @type {Scenario} */
const mandelbrot = {
  title: 'Mandelbrot',
  lesson:
    'A 480×360 Mandelbrot image split into strips, one job each, rendered by the Rust ' +
    '<code>mandelbrot</code> kind. Strips paint as they finish. Afterwards the page times the ' +
    'same image with your workers, with 1 worker, and as a single job that splits its rows ' +
    'across a rayon pool (<code>rayonThreads</code>), and shows the speed-ups. More workers ' +
    'than cores cannot help: the speed-up stops at the core count.',
  defaults: { workers: 2, queue: 4, jobs: 48, maxIter: 600 },
  knobs: [{ key: 'maxIter', label: 'max iterations', type: 'number', min: 16, max: 20000, step: 16 }],
  pool: (s) => ({ workers: Number(s.workers), queue: Number(s.queue) }),
  mount(scene) {
    const canvas = el('canvas', {
      width: String(MB.width),
      height: String(MB.height),
      class: 'mandel',
      'data-testid': 'mandelbrot-canvas',
      'aria-label': 'the Mandelbrot set, painted strip by strip',
    });
    const table = el('table', { class: 'speedup' });
    table.innerHTML =
      '<tr><th>render</th><th>time</th><th>speed-up over 1 worker</th></tr>' +
      '<tr><td>your workers</td><td data-testid="time-n">…</td><td><output data-testid="speedup">…</output></td></tr>' +
      '<tr><td>1 worker</td><td data-testid="time-1">…</td><td>1</td></tr>' +
      '<tr><td>1 job, rayon inside</td><td data-testid="time-rayon">…</td><td><output data-testid="speedup-rayon">…</output></td></tr>';
    scene.replaceChildren(canvas, table);
  },
  async produce(ctx) {
    const n = Math.min(Number(ctx.s.jobs), MB.height);
    if (n < Number(ctx.s.jobs)) ctx.note(`The image has ${MB.height} rows, so ${n} strips.`);
    const maxIter = Number(ctx.s.maxIter);
    await producer(ctx, n, 0, (i) => ['mandelbrot', strip(i - 1, n, maxIter).input]);
  },
  paint(ctx, row) {
    if (!(row.value instanceof Uint16Array)) return;
    const n = Math.min(Number(ctx.s.jobs), MB.height);
    // Job ids start at 1 in a fresh pool, in submission order: strip id - 1.
    const { top, input } = strip(row.id - 1, n, Number(ctx.s.maxIter));
    const canvas = /** @type {HTMLCanvasElement | null} */ (ctx.scene.querySelector('canvas.mandel'));
    if (canvas) paintStrip(canvas, row.value, top, input.height, Number(ctx.s.maxIter));
  },
  async finish(ctx) {
    const { Pool } = await import('./pkg/index.js');
    const n = Math.min(Number(ctx.s.jobs), MB.height);
    const maxIter = Number(ctx.s.maxIter);
    const workers = Number(ctx.s.workers);
    const q = (/** @type {string} */ id) => /** @type {HTMLElement} */ (ctx.scene.querySelector(`[data-testid="${id}"]`));
    if (ctx.signal.aborted || ctx.rec.counts.completed < n) return;
    // Each render is timed the same way, on a fresh pool whose workers have
    // started, with no painting on the page while it runs.
    ctx.note(`Timing the same image with ${workers} workers, with 1 worker, and as one rayon job…`);
    const tN = await timeRender(Pool, { workers, queue: Number(ctx.s.queue) }, n, maxIter, ctx.signal);
    q('time-n').textContent = `${tN.toFixed(0)} ms (${workers} workers)`;
    const t1 = await timeRender(Pool, { workers: 1, queue: Number(ctx.s.queue) }, n, maxIter, ctx.signal);
    q('time-1').textContent = `${t1.toFixed(0)} ms`;
    q('speedup').textContent = (t1 / tN).toFixed(2);
    const threads = Math.max(2, navigator.hardwareConcurrency || 2);
    const tR = await timeRender(Pool, { workers: 1, queue: 1, rayonThreads: threads }, 1, maxIter, ctx.signal, true);
    q('time-rayon').textContent = `${tR.toFixed(0)} ms (${threads} rayon threads)`;
    q('speedup-rayon').textContent = (t1 / tR).toFixed(2);
    ctx.note(
      `${workers} workers rendered it ${(t1 / tN).toFixed(2)}× as fast as 1 worker; this device ` +
        `reports ${navigator.hardwareConcurrency || '?'} cores, the most workers that can run at once.`,
    );
  },
};

// --- emails -------------------------------------------------------------------

/** @type {Scenario} */
const emails = {
  title: 'Emails',
  lesson:
    'The articles’ email workers against a flaky mail API (a JavaScript handler, jobs.js): ' +
    'a token bucket (<code>rateLimit</code>) lets at most <i>per second</i> sends start, and a ' +
    'failed send is retried with exponential backoff and jitter (<code>retry</code>). Amber bars ' +
    'succeeded after a retry; <b>throttled</b> counts starts that waited for a token.',
  defaults: {
    workers: 4,
    queue: 8,
    jobs: 60,
    latencyMs: 120,
    failRate: 0.3,
    perSecond: 20,
    burst: 4,
    attempts: 4,
    baseMs: 50,
  },
  knobs: [
    { key: 'latencyMs', label: 'API latency (ms)', type: 'number', min: 0, max: 10000, step: 10 },
    { key: 'failRate', label: 'API failure rate (0 to 1)', type: 'number', min: 0, max: 1, step: 0.05 },
    { key: 'perSecond', label: 'rate limit (sends/s)', type: 'number', min: 0.1, max: 10000, step: 1 },
    { key: 'burst', label: 'burst (tokens)', type: 'number', min: 1, max: 1000, step: 1 },
    { key: 'attempts', label: 'attempts (1 = no retry)', type: 'number', min: 1, max: 100, step: 1 },
    { key: 'baseMs', label: 'first backoff (ms)', type: 'number', min: 0, max: 60000, step: 10 },
  ],
  pool: (s) => ({
    workers: Number(s.workers),
    queue: Number(s.queue),
    handlers: HANDLERS,
    rateLimit: { perSecond: Number(s.perSecond), burst: Number(s.burst) },
    retry: { attempts: Number(s.attempts), baseMs: Number(s.baseMs), maxMs: Math.max(Number(s.baseMs), 2000) },
  }),
  mount(scene) {
    const dl = el('dl', { class: 'mail-stats' });
    dl.innerHTML =
      '<div><dt>sent</dt><dd data-testid="mail-sent">0</dd></div>' +
      '<div><dt>sent after a retry</dt><dd data-testid="mail-retried">0</dd></div>' +
      '<div><dt>retries in all</dt><dd data-testid="mail-retries">0</dd></div>' +
      '<div><dt>throttled starts</dt><dd data-testid="mail-throttled">0</dd></div>' +
      '<div><dt>failed for good</dt><dd data-testid="mail-failed">0</dd></div>';
    scene.replaceChildren(dl);
  },
  produce: (ctx) =>
    producer(ctx, Number(ctx.s.jobs), 0, (i) => [
      'sendEmail',
      { to: `user${i}@example.com`, latencyMs: Number(ctx.s.latencyMs), failRate: Number(ctx.s.failRate) },
    ]),
  tick(ctx, stats) {
    const c = ctx.rec.counts;
    const set = (/** @type {string} */ id, /** @type {number} */ v) => {
      const e = ctx.scene.querySelector(`[data-testid="${id}"]`);
      if (e) e.textContent = String(v);
    };
    set('mail-sent', c.completed);
    set('mail-retried', c.retried);
    set('mail-retries', stats.retried);
    set('mail-throttled', stats.rateLimitedWaits);
    set('mail-failed', c.failed);
  },
};

// --- errgroup -----------------------------------------------------------------

/** @type {Scenario} */
const errgroup = {
  title: 'errgroup',
  lesson:
    'A batch in <code>pool.group()</code>, Go’s errgroup: one step fails, and its error ' +
    '<b>cancels the group</b>. Steps that were running stop (grey bars), steps still queued ' +
    'never start, and <code>wait()</code> rejects with the first error.',
  defaults: { workers: 3, queue: 4, jobs: 12, ms: 600, failAt: 5, limit: 0 },
  producer: false,
  knobs: [
    { key: 'ms', label: 'step time (ms)', type: 'number', min: 0, max: 60000, step: 50 },
    { key: 'failAt', label: 'failing step (0 = none)', type: 'number', min: 0, max: 100000, step: 1 },
    { key: 'limit', label: 'group limit (0 = none)', type: 'number', min: 0, max: 1000, step: 1 },
  ],
  pool: (s) => ({ workers: Number(s.workers), queue: Number(s.queue), handlers: HANDLERS }),
  mount(scene) {
    scene.replaceChildren(
      el('p', { class: 'group-result', 'data-testid': 'group-result' }, 'wait() has not returned yet.'),
    );
  },
  async produce(ctx) {
    const limit = Number(ctx.s.limit);
    const g = ctx.pool.group({ signal: ctx.signal, ...(limit > 0 ? { limit } : {}) });
    const failAt = Number(ctx.s.failAt);
    for (let i = 1; i <= Number(ctx.s.jobs); i++) {
      g.go('step', { step: i, ms: Number(ctx.s.ms), fail: i === failAt });
    }
    const out = /** @type {HTMLElement} */ (ctx.scene.querySelector('[data-testid="group-result"]'));
    try {
      const values = await g.wait();
      out.textContent = `wait() resolved: all ${values.length} steps done.`;
      out.dataset.outcome = 'ok';
    } catch (e) {
      const err = /** @type {Error} */ (e);
      out.textContent = `wait() rejected with the first error: ${err.name}: ${err.message}`;
      out.dataset.outcome = 'error';
      out.dataset.error = err.message;
    }
  },
};

/** @type {Record<string, Scenario>} */
export const SCENARIOS = { kitchen, thumbnails, mandelbrot, emails, errgroup };
