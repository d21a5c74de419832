// @ts-check
// One file, two roles.
// - On the page (imported by the wasm-bindgen glue): `startWorker` creates a Web
//   Worker running this same file and sends it the module and the shared memory.
// - In a Web Worker: waits for `brigade:init`, instantiates the module on the
//   shared memory, and runs the worker loop, which drains the job queue and
//   awaits (Atomics.waitAsync) when it is empty. `callHandler` runs jobs of
//   JavaScript handler modules there.
//
// The worker imports the glue by a literal relative path: this file sits in
// `snippets/<crate>-<hash>/js/` of the package, next to `brigade_wasm.js` three
// levels up. Bundlers (Vite, webpack) see both `new Worker(new URL(...))` and
// that import, and emit the worker with the glue in its own chunk. A program
// that loads the module under other glue (a wasm-bindgen-test binary) sends
// that glue's URL instead (`bootstrap::use_own_glue`).

/**
 * The page's Web Workers by token: each holds the Web Lock `lock` for its
 * lifetime, and `gone` resolves when the page is granted that lock, that is
 * once the worker is gone however it ended (closed, terminated, crashed).
 * @type {Map<number, { worker: Worker, lock: string, gone: Promise<void> }>}
 */
const started = new Map();

/** Lock names are per page load: another tab of the origin has its own. */
const lockPrefix = `brigade-worker-${globalThis.crypto?.randomUUID?.() ?? Math.random()}-`;

/**
 * Terminates the Web Worker started with `token` at once (see gate.rs for
 * when that is safe).
 * @param {number} token
 */
export function terminateWorker(token) {
  started.get(token)?.worker.terminate();
}

/**
 * Resolves once the Web Worker started with `token` is gone.
 * @param {number} token
 * @returns {Promise<void>}
 */
export function workerGone(token) {
  return started.get(token)?.gone ?? Promise.resolve();
}

/**
 * Frees a gone thread's thread-local storage and stack in the shared memory
 * (bootstrap.rs, reapWorker).
 * @param {{ __wbindgen_thread_destroy: (tls: number, stack: number, size: number) => void }} exports
 * @param {number} tls @param {number} stack
 */
export function destroyThread(exports, tls, stack) {
  exports.__wbindgen_thread_destroy(tls, stack, 0);
}

/**
 * @param {WebAssembly.Module} module
 * @param {WebAssembly.Memory} memory
 * @param {string} glue URL of the glue module to import instead of the package's, or ""
 * @param {number} token which worker this is (see bootstrap.rs)
 * @param {string} name
 * @returns {Worker}
 */
export function startWorker(module, memory, glue, token, name) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
  const lock = lockPrefix + token;
  /** @type {() => void} */
  let resolveGone = () => {};
  const gone = new Promise((resolve) => {
    resolveGone = () => resolve(undefined);
  });
  started.set(token, { worker, lock, gone });
  worker.addEventListener('message', (e) => {
    if (e.data?.type !== 'brigade:holding') return;
    // Granted when the worker's hold ends, with the worker.
    navigator.locks.request(lock, () => {
      started.delete(token);
      resolveGone();
      globalThis.dispatchEvent(new CustomEvent('brigade:worker-gone', { detail: token }));
    });
  });
  worker.addEventListener('error', (e) => {
    console.error(`brigade: worker ${name} stopped: ${e.message}`);
    // The page's pools check whether the module trapped (js/api/module.js):
    // a worker that traps ends the module for every thread, and nothing the
    // page waits for would come.
    globalThis.dispatchEvent(new CustomEvent('brigade:worker-error', { detail: e.message }));
  });
  worker.postMessage({ type: 'brigade:init', module, memory, glue, token, lock });
  return worker;
}

const inWorker =
  typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope;

if (inWorker) {
  globalThis.addEventListener('message', async function onInit(ev) {
    const msg = ev.data;
    if (!msg || msg.type !== 'brigade:init') return;
    globalThis.removeEventListener('message', onInit);
    try {
      const glue = msg.glue
        ? await import(/* @vite-ignore */ /* webpackIgnore: true */ msg.glue)
        : await import('../../../brigade_wasm.js');
      const wasm = await glue.default({ module_or_path: msg.module, memory: msg.memory });
      // Held until this worker is gone: the page learns of its end by
      // being granted the lock.
      await new Promise((held) =>
        navigator.locks.request(msg.lock, () => {
          held(undefined);
          return new Promise(() => {});
        }),
      );
      postMessage({ type: 'brigade:holding' });
      const tls = wasm.__tls_base?.value ?? 0;
      const stack = wasm.__stack_alloc?.value ?? 0;
      // The page frees this thread's stack and thread-local storage once
      // it is gone (bootstrap.rs, reapWorker): freeing them here, the
      // allocator would still need them.
      await glue.__brigade_worker_main(msg.token, tls, stack);
    } catch (err) {
      console.error('brigade: worker stopped with an error', err);
      throw err;
    } finally {
      globalThis.close();
    }
  });
}

/** @type {Map<string, Promise<Record<string, unknown>>>} */
const handlerModules = new Map();

/** `info.progress` of a job whose progress nobody asked for. @param {unknown} _value */
function ignoreProgress(_value) {}

/**
 * Calls the export `name` of the handlers module at `url` (imported once per
 * worker) with the job's input and `{ signal, progress }`.
 * @param {string} url
 * @param {string} name
 * @param {unknown} input
 * @param {{ signal: AbortSignal, progress?: (value: unknown) => void }} info
 * @returns {Promise<unknown>}
 */
export async function callHandler(url, name, input, info) {
  let loading = handlerModules.get(url);
  if (!loading) {
    loading = import(/* @vite-ignore */ /* webpackIgnore: true */ url);
    handlerModules.set(url, loading);
  }
  const handler = (await loading)[name];
  // The job may have ended while the module loaded.
  info.signal.throwIfAborted();
  // Nobody asked for this job's progress: reporting it does nothing.
  info.progress ??= ignoreProgress;
  if (typeof handler !== 'function') {
    throw new TypeError(`the handlers module has no function export named ${JSON.stringify(name)}`);
  }
  return handler(input, info);
}
