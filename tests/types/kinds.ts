// Built-in kinds: each one's input and output type through run(), submit(),
// trySubmit() and group().go(); wrong inputs are compile errors; handler kinds
// take and give `unknown`.
import { Pool } from 'brigade-wasm';
import type { BuiltInKind, Clonable, Cloned, Echoed, InputOf, Kind, OutputOf } from 'brigade-wasm';
import { expectType, type Equal } from './assert.js';

const pool = await Pool.create({ workers: 2, queue: 4 });

// --- each kind's output -------------------------------------------------------
const slept = await pool.run('sleep', { ms: 5 });
expectType<Equal<typeof slept, null>>();
const spun = await pool.run('spin', { ms: 5 });
expectType<Equal<typeof spun, number>>();
const hex = await pool.run('sha256', 'hello');
expectType<Equal<typeof hex, string>>();
expectType<Equal<Awaited<ReturnType<typeof pool.run<'sha256'>>>, string>>();
await pool.run('sha256', new Uint8Array([1, 2, 3]));
await pool.run('sha256', new Uint8ClampedArray(4));
const primes = await pool.run('primes', { below: 100 });
expectType<Equal<typeof primes, number>>();
const square = await pool.run('square', 12);
expectType<Equal<typeof square, number>>();
const fractal = await pool.run('mandelbrot', { x: -2, y: -1, width: 3, height: 3, scale: 1, maxIter: 50 });
expectType<Equal<typeof fractal, Uint16Array>>();
await pool.run('mandelbrot', { x: -2, y: -1, width: 3, height: 3, scale: 1, maxIter: 50, parallel: true });
const thumb = await pool.run('thumbnail', {
  width: 40,
  height: 20,
  rgba: new Uint8ClampedArray(40 * 20 * 4),
  maxSide: 10,
});
expectType<Equal<typeof thumb, { width: number; height: number; rgba: Uint8Array }>>();
await pool.run('thumbnail', { width: 1, height: 1, rgba: new Uint8Array(4), maxSide: 1 });

async function failing() {
  const failed = await pool.run('fail', { message: 'no' });
  expectType<Equal<typeof failed, never>>();
}
async function panicking() {
  const panicked = await pool.run('panic', { message: 'boom' });
  expectType<Equal<typeof panicked, never>>();
}
void failing;
void panicking;
await pool.run('fail', {}); // message defaults to "failed"

// --- echo gives back the type it was given, as a structured clone ----------------
const point = await pool.run('echo', { x: 1, y: 'two', tags: ['a', 'b'] });
expectType<Equal<typeof point, { x: number; y: string; tags: string[] }>>();
const text = await pool.run('echo', 'hi');
expectType<Equal<typeof text, string>>();
const nothing = await pool.run('echo', undefined);
expectType<Equal<typeof nothing, undefined>>();
const big = await pool.run('echo', 2n ** 70n);
expectType<Equal<typeof big, bigint>>();
const views = await pool.run('echo', {
  px: new Uint8ClampedArray(4),
  f: new Float32Array(2),
  b: new BigInt64Array(1),
  buf: new ArrayBuffer(8),
  dv: new DataView(new ArrayBuffer(4)),
});
expectType<Equal<(typeof views)['px'], Uint8ClampedArray<ArrayBuffer>>>();
expectType<Equal<(typeof views)['f'], Float32Array<ArrayBuffer>>>();
expectType<Equal<(typeof views)['buf'], ArrayBuffer>>();
const rich = await pool.run('echo', {
  when: new Date(),
  re: /a+/g,
  err: new RangeError('x', { cause: 1 }),
  m: new Map([['a', 1]]),
  s: new Set([1, 2]),
});
expectType<
  Equal<typeof rich, { when: Date; re: RegExp; err: Error; m: Map<string, number>; s: Set<number> }>
>();
const tuple = await pool.run('echo', [1, 'a'] as const);
expectType<Equal<typeof tuple, [1, 'a']>>();
expectType<Equal<Echoed<{ readonly a?: number | undefined }>, { a?: number | undefined }>>();
expectType<Equal<Echoed<ReadonlyMap<string, readonly number[]>>, Map<string, number[]>>>();
expectType<Equal<OutputOf<'echo'>, Cloned>>();
declare const anyData: Clonable;
const echoedAny = await pool.run('echo', anyData);
expectType<Equal<typeof echoedAny, Cloned>>();
const nested = await pool.run('echo', { inner: anyData, list: [anyData] });
expectType<Equal<typeof nested, { inner: Cloned; list: Cloned[] }>>();
// A type alias is plain data; spread an interface's value to pass it.
type Point = { x: number; y: number };
interface IPoint {
  x: number;
  y: number;
}
declare const p1: Point;
declare const p2: IPoint;
await pool.run('echo', p1);
await pool.run('echo', { ...p2 });
// @ts-expect-error an interface has no implicit index signature (documented on Clonable)
await pool.run('echo', p2);

