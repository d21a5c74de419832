// @ts-check
// The errgroup scenario's program: steps run as a group with a limit, and the
// first one to fail cancels the rest. Rust with brigade's Group, JavaScript
// with a brigade-wasm pool's group(), Go with golang.org/x/sync/errgroup.
import { program, count, rustMs, goMs, goImports } from './program.js';

/**
 * @typedef {import('./index.js').Settings} Settings
 * @typedef {import('./index.js').Code} Code
 */

/** The errgroup scenario's program, in Rust, JavaScript and Go. @param {Settings} s @returns {Code} */
export function errgroup(s) {
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
    `            // Work for ${ms} ms, unless a failed step has canceled the group.`,
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
    '    // wait() returns the first error; that error canceled the other steps.',
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
    '\t// ctx is canceled by the first step that returns an error.',
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
    '\t// Wait returns the first error; it canceled ctx, so the other steps stopped.',
    '\tif err := g.Wait(); err != nil {',
    '\t\tfmt.Println("errgroup: first error:", err)',
    '\t} else {',
    `\t\tfmt.Println("errgroup: ${jobs} steps done")`,
    '\t}',
    '}',
  ]);
  return { rust, js, go };
}
