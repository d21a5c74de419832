// @ts-check
// The emails scenario's program: sends to a flaky mail API under a rate limit
// (a token bucket) with retries and exponential backoff, full jitter. Rust with
// brigade's RateLimit and Retry, JavaScript with brigade-wasm's rateLimit and
// retry options, Go with x/time/rate and a retry loop of its own.
import { program, count, f64, rustMs, goMs, goImports, queueNote, RUST_RANDOM } from './program.js';

/**
 * @typedef {import('./index.js').Settings} Settings
 * @typedef {import('./index.js').Code} Code
 */

/** The largest backoff between attempts, ms (the page's: at least 2 s). */
const maxBackoffMs = (/** @type {number} */ baseMs) => Math.max(baseMs, 2000);

/** The emails scenario's program, in Rust, JavaScript and Go. @param {Settings} s @returns {Code} */
export function emails(s) {
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
