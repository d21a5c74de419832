// @ts-check
// The kitchen scenario's program: cooks (the workers) take orders from a
// bounded queue, fed at a steady rate or as fast as it takes them; cook times
// fixed, uniform or long-tailed; optionally some orders burnt and a per-order
// timeout. Rust with brigade's Pool (chan::tick, select!), JavaScript with
// brigade-wasm, Go with channels, a WaitGroup, a ticker and context.WithTimeout.
import { program, capital, count, f64, rustMs, goMs, goImports, queueNote, RUST_RANDOM } from './program.js';

/**
 * @typedef {import('./index.js').Settings} Settings
 * @typedef {import('./index.js').Code} Code
 */

/** The kitchen scenario's program, in Rust, JavaScript and Go. @param {Settings} s @returns {Code} */
export function kitchen(s) {
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
