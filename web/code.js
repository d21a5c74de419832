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

/** The Mandelbrot image: its size, and a view of the whole set (as the page draws it). */
const MB = { width: 480, height: 360, left: -0.6, span: 3.2 };
/** The largest backoff between attempts, ms (the page's: at least 2 s). */
const maxBackoffMs = (/** @type {number} */ baseMs) => Math.max(baseMs, 2000);

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

// --- formatting ---------------------------------------------------------------

/** Joins lines, leaving out the ones that are `false` (an option that is off). @param {(string | false)[]} lines */
function program(lines) {
  return `${lines.filter((l) => l !== false).join('\n')}\n`;
}

/** `text` with a capital first letter. @param {string} text */
function capital(text) {
  return text[0].toUpperCase() + text.slice(1);
}

/** `1 cook`, `3 cooks`. @param {number} n @param {string} noun */
function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A Rust f64 literal. @param {number} x */
function f64(x) {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** A Rust `Duration` of `ms` milliseconds. @param {number} ms */
function rustMs(ms) {
  if (ms > 0 && ms % 1000 === 0) return `Duration::from_secs(${ms / 1000})`;
  if (Number.isInteger(ms)) return `Duration::from_millis(${ms})`;
  return `Duration::from_secs_f64(${ms / 1000})`;
}

/**
 * A Go `time.Duration` of `ms` milliseconds, spaced as gofmt prints it: with
 * blanks as a call's only argument, without among several or as an operand.
 * @param {number} ms @param {boolean} [spaced]
 */
function goMs(ms, spaced = false) {
  const times = spaced ? ' * ' : '*';
  if (ms > 0 && ms % 1000 === 0) return ms === 1000 ? 'time.Second' : `${ms / 1000}${times}time.Second`;
  if (Number.isInteger(ms)) return ms === 1 ? 'time.Millisecond' : `${ms}${times}time.Millisecond`;
  return `time.Duration(${ms}${times}float64(time.Millisecond))`;
}

/** Go's import block, standard library first, as gofmt and goimports leave it. @param {string[]} paths */
function goImports(paths) {
  const std = paths.filter((p) => !p.includes('.')).sort();
  const ext = paths.filter((p) => p.includes('.')).sort();
  const group = (/** @type {string[]} */ ps) => ps.map((p) => `\t"${p}"`);
  return ['import (', ...group(std), ...(ext.length ? ['', ...group(ext)] : []), ')'].join('\n');
}

/** What the queue setting means, as a trailing comment. @param {number} queue @param {string} noun what waits */
function queueNote(queue, noun) {
  return queue === 0
    ? `no queue: each ${noun} waits for a free worker (a rendezvous)`
    : `${queue} queued at most; then the producer blocks`;
}

/** The Rust random number helper (no crate needed for a simulation). */
const RUST_RANDOM = `
/// A random number in [0, 1): splitmix64, enough for a simulation.
fn random() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);
    let mut z = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}`;

// --- kitchen ------------------------------------------------------------------

/** @param {Settings} s @returns {Code} */
function kitchen(s) {
  const workers = Number(s.workers);
  const queue = Number(s.queue);
  const jobs = Number(s.jobs);
  const rate = Number(s.rate);
  const duration = /** @type {'fixed' | 'uniform' | 'longtail'} */ (String(s.duration));
  if (!['fixed', 'uniform', 'longtail'].includes(duration)) {
    throw new RangeError(`code: unknown duration ${JSON.stringify(duration)}`);
  }
  const ms = Number(s.ms);
  const failRate = Number(s.failRate);
  const timeoutMs = Number(s.timeoutMs);
  const pace = rate > 0 ? `one every ${+(1000 / rate).toFixed(2)} ms` : 'as fast as the queue takes them';
  const title = `Kitchen: ${count(workers, 'cook')}, ${queue ? `a queue of ${queue}` : 'no queue'}, ${count(jobs, 'order')} ${pace}.`;
  const shape = {
    fixed: `every order takes ${ms} ms`,
    uniform: `uniform in 0..${2 * ms} ms, mean ${ms}`,
    longtail: `a long tail: log-normal, mean ${ms} ms; most orders are quick, a few take ages`,
  }[duration];
  const percent = `${+(failRate * 100).toFixed(2)}%`;
  const random = duration !== 'fixed' || failRate > 0;

  const rustCookTime = {
    fixed: [`                let cook_ms = ${f64(ms)};`],
    uniform: [`                let cook_ms = ${f64(2 * ms)} * random();`],
    longtail: [
      '                let z = (-2.0 * (1.0 - random()).ln()).sqrt() * (TAU * random()).cos();',
      `                let cook_ms = ${f64(ms)} * (z - 0.5).exp();`,
    ],
  }[duration];
  const rust = program([
    `//! ${title}`,
    `use brigade::{${rate > 0 ? 'chan, ' : ''}${timeoutMs > 0 ? 'select, ' : ''}Context, Failure, Pool};`,
    duration === 'longtail' && 'use std::f64::consts::TAU;',
    random && 'use std::sync::atomic::{AtomicU64, Ordering};',
    'use std::thread;',
    'use std::time::Duration;',
    '',
    '/// An order: its number, and how long it takes to cook (ms).',
    'type Order = (u32, f64);',
    '',
    ...(timeoutMs > 0
      ? [
          '/// A cook at work on one order, who gives up when its deadline passes.',
          'fn cook(&(order, cook_ms): &Order, ctx: &Context) -> Result<u32, String> {',
          '    select! {',
          '        recv(ctx.done()) -> _ => return Err(format!("order {order} took too long")),',
          '        default(Duration::from_secs_f64(cook_ms / 1000.0)) => {}',
          '    }',
        ]
      : [
          '/// A cook at work on one order.',
          'fn cook(&(order, cook_ms): &Order, _ctx: &Context) -> Result<u32, String> {',
          '    thread::sleep(Duration::from_secs_f64(cook_ms / 1000.0));',
        ]),
    ...(failRate > 0
      ? [
          `    if random() < ${f64(failRate)} {`,
          `        return Err(format!("order {order} was burnt")); // ${percent} of orders`,
          '    }',
        ]
      : []),
    '    Ok(order)',
    '}',
    '',
    'fn main() {',
    '    let pool = Pool::builder()',
    `        .workers(${workers}) // ${count(workers, 'cook')}`,
    `        .queue(${queue}) // ${queueNote(queue, 'order')}`,
    timeoutMs > 0 && `        .timeout(${rustMs(timeoutMs)}) // per order, from when a cook takes it`,
    '        .build(cook)',
    '        .expect("valid pool settings");',
    '    thread::scope(|s| {',
    `        // The producer: ${count(jobs, 'order')}, ${pace}.`,
    '        s.spawn(|| {',
    rate > 0 && `            let tick = chan::tick(Duration::from_secs_f64(1.0 / ${f64(rate)}));`,
    `            for order in 1..=${jobs} {`,
    rate > 0 && '                tick.recv().expect("a ticker never closes");',
    `                // ${capital(shape)}.`,
    ...rustCookTime,
    '                // Blocks while the queue is full: a busy kitchen slows the producer.',
    '                pool.submit((order, cook_ms)).expect("the pool is open");',
    '            }',
    '            pool.close(); // no more orders: results() ends after the last one',
    '        });',
    '        // The consumer: one outcome per order, in the order they finish.',
    '        let (mut cooked, mut failed, mut timed_out) = (0, 0, 0);',
    '        for outcome in pool.results() {',
    '            match outcome.result {',
    '                Ok(_) => cooked += 1,',
    '                Err(Failure::TimedOut(_)) => timed_out += 1,',
    '                Err(_) => failed += 1,',
    '            }',
    '        }',
    '        println!("kitchen: {cooked} cooked, {failed} failed, {timed_out} timed out");',
    '    });',
    '}',
    random && RUST_RANDOM,
  ]);

  const jsCookTime = {
    fixed: [`    const ms = ${ms};`],
    uniform: [`    const ms = ${2 * ms} * Math.random();`],
    longtail: [
      '    const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());',
      `    const ms = ${ms} * Math.exp(z - 0.5);`,
    ],
  }[duration];
  const js = program([
    `// ${title}`,
    "import { Pool } from './pkg/index.js';",
    '',
    'const pool = await Pool.create({',
    `  workers: ${workers}, // ${count(workers, 'cook')}, each a Web Worker`,
    `  queue: ${queue}, // ${queueNote(queue, 'order')}`,
    timeoutMs > 0 && `  timeoutMs: ${timeoutMs}, // per order, from when a cook takes it`,
    "  handlers: new URL('./jobs.js', import.meta.url), // exports cook(), run on the workers",
    '});',
    '',
    `// The producer: ${count(jobs, 'order')}, ${pace}.`,
    'const producer = (async () => {',
    `  for (let order = 1; order <= ${jobs}; order++) {`,
    rate > 0 && `    await new Promise((tick) => setTimeout(tick, 1000 / ${rate}));`,
    `    // ${capital(shape)}.`,
    ...jsCookTime,
    '    // Waits while the queue is full: a busy kitchen slows the producer.',
    `    await pool.submit('cook', { order, ms${failRate > 0 ? `, failRate: ${failRate}` : ''} });`,
    '  }',
    '  pool.close(); // no more orders: results() ends after the last one',
    '})();',
    '',
    '// The consumer: one result per order, in the order they finish.',
    'let cooked = 0;',
    'let failed = 0;',
    'let timedOut = 0;',
    'for await (const r of pool.results()) {',
    '  if (r.ok) cooked++;',
    "  else if (r.error.name === 'TimeoutError') timedOut++;",
    `  else failed++;${failRate > 0 ? ` // burnt: ${percent} of orders` : ''}`,
    '}',
    'await producer;',
    'console.log(`kitchen: ${cooked} cooked, ${failed} failed, ${timedOut} timed out`);',
  ]);

  const goCookTime = {
    fixed: `cookMs := ${f64(ms)}`,
    uniform: `cookMs := ${2 * ms} * rand.Float64()`,
    longtail: `cookMs := ${ms} * math.Exp(rand.NormFloat64()-0.5)`,
  }[duration];
  const go = program([
    `// ${title}`,
    'package main',
    '',
    goImports([
      'fmt',
      'sync',
      'time',
      ...(random ? ['math/rand/v2'] : []),
      ...(duration === 'longtail' ? ['math'] : []),
      ...(timeoutMs > 0 ? ['context', 'errors'] : []),
    ]),
    '',
    'type order struct {',
    '\tnumber int',
    '\tcookMs float64',
    '}',
    '',
    'func main() {',
    `\torders := make(chan order${queue ? `, ${queue}` : ''}) // ${queueNote(queue, 'order')}`,
    '\tresults := make(chan error)',
    '\tvar wg sync.WaitGroup',
    `\tfor range ${workers} { // ${count(workers, 'cook')}`,
    '\t\twg.Add(1)',
    '\t\tgo func() {',
    '\t\t\tdefer wg.Done()',
    '\t\t\tfor o := range orders {',
    '\t\t\t\tresults <- cook(o)',
    '\t\t\t}',
    '\t\t}()',
    '\t}',
    `\tgo func() { // the producer: ${count(jobs, 'order')}, ${pace}`,
    rate > 0 && `\t\ttick := time.NewTicker(${goPeriod(rate)})`,
    rate > 0 && '\t\tdefer tick.Stop()',
    `\t\tfor i := 1; i <= ${jobs}; i++ {`,
    rate > 0 && '\t\t\t<-tick.C',
    `\t\t\t// ${capital(shape)}.`,
    `\t\t\t${goCookTime}`,
    '\t\t\t// Blocks while the queue is full: a busy kitchen slows the producer.',
    '\t\t\torders <- order{i, cookMs}',
    '\t\t}',
    '\t\tclose(orders) // no more orders: the cooks finish and leave',
    '\t}()',
    '\tgo func() { wg.Wait(); close(results) }()',
    '\tcooked, failed, timedOut := 0, 0, 0',
    '\tfor err := range results { // one result per order, in the order they finish',
    '\t\tswitch {',
    '\t\tcase err == nil:',
    '\t\t\tcooked++',
    timeoutMs > 0 && '\t\tcase errors.Is(err, context.DeadlineExceeded):',
    timeoutMs > 0 && '\t\t\ttimedOut++',
    '\t\tdefault:',
    '\t\t\tfailed++',
    '\t\t}',
    '\t}',
    '\tfmt.Printf("kitchen: %d cooked, %d failed, %d timed out\\n", cooked, failed, timedOut)',
    '}',
    '',
    ...(timeoutMs > 0
      ? [
          `// cook works on one order, and gives up after ${timeoutMs} ms.`,
          'func cook(o order) error {',
          `\tctx, cancel := context.WithTimeout(context.Background(), ${goMs(timeoutMs)})`,
          '\tdefer cancel()',
          '\tselect {',
          '\tcase <-time.After(time.Duration(o.cookMs * float64(time.Millisecond))):',
          '\tcase <-ctx.Done():',
          '\t\treturn ctx.Err()',
          '\t}',
        ]
      : [
          '// cook works on one order.',
          'func cook(o order) error {',
          '\ttime.Sleep(time.Duration(o.cookMs * float64(time.Millisecond)))',
        ]),
    ...(failRate > 0
      ? [
          `\tif rand.Float64() < ${failRate} { // ${percent} of orders`,
          '\t\treturn fmt.Errorf("order %d was burnt", o.number)',
          '\t}',
        ]
      : []),
    '\treturn nil',
    '}',
  ]);
  return { rust, js, go };
}

/** Go's period between two of `rate` events a second. @param {number} rate */
function goPeriod(rate) {
  return Number.isInteger(rate) ? `time.Second / ${rate}` : `time.Duration(float64(time.Second) / ${rate})`;
}

// --- thumbnails ---------------------------------------------------------------

/** @param {Settings} s @returns {Code} */
function thumbnails(s) {
  const workers = Number(s.workers);
  const queue = Number(s.queue);
  const jobs = Number(s.jobs);
  const size = Number(s.size);
  const maxSide = Number(s.maxSide);
  const title = `Thumbnails: ${jobs} generated ${size}×${size} images shrunk to at most ${maxSide} px, on ${count(workers, 'worker')}.`;

  const rust = program([
    `//! ${title}`,
    'use brigade::{Context, Pool};',
    'use std::thread;',
    '',
    '/// A square RGBA picture.',
    'struct Image {',
    '    side: usize,',
    '    rgba: Vec<u8>,',
    '}',
    '',
    'fn main() {',
    '    let pool = Pool::builder()',
    `        .workers(${workers})`,
    `        .queue(${queue}) // ${queueNote(queue, 'image')}`,
    `        .build(|img: &Image, _ctx: &Context| Ok::<_, String>(thumbnail(img, ${maxSide})))`,
    '        .expect("valid pool settings");',
    '    thread::scope(|s| {',
    '        s.spawn(|| {',
    `            for i in 0..${jobs} {`,
    '                // Blocks while the queue is full.',
    `                pool.submit(gradient(${size}, i)).expect("the pool is open");`,
    '            }',
    '            pool.close(); // no more images: results() ends after the last one',
    '        });',
    '        // Each thumbnail as soon as it is made, in whatever order the workers finish.',
    '        let (mut made, mut side) = (0, 0);',
    '        for outcome in pool.results() {',
    '            if let Ok(thumb) = outcome.result {',
    '                made += 1;',
    '                side = thumb.side;',
    '            }',
    '        }',
    '        println!("thumbnails: {made} made, {side}x{side} each");',
    '    });',
    '}',
    '',
    '/// A generated picture: a gradient, tinted per image.',
    'fn gradient(side: usize, i: usize) -> Image {',
    '    let mut rgba = Vec::with_capacity(side * side * 4);',
    '    for y in 0..side {',
    '        for x in 0..side {',
    '            let (red, green) = ((x * 255 / side) as u8, (y * 255 / side) as u8);',
    '            rgba.extend([red, green, (i * 40) as u8, 255]);',
    '        }',
    '    }',
    '    Image { side, rgba }',
    '}',
    '',
    '/// Shrinks `img` to at most `max_side` a side with a box filter: each new pixel is the',
    '/// mean of the pixels it covers.',
    'fn thumbnail(img: &Image, max_side: usize) -> Image {',
    '    let (from, side) = (img.side, img.side.min(max_side));',
    '    let mut rgba = Vec::with_capacity(side * side * 4);',
    '    for y in 0..side {',
    '        let rows = y * from / side..(y + 1) * from / side;',
    '        for x in 0..side {',
    '            let cols = x * from / side..(x + 1) * from / side;',
    '            let mut sum = [0usize; 4];',
    '            for sy in rows.clone() {',
    '                for sx in cols.clone() {',
    '                    let p = (sy * from + sx) * 4;',
    '                    for (s, v) in sum.iter_mut().zip(&img.rgba[p..p + 4]) {',
    '                        *s += usize::from(*v);',
    '                    }',
    '                }',
    '            }',
    '            rgba.extend(sum.map(|s| (s / (rows.len() * cols.len())) as u8));',
    '        }',
    '    }',
    '    Image { side, rgba }',
    '}',
  ]);

  const js = program([
    `// ${title}`,
    "import { Pool } from './pkg/index.js';",
    '',
    'const pool = await Pool.create({',
    `  workers: ${workers},`,
    `  queue: ${queue}, // ${queueNote(queue, 'image')}`,
    '});',
    '',
    '/** A generated picture: a gradient, tinted per image. */',
    'function gradient(side, i) {',
    '  const rgba = new Uint8Array(side * side * 4);',
    '  for (let y = 0; y < side; y++) {',
    '    for (let x = 0; x < side; x++) {',
    '      const p = (y * side + x) * 4;',
    '      rgba[p] = (x * 255) / side; // red grows to the right',
    '      rgba[p + 1] = (y * 255) / side; // green grows downwards',
    '      rgba[p + 2] = (i * 40) % 256; // blue tints each image',
    '      rgba[p + 3] = 255;',
    '    }',
    '  }',
    '  return { width: side, height: side, rgba };',
    '}',
    '',
    '// The producer: submit() waits while the queue is full.',
    'const producer = (async () => {',
    `  for (let i = 0; i < ${jobs}; i++) {`,
    '    // The built-in thumbnail kind resizes on a worker (Rust, in wasm).',
    `    await pool.submit('thumbnail', { ...gradient(${size}, i), maxSide: ${maxSide} });`,
    '  }',
    '  pool.close(); // no more images: results() ends after the last one',
    '})();',
    '',
    '// Each thumbnail as soon as it is made, in whatever order the workers finish.',
    'let made = 0;',
    "let size = '0x0';",
    'for await (const r of pool.results()) {',
    '  if (r.ok) {',
    '    made++;',
    '    size = `${r.value.width}x${r.value.height}`;',
    '  }',
    '}',
    'await producer;',
    'console.log(`thumbnails: ${made} made, ${size} each`);',
  ]);

  const go = program([
    `// ${title}`,
    'package main',
    '',
    goImports(['fmt', 'image', 'image/color', 'sync', 'golang.org/x/image/draw']),
    '',
    'func main() {',
    `\timages := make(chan *image.RGBA${queue ? `, ${queue}` : ''}) // ${queueNote(queue, 'image')}`,
    '\tthumbs := make(chan *image.RGBA)',
    '\tvar wg sync.WaitGroup',
    `\tfor range ${workers} { // ${count(workers, 'worker')}`,
    '\t\twg.Add(1)',
    '\t\tgo func() {',
    '\t\t\tdefer wg.Done()',
    '\t\t\tfor img := range images {',
    `\t\t\t\tthumbs <- thumbnail(img, ${maxSide})`,
    '\t\t\t}',
    '\t\t}()',
    '\t}',
    '\tgo func() { // the producer',
    `\t\tfor i := range ${jobs} {`,
    `\t\t\timages <- gradient(${size}, i) // blocks while the queue is full`,
    '\t\t}',
    '\t\tclose(images)',
    '\t}()',
    '\tgo func() { wg.Wait(); close(thumbs) }()',
    '\tmade, side := 0, 0',
    '\tfor t := range thumbs { // in whatever order the workers finish',
    '\t\tmade++',
    '\t\tside = t.Bounds().Dx()',
    '\t}',
    '\tfmt.Printf("thumbnails: %d made, %dx%d each\\n", made, side, side)',
    '}',
    '',
    '// gradient makes a square picture: a gradient, tinted per image.',
    'func gradient(side, i int) *image.RGBA {',
    '\timg := image.NewRGBA(image.Rect(0, 0, side, side))',
    '\tfor y := range side {',
    '\t\tfor x := range side {',
    '\t\t\tred, green := uint8(x*255/side), uint8(y*255/side)',
    '\t\t\timg.SetRGBA(x, y, color.RGBA{R: red, G: green, B: uint8(i * 40), A: 255})',
    '\t\t}',
    '\t}',
    '\treturn img',
    '}',
    '',
    '// thumbnail shrinks a square src to at most maxSide a side (bilinear, as the',
    '// JavaScript kind does).',
    'func thumbnail(src *image.RGBA, maxSide int) *image.RGBA {',
    '\tside := min(src.Bounds().Dx(), maxSide)',
    '\tdst := image.NewRGBA(image.Rect(0, 0, side, side))',
    '\tdraw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)',
    '\treturn dst',
    '}',
  ]);
  return { rust, js, go };
}

// --- mandelbrot ---------------------------------------------------------------

/** @param {Settings} s @returns {Code} */
function mandelbrot(s) {
  const workers = Number(s.workers);
  const queue = Number(s.queue);
  // A strip is at least one row.
  const strips = Math.min(Number(s.jobs), MB.height);
  const maxIter = Number(s.maxIter);
  const { width, height, left, span } = MB;
  const title = `Mandelbrot: a ${width}×${height} image of the whole set in ${count(strips, 'strip')}, on ${count(workers, 'worker')}.`;
  const view = `${width} columns span ${span}, from ${left - span / 2} to ${left + span / 2}`;
  const clamped = strips < Number(s.jobs) && `one strip per row at most: the image has ${height} rows`;

  const rust = program([
    `//! ${title}`,
    'use brigade::{Context, Pool};',
    'use std::thread;',
    '',
    `const WIDTH: usize = ${width};`,
    `const HEIGHT: usize = ${height};`,
    `const SCALE: f64 = ${f64(span)} / ${f64(width)}; // ${view}`,
    `const MAX_ITER: u16 = ${maxIter};`,
    '',
    '/// Rows `top..bottom`: for each pixel c, how many steps of z = z² + c stay within radius 2.',
    'fn strip(&(top, bottom): &(usize, usize), _ctx: &Context) -> Result<Vec<u16>, String> {',
    `    let (x, y) = (${left} - ${f64(width / 2)} * SCALE, -${f64(height / 2)} * SCALE + top as f64 * SCALE);`,
    '    let mut counts = Vec::with_capacity(WIDTH * (bottom - top));',
    '    for j in 0..bottom - top {',
    '        for i in 0..WIDTH {',
    '            let (cr, ci) = (x + i as f64 * SCALE, y + j as f64 * SCALE);',
    '            let (mut zr, mut zi, mut n) = (0.0f64, 0.0f64, 0);',
    '            while n < MAX_ITER && zr * zr + zi * zi <= 4.0 {',
    '                (zr, zi) = (zr * zr - zi * zi + cr, 2.0 * zr * zi + ci);',
    '                n += 1;',
    '            }',
    '            counts.push(n);',
    '        }',
    '    }',
    '    Ok(counts)',
    '}',
    '',
    'fn main() {',
    '    let pool = Pool::builder()',
    `        .workers(${workers})`,
    `        .queue(${queue}) // ${queueNote(queue, 'strip')}`,
    '        .build(strip)',
    '        .expect("valid pool settings");',
    '    thread::scope(|s| {',
    '        s.spawn(|| {',
    clamped && `            // ${clamped}`,
    `            for i in 0..${strips} {`,
    `                let rows = (i * HEIGHT / ${strips}, (i + 1) * HEIGHT / ${strips});`,
    '                pool.submit(rows).expect("the pool is open"); // blocks while the queue is full',
    '            }',
    '            pool.close();',
    '        });',
    '        // Strips as they finish, in any order.',
    '        let (mut strips, mut pixels, mut in_set) = (0, 0, 0);',
    '        for outcome in pool.results() {',
    '            let counts = outcome.result.expect("a strip renders");',
    '            strips += 1;',
    '            pixels += counts.len();',
    '            in_set += counts.iter().filter(|&&n| n == MAX_ITER).count();',
    '        }',
    '        println!("mandelbrot: {strips} strips, {pixels} pixels, {in_set} in the set");',
    '    });',
    '}',
  ]);

  const js = program([
    `// ${title}`,
    "import { Pool } from './pkg/index.js';",
    '',
    'const pool = await Pool.create({',
    `  workers: ${workers},`,
    `  queue: ${queue}, // ${queueNote(queue, 'strip')}`,
    '});',
    `const scale = ${span} / ${width}; // ${view}`,
    `const x = ${left} - ${width / 2} * scale; // the left edge`,
    `const maxIter = ${maxIter};`,
    '',
    `// The producer: strip i covers rows [top, bottom) of ${height}; submit() waits while the queue is full.`,
    'const producer = (async () => {',
    clamped && `  // ${clamped}`,
    `  for (let i = 0; i < ${strips}; i++) {`,
    `    const top = Math.floor((i * ${height}) / ${strips});`,
    `    const bottom = Math.floor(((i + 1) * ${height}) / ${strips});`,
    '    // The built-in mandelbrot kind: pixel (col, row) is c = (x + col·scale) + (y + row·scale)i.',
    `    const y = -${height / 2} * scale + top * scale;`,
    `    await pool.submit('mandelbrot', { x, y, width: ${width}, height: bottom - top, scale, maxIter });`,
    '  }',
    '  pool.close();',
    '})();',
    '',
    '// Strips as they finish, in any order: iteration counts, a Uint16Array each.',
    'let strips = 0;',
    'let pixels = 0;',
    'let inSet = 0;',
    'for await (const r of pool.results()) {',
    '  if (!r.ok) throw new Error(`strip ${r.id}: ${r.error.message}`);',
    '  strips++;',
    '  pixels += r.value.length;',
    '  for (const n of r.value) if (n === maxIter) inSet++;',
    '}',
    'await producer;',
    'console.log(`mandelbrot: ${strips} strips, ${pixels} pixels, ${inSet} in the set`);',
  ]);

  const go = program([
    `// ${title}`,
    'package main',
    '',
    goImports(['fmt', 'sync']),
    '',
    'const (',
    `\twidth, height = ${width}, ${height}`,
    `\tscale         = ${f64(span)} / width // ${view}`,
    `\tmaxIter       = ${maxIter}`,
    ')',
    '',
    'type strip struct{ top, bottom int }',
    '',
    'func main() {',
    `\tstrips := make(chan strip${queue ? `, ${queue}` : ''}) // ${queueNote(queue, 'strip')}`,
    '\tcounts := make(chan []uint16)',
    '\tvar wg sync.WaitGroup',
    `\tfor range ${workers} { // ${count(workers, 'worker')}`,
    '\t\twg.Add(1)',
    '\t\tgo func() {',
    '\t\t\tdefer wg.Done()',
    '\t\t\tfor s := range strips {',
    '\t\t\t\tcounts <- render(s)',
    '\t\t\t}',
    '\t\t}()',
    '\t}',
    '\tgo func() { // the producer',
    clamped && `\t\t// ${clamped}`,
    `\t\tfor i := range ${strips} {`,
    '\t\t\t// Blocks while the queue is full.',
    `\t\t\tstrips <- strip{i * height / ${strips}, (i + 1) * height / ${strips}}`,
    '\t\t}',
    '\t\tclose(strips)',
    '\t}()',
    '\tgo func() { wg.Wait(); close(counts) }()',
    '\tn, pixels, inSet := 0, 0, 0',
    '\tfor c := range counts { // strips as they finish, in any order',
    '\t\tn++',
    '\t\tpixels += len(c)',
    '\t\tfor _, k := range c {',
    '\t\t\tif k == maxIter {',
    '\t\t\t\tinSet++',
    '\t\t\t}',
    '\t\t}',
    '\t}',
    '\tfmt.Printf("mandelbrot: %d strips, %d pixels, %d in the set\\n", n, pixels, inSet)',
    '}',
    '',
    '// render counts, for each pixel c of its rows, the steps of z = z² + c within radius 2.',
    'func render(s strip) []uint16 {',
    `\tx, y := ${left}-${width / 2}*scale, -${height / 2}*scale+float64(s.top)*scale`,
    '\tout := make([]uint16, 0, width*(s.bottom-s.top))',
    '\tfor j := range s.bottom - s.top {',
    '\t\tfor i := range width {',
    '\t\t\tcr, ci := x+float64(i)*scale, y+float64(j)*scale',
    '\t\t\tvar zr, zi float64',
    '\t\t\tn := uint16(0)',
    '\t\t\tfor n < maxIter && zr*zr+zi*zi <= 4 {',
    '\t\t\t\tzr, zi = zr*zr-zi*zi+cr, 2*zr*zi+ci',
    '\t\t\t\tn++',
    '\t\t\t}',
    '\t\t\tout = append(out, n)',
    '\t\t}',
    '\t}',
    '\treturn out',
    '}',
  ]);
  return { rust, js, go };
}

// --- emails -------------------------------------------------------------------

/** @param {Settings} s @returns {Code} */
function emails(s) {
  const workers = Number(s.workers);
  const queue = Number(s.queue);
  const jobs = Number(s.jobs);
  const latencyMs = Number(s.latencyMs);
  const failRate = Number(s.failRate);
  const perSecond = Number(s.perSecond);
  const burst = Number(s.burst);
  const attempts = Number(s.attempts);
  const baseMs = Number(s.baseMs);
  const maxMs = maxBackoffMs(baseMs);
  const limited = perSecond > 0;
  const retries = attempts > 1;
  const percent = `${+(failRate * 100).toFixed(2)}%`;
  const api = `a flaky mail API: about ${latencyMs} ms a call, ${percent} temporary failures`;
  const quota = `at most ${perSecond} sends a second, in bursts of up to ${burst}`;
  // What happens between attempts, in two comment lines.
  const backoff =
    baseMs > 0
      ? [
          `Up to ${attempts} attempts; before a retry, a random wait of up to ${baseMs} ms,`,
          `then up to ${2 * baseMs}, ${4 * baseMs}… (at most ${maxMs} ms): exponential backoff, full jitter.`,
        ]
      : [`Up to ${attempts} attempts, with no wait between them.`];
  const title = [
    `Emails: ${jobs} to a flaky mail API; ${count(workers, 'worker')}`,
    limited && `${perSecond}/s at most`,
    retries && `up to ${attempts} attempts`,
  ]
    .filter(Boolean)
    .join(', ');

  const rust = program([
    `//! ${title}.`,
    `use brigade::{Context, Pool${limited ? ', RateLimit' : ''}${retries ? ', Retry' : ''}};`,
    failRate > 0 && 'use std::sync::atomic::{AtomicU64, Ordering};',
    'use std::thread;',
    'use std::time::Duration;',
    '',
    'fn main() {',
    '    let pool = Pool::builder()',
    `        .workers(${workers})`,
    `        .queue(${queue}) // ${queueNote(queue, 'email')}`,
    limited && `        // A token bucket: ${quota}.`,
    limited && `        .rate_limit(RateLimit::per_second(${f64(perSecond)}).burst(${burst}))`,
    ...(retries ? backoff.map((l) => `        // ${l}`) : []),
    retries && `        .retry(Retry::attempts(${attempts}).backoff(${rustMs(baseMs)}, ${rustMs(maxMs)}))`,
    `        .build(|${failRate > 0 ? 'to' : '_to'}: &String, _ctx: &Context| -> Result<(), String> {`,
    `            // Stands for ${api}.`,
    `            thread::sleep(Duration::from_secs_f64(${f64(latencyMs / 1000)}${failRate > 0 ? ' * (0.5 + random())' : ''}));`,
    failRate > 0 && `            if random() < ${f64(failRate)} {`,
    failRate > 0 && '                return Err(format!("421 4.7.0 {to}: try again later"));',
    failRate > 0 && '            }',
    '            Ok(())',
    '        })',
    '        .expect("valid pool settings");',
    '    thread::scope(|s| {',
    '        s.spawn(|| {',
    `            for i in 1..=${jobs} {`,
    '                let to = format!("user{i}@example.com");',
    '                pool.submit(to).expect("the pool is open"); // blocks while the queue is full',
    '            }',
    '            pool.close();',
    '        });',
    '        let (mut sent, mut retried, mut failed) = (0, 0, 0);',
    '        for outcome in pool.results() {',
    '            if outcome.attempts > 1 {',
    '                retried += 1; // needed more than one attempt',
    '            }',
    '            match outcome.result {',
    '                Ok(()) => sent += 1,',
    '                Err(_) => failed += 1,',
    '            }',
    '        }',
    '        println!("emails: {sent} sent, {retried} retried, {failed} failed");',
    '    });',
    '}',
    failRate > 0 && RUST_RANDOM,
  ]);

  const js = program([
    `// ${title}.`,
    "import { Pool } from './pkg/index.js';",
    '',
    'const pool = await Pool.create({',
    `  workers: ${workers},`,
    `  queue: ${queue}, // ${queueNote(queue, 'email')}`,
    limited && `  // A token bucket: ${quota}.`,
    limited && `  rateLimit: { perSecond: ${perSecond}, burst: ${burst} },`,
    ...(retries ? backoff.map((l) => `  // ${l}`) : []),
    retries && `  retry: { attempts: ${attempts}, baseMs: ${baseMs}, maxMs: ${maxMs} },`,
    "  handlers: new URL('./jobs.js', import.meta.url), // exports sendEmail(), run on the workers",
    '});',
    '',
    'const producer = (async () => {',
    `  for (let i = 1; i <= ${jobs}; i++) {`,
    `    // sendEmail stands for ${api}.`,
    '    const to = `user${i}@example.com`;',
    `    await pool.submit('sendEmail', { to, latencyMs: ${latencyMs}, failRate: ${failRate} });`,
    '  }',
    '  pool.close();',
    '})();',
    '',
    'let sent = 0;',
    'let retried = 0;',
    'let failed = 0;',
    'for await (const r of pool.results()) {',
    '  if (r.attempts > 1) retried++; // needed more than one attempt',
    '  if (r.ok) sent++;',
    '  else failed++;',
    '}',
    'await producer;',
    'console.log(`emails: ${sent} sent, ${retried} retried, ${failed} failed`);',
  ]);

  const limiterArg = limited ? 'limiter, ' : '';
  const goSend = retries
    ? [
        `// send calls the API${limited ? ', waiting for a token before each call' : ''}.`,
        ...backoff.map((l) => `// ${l}`),
        `func send(${limited ? 'limiter *rate.Limiter, ' : ''}to string) result {`,
        '\tfor attempt := 1; ; attempt++ {',
        limited && '\t\t_ = limiter.Wait(context.Background()) // blocks until a token is due',
        '\t\terr := callAPI(to)',
        `\t\tif err == nil || attempt == ${attempts} {`,
        '\t\t\treturn result{attempt, err}',
        '\t\t}',
        baseMs > 0 && `\t\ttime.Sleep(rand.N(min(${goMs(baseMs)}<<(attempt-1), ${goMs(maxMs)})))`,
        '\t}',
        '}',
      ]
    : [
        '// send makes one attempt.',
        `func send(${limited ? 'limiter *rate.Limiter, ' : ''}to string) result {`,
        limited && '\t_ = limiter.Wait(context.Background()) // blocks until a token is due',
        '\treturn result{1, callAPI(to)}',
        '}',
      ];
  const go = program([
    `// ${title}.`,
    'package main',
    '',
    goImports([
      'fmt',
      'sync',
      'time',
      ...(failRate > 0 || (retries && baseMs > 0) ? ['math/rand/v2'] : []),
      ...(limited ? ['context', 'golang.org/x/time/rate'] : []),
    ]),
    '',
    'type result struct {',
    '\tattempts int',
    '\terr      error',
    '}',
    '',
    'func main() {',
    limited && `\t// A token bucket: ${quota}.`,
    limited && `\tlimiter := rate.NewLimiter(${perSecond}, ${burst})`,
    `\temails := make(chan string${queue ? `, ${queue}` : ''}) // ${queueNote(queue, 'email')}`,
    '\tresults := make(chan result)',
    '\tvar wg sync.WaitGroup',
    `\tfor range ${workers} { // ${count(workers, 'worker')}`,
    '\t\twg.Add(1)',
    '\t\tgo func() {',
    '\t\t\tdefer wg.Done()',
    '\t\t\tfor to := range emails {',
    `\t\t\t\tresults <- send(${limiterArg}to)`,
    '\t\t\t}',
    '\t\t}()',
    '\t}',
    '\tgo func() { // the producer',
    `\t\tfor i := 1; i <= ${jobs}; i++ {`,
    '\t\t\temails <- fmt.Sprintf("user%d@example.com", i) // blocks while the queue is full',
    '\t\t}',
    '\t\tclose(emails)',
    '\t}()',
    '\tgo func() { wg.Wait(); close(results) }()',
    '\tsent, retried, failed := 0, 0, 0',
    '\tfor r := range results {',
    '\t\tif r.attempts > 1 {',
    '\t\t\tretried++ // needed more than one attempt',
    '\t\t}',
    '\t\tif r.err == nil {',
    '\t\t\tsent++',
    '\t\t} else {',
    '\t\t\tfailed++',
    '\t\t}',
    '\t}',
    '\tfmt.Printf("emails: %d sent, %d retried, %d failed\\n", sent, retried, failed)',
    '}',
    '',
    ...goSend,
    '',
    `// callAPI stands for ${api}.`,
    'func callAPI(to string) error {',
    failRate > 0
      ? `\ttime.Sleep(time.Duration((0.5 + rand.Float64()) * float64(${goMs(latencyMs)})))`
      : `\ttime.Sleep(${goMs(latencyMs, true)})`,
    failRate > 0 && `\tif rand.Float64() < ${failRate} {`,
    failRate > 0 && '\t\treturn fmt.Errorf("421 4.7.0 %s: try again later", to)',
    failRate > 0 && '\t}',
    '\treturn nil',
    '}',
  ]);
  return { rust, js, go };
}

// --- errgroup -----------------------------------------------------------------

/** @param {Settings} s @returns {Code} */
function errgroup(s) {
  const workers = Number(s.workers);
  const queue = Number(s.queue);
  const jobs = Number(s.jobs);
  const ms = Number(s.ms);
  const failAt = Number(s.failAt);
  const limit = Number(s.limit);
  const fails = failAt >= 1 && failAt <= jobs;
  // In JavaScript the group's jobs run on the pool, so at most `workers` at
  // once; Rust's Group and Go's errgroup start a thread or goroutine per step,
  // so their limit is what the pool and the group's limit allow together.
  const atOnce = limit > 0 ? Math.min(limit, workers) : workers;
  const why =
    limit > 0 && limit <= workers
      ? `the group's limit; the page's pool has ${count(workers, 'worker')}`
      : `the page's pool has ${count(workers, 'worker')}, the group ${limit > 0 ? `a limit of ${limit}` : 'no limit'}`;
  const title = `errgroup: ${count(jobs, 'step')} of ${ms} ms, at most ${atOnce} at once; ${fails ? `step ${failAt} fails` : 'none fails'}.`;

  const rust = program([
    `//! ${title}`,
    'use brigade::{select, Group};',
    'use std::time::Duration;',
    '',
    'fn main() {',
    `    // At most ${count(atOnce, 'step')} at once (${why}),`,
    '    // each on a thread of its own: go() waits while the group is full.',
    `    let g = Group::new().limit(${atOnce});`,
    `    for step in 1..=${jobs} {`,
    '        g.go(move |ctx| {',
    `            // Work for ${ms} ms, unless a failed step has cancelled the group.`,
    '            select! {',
    '                recv(ctx.done()) -> _ => return Err(format!("step {step} canceled")),',
    `                default(${rustMs(ms)}) => {}`,
    '            }',
    fails && `            if step == ${failAt} {`,
    fails && '                return Err(format!("step {step} failed"));',
    fails && '            }',
    '            Ok(())',
    '        });',
    '    }',
    '    // wait() returns the first error; that error cancelled the other steps.',
    '    match g.wait() {',
    `        Ok(()) => println!("errgroup: ${jobs} steps done"),`,
    '        Err(e) => println!("errgroup: first error: {e}"),',
    '    }',
    '}',
  ]);

  const js = program([
    `// ${title}`,
    "import { Pool } from './pkg/index.js';",
    '',
    'const pool = await Pool.create({',
    `  workers: ${workers},`,
    `  queue: ${queue},`,
    "  handlers: new URL('./jobs.js', import.meta.url), // exports step(), run on the workers",
    '});',
    limit > 0
      ? `const g = pool.group({ limit: ${limit} }); // go() waits while ${limit} of its steps are in flight`
      : `const g = pool.group(); // no limit: as many steps run as the pool has workers`,
    `for (let step = 1; step <= ${jobs}; step++) {`,
    `  g.go('step', { step, ms: ${ms}${fails ? `, fail: step === ${failAt}` : ''} });`,
    '}',
    'try {',
    '  // The first failure aborts the other steps, and wait() rejects with it.',
    '  await g.wait();',
    `  console.log('errgroup: ${jobs} steps done');`,
    '} catch (e) {',
    '  console.log(`errgroup: first error: ${e.message}`);',
    '} finally {',
    '  pool.close();',
    '}',
  ]);

  const go = program([
    `// ${title}`,
    'package main',
    '',
    goImports(['context', 'fmt', 'time', 'golang.org/x/sync/errgroup']),
    '',
    'func main() {',
    '\t// ctx is cancelled by the first step that returns an error.',
    '\tg, ctx := errgroup.WithContext(context.Background())',
    `\t// At most ${count(atOnce, 'step')} at once (${why}).`,
    `\tg.SetLimit(${atOnce})`,
    `\tfor step := 1; step <= ${jobs}; step++ {`,
    `\t\tg.Go(func() error { // waits while ${count(atOnce, 'step')} run`,
    '\t\t\tselect {',
    `\t\t\tcase <-time.After(${goMs(ms, true)}):`,
    '\t\t\tcase <-ctx.Done(): // a step failed: stop early',
    '\t\t\t\treturn ctx.Err()',
    '\t\t\t}',
    fails && `\t\t\tif step == ${failAt} {`,
    fails && '\t\t\t\treturn fmt.Errorf("step %d failed", step)',
    fails && '\t\t\t}',
    '\t\t\treturn nil',
    '\t\t})',
    '\t}',
    '\t// Wait returns the first error; it cancelled ctx, so the other steps stopped.',
    '\tif err := g.Wait(); err != nil {',
    '\t\tfmt.Println("errgroup: first error:", err)',
    '\t} else {',
    `\t\tfmt.Println("errgroup: ${jobs} steps done")`,
    '\t}',
    '}',
  ]);
  return { rust, js, go };
}

/** @type {Record<string, (s: Settings) => Code>} */
const BUILDERS = { kitchen, thumbnails, mandelbrot, emails, errgroup };
