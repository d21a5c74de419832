// @ts-check
// The one WebAssembly module every pool shares: instantiating it, and what
// happens after it traps.

import init, {
  PoolHandle,
  JobCancel,
  GroupHandle,
  Refusal,
  builtInKinds,
  optionRules,
  reapWorker,
  __brigadeTerminateWorker as terminateWorker,
  __brigadeWorkerGone as workerGone,
} from '../brigade_wasm.js';
import { NotIsolatedError, PoolClosedError } from './errors.js';

export { PoolHandle, JobCancel, GroupHandle, Refusal, builtInKinds, terminateWorker, workerGone };

/**
 * One number option's rule: its range, whether it must be whole, its default.
 * @typedef {{ min: number, max: number, integer: boolean, default?: number }} Rule
 */

/** @type {Record<string, Rule> | null} */
let rules = null;

/**
 * The limits and defaults of every number option, from the module (see
 * wasm/src/options.rs): the one place they are written. Needs `initialize()`.
 * @returns {Record<string, Rule>}
 */
export function optionRulesOf() {
  rules ??= /** @type {Record<string, Rule>} */ (optionRules());
  return rules;
}

/** @type {Promise<unknown> | null} */
let ready = null;

/**
 * The trap that ended the module, if one did. After a trap on any thread the
 * wasm-bindgen glue answers every call with `Error('Module terminated')`,
 * and the trap may have stopped a thread in the middle of a change to the
 * shared memory, so no call goes into the module again: every pool answers
 * with PoolClosedError whose cause is what was thrown.
 * @type {Error | null}
 */
export let trapped = null;

/** @param {unknown} e @returns {e is Error} */
function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError || (e instanceof Error && e.message === 'Module terminated');
}

/**
 * What to throw for an error a call into the module threw: after a trap,
 * PoolClosedError (and every pool is ended, see `trapped`); else the error.
 * For hot paths, where `guarded`'s closure would cost.
 * @param {unknown} e
 * @returns {unknown}
 */
export function trapError(e) {
  if (!isTrap(e)) return e;
  ended(e);
  return new PoolClosedError({ cause: trapped, trapped: true });
}

/**
 * What the module tells a pool of: a trap, and a Web Worker gone.
 * @typedef {{ trapped(e: Error): void, workerGone(token: number): boolean }} Watcher
 */

/** Pools to tell when the module traps or a Web Worker is gone. @type {Set<WeakRef<Watcher>>} */
const watchers = new Set();

/**
 * Tells `pool` (its `trapped(e)`) when the module traps, even when the trap
 * happens on a worker while the page calls nothing, and (its
 * `workerGone(token)`) when a Web Worker is gone.
 * @param {Watcher} pool
 */
export function watchTraps(pool) {
  for (const w of watchers) if (!w.deref()) watchers.delete(w);
  watchers.add(new WeakRef(pool));
}

/** @param {Error} e */
function ended(e) {
  trapped ??= e;
  for (const w of watchers) w.deref()?.trapped(trapped);
  watchers.clear();
}

// A worker stopped with an error: if it was a trap, the module answers every
// call with "Module terminated" from now on.
globalThis.addEventListener?.('brigade:worker-error', () => {
  if (trapped) return;
  try {
    builtInKinds();
  } catch (e) {
    if (isTrap(e)) ended(e);
  }
});

// A Web Worker is gone (js/worker.js is granted its lock): what the thread
// held in the shared memory (its stack, its thread-local storage) is freed,
// unless it freed them itself as it closed; then its pool ends its job and
// replaces it if it died running. Freed first, the dead thread's stack is
// kept for the replacement (wasm/src/stacks.rs).
globalThis.addEventListener?.('brigade:worker-gone', (e) => {
  if (trapped) return;
  const token = /** @type {CustomEvent<number>} */ (e).detail;
  try {
    reapWorker(token);
    for (const w of watchers) {
      const pool = w.deref();
      if (!pool) watchers.delete(w);
      else if (pool.workerGone(token)) break;
    }
  } catch (err) {
    if (isTrap(err)) ended(err);
    else throw err;
  }
});

/**
 * Runs a call into the module; a trap ends every pool (see `trapped`).
 * @template T
 * @param {() => T} call
 * @returns {T}
 */
export function guarded(call) {
  if (trapped) throw new PoolClosedError({ cause: trapped, trapped: true });
  try {
    return call();
  } catch (e) {
    throw trapError(e);
  }
}

/**
 * Instantiates the module once. Fails with NotIsolatedError on a page that is not
 * cross-origin isolated (checked first: without isolation the module cannot load).
 * @param {unknown} [moduleOrPath]
 */
export async function initialize(moduleOrPath) {
  if (!globalThis.crossOriginIsolated) throw new NotIsolatedError();
  ready ??= init(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
  await ready;
}

