// A pool's life: options, getters, iteration, idle, disposal; the isolate entry.
import { Pool, initialize } from 'brigade-wasm';
import type { PoolOptions } from 'brigade-wasm';
import { ensureIsolated } from 'brigade-wasm/isolate.js';
import type { IsolateOptions } from 'brigade-wasm/isolate.js';
import { expectType, type Equal } from './assert.js';

const isolated = await ensureIsolated({ serviceWorker: new URL('./sw.js', import.meta.url), scope: './' });
expectType<Equal<typeof isolated, boolean>>();
const opts: IsolateOptions = { serviceWorker: 'sw.js', scope: undefined };
void opts;
await initialize();
await initialize(new URL('./brigade_wasm_bg.wasm', import.meta.url));

const options: PoolOptions = {
  workers: 4,
  queue: 8,
  timeoutMs: 1000,
  saturationWindowMs: 500,
  retry: { attempts: 3, baseMs: 10, maxMs: 1000, jitter: true },
  rateLimit: { perSecond: 100, burst: 10 },
  handlers: new URL('./handlers.js', import.meta.url),
  rayonThreads: 2,
};
// Options left undefined are as good as absent (the tests compile with exactOptionalPropertyTypes).
const maybe: number | undefined = undefined;
await Pool.create({ workers: maybe, queue: undefined, retry: { attempts: maybe } });
// @ts-expect-error rateLimit needs perSecond
await Pool.create({ rateLimit: { burst: 1 } });
// @ts-expect-error workers is a number
await Pool.create({ workers: '4' });
// @ts-expect-error a pool comes from Pool.create, not new
new Pool();

{
  // `await using` ends the pool when the block exits.
  await using pool = await Pool.create(options);
  expectType<Equal<typeof pool, Pool>>();

  const counts: number[] = [pool.size, pool.pending, pool.workers, pool.capacity];
  void counts;
  // @ts-expect-error the counts are read-only
  pool.size = 1;
  const closed: boolean = pool.closed;
  void closed;

  for (let i = 0; i < 10; i++) await pool.submit('square', i);
  pool.close();
  for await (const r of pool) {
    if (r.ok) expectType<Equal<typeof r.value, unknown>>();
    else expectType<Equal<typeof r.error.name, 'JobError' | 'PanicError' | 'TimeoutError' | 'AbortError' | 'WorkerLostError'>>();
  }
  expectType<Equal<ReturnType<typeof pool.onIdle>, Promise<void>>>();
  await pool.onIdle();
  pool.resize(2);
  expectType<Equal<ReturnType<(typeof pool)[typeof Symbol.asyncDispose]>, Promise<void>>>();
}

const pool = await Pool.create();
const iterable: AsyncIterable<unknown> = pool;
void iterable;
const disposable: AsyncDisposable = pool;
void disposable;
expectType<Equal<ReturnType<typeof pool.terminate>, Promise<void>>>();
expectType<Equal<ReturnType<typeof pool.drain>, Promise<void>>>();
expectType<Equal<ReturnType<typeof pool.close>, void>>();
await pool.terminate();