// --- wrong inputs are compile errors --------------------------------------------
// @ts-expect-error below must be a number
await pool.run('primes', { below: 'x' });
// @ts-expect-error sleep takes { ms }
await pool.run('sleep', 5);
// @ts-expect-error spin needs ms
await pool.run('spin', {});
// @ts-expect-error sha256 takes a string or bytes
await pool.run('sha256', 42);
// @ts-expect-error a Uint16Array is not bytes
await pool.run('sha256', new Uint16Array(2));
// @ts-expect-error square takes a number
await pool.run('square', '3');
// @ts-expect-error mandelbrot needs maxIter
await pool.run('mandelbrot', { x: 0, y: 0, width: 1, height: 1, scale: 1 });
// @ts-expect-error parallel is a boolean
await pool.run('mandelbrot', { x: 0, y: 0, width: 1, height: 1, scale: 1, maxIter: 1, parallel: 1 });
// @ts-expect-error rgba is bytes, not numbers
await pool.run('thumbnail', { width: 1, height: 1, rgba: [0, 0, 0, 255], maxSide: 1 });
// @ts-expect-error message is a string
await pool.run('fail', { message: 1 });
// @ts-expect-error functions cannot cross into the shared memory
await pool.run('echo', () => 1);
// @ts-expect-error nor symbols
await pool.run('echo', Symbol('s'));
// @ts-expect-error nor class instances with methods
await pool.run('echo', { at: new URL('https://example.com') });
// @ts-expect-error nor class instances
await pool.run('echo', new (class P { x = 1 })());
// @ts-expect-error nor shared memory
await pool.run('echo', new SharedArrayBuffer(8));
// @ts-expect-error nor promises
await pool.run('echo', Promise.resolve(1));
// @ts-expect-error nor weak maps
await pool.run('echo', new WeakMap());
// @ts-expect-error nor objects with a function inside
await pool.run('echo', { nested: [{ f() {} }] });
// @ts-expect-error a kind is a string
await pool.run(123, 1);
// @ts-expect-error unknown job option
await pool.run('square', 2, { timeout: 5 });
// @ts-expect-error timeoutMs is a number
await pool.run('square', 2, { timeoutMs: '5' });
// @ts-expect-error hardTimeoutMs is a number
await pool.run('square', 2, { hardTimeoutMs: '5' });
await pool.run('square', 2, { hardTimeoutMs: 1000 });

// --- submit and trySubmit check inputs the same way and give ids ---------------
const id = await pool.submit('primes', { below: 1e5 });
expectType<Equal<typeof id, number>>();
const now = pool.trySubmit('sleep', { ms: 1 }, { signal: AbortSignal.timeout(100), timeoutMs: 50 });
expectType<Equal<typeof now, number>>();
await pool.submit('echo', { any: ['plain', 1, null, true] });
// @ts-expect-error below must be a number
await pool.submit('primes', { below: 'x' });
// @ts-expect-error sleep takes { ms }
pool.trySubmit('sleep', 5);
expectType<Equal<ReturnType<typeof pool.cancel>, boolean>>();

// --- handler kinds: any other string, unknown in and out ------------------------
const fetched = await pool.run('fetchTitle', '/index.html', { timeoutMs: 5000 });
expectType<Equal<typeof fetched, unknown>>();
await pool.run('negate', 1);
await pool.run('resize', { anything: new Map() }); // checked at run time, not here
await pool.submit('fetchTitle', new URL('https://example.com'));
pool.trySubmit('negate', 2);
expectType<Equal<InputOf<'fetchTitle'>, unknown>>();
expectType<Equal<OutputOf<'fetchTitle'>, unknown>>();
// A kind only known at run time may be any kind: unknown in and out.
declare const someKind: string;
const dynamic = await pool.run(someKind, 1);
expectType<Equal<typeof dynamic, unknown>>();

// --- the kind names themselves --------------------------------------------------
expectType<
  Equal<BuiltInKind, 'echo' | 'sleep' | 'spin' | 'sha256' | 'primes' | 'mandelbrot' | 'thumbnail' | 'square' | 'fail' | 'panic'>
>();
const k: Kind = 'whatever';
void k;

// --- a group runs the same kinds --------------------------------------------------
const g = pool.group({ limit: 2, signal: AbortSignal.timeout(1000) });
const gp = g.go('primes', { below: 10 });
expectType<Equal<typeof gp, Promise<number>>>();
const gh = g.go('fetchTitle', 'x');
expectType<Equal<typeof gh, Promise<unknown>>>();
// @ts-expect-error below must be a number
g.go('primes', { below: 'x' });
expectType<Equal<Awaited<ReturnType<typeof g.wait>>, unknown[]>>();
expectType<Equal<typeof g.signal, AbortSignal>>();

// --- job options ---------------------------------------------------------------------
declare const signal: AbortSignal | undefined;
await pool.run('square', 2, { signal, timeoutMs: undefined, onProgress: undefined });
await pool.run('spin', { ms: 100 }, {
  onProgress(value) {
    expectType<Equal<typeof value, unknown>>();
  },
});
