// @ts-check
// One file, two roles.
// - On the page (imported by the wasm-bindgen glue): `startWorker` creates a Web
//   Worker running this same file and sends it the module and the shared memory.
// - In a Web Worker: waits for `brigade:init`, instantiates the module on the
//   shared memory, and runs the worker loop, which drains the job queue and
//   awaits (Atomics.waitAsync) when it is empty.

/**
 * @param {WebAssembly.Module} module
 * @param {WebAssembly.Memory} memory
 * @param {string} glue URL of the wasm-bindgen glue module
 * @param {number} token which worker this is (see bootstrap.rs)
 * @param {string} name
 * @returns {Worker}
 */
export function startWorker(module, memory, glue, token, name) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
  worker.addEventListener('error', (e) => {
    console.error(`brigade: worker ${name} failed to start: ${e.message}`);
  });
  worker.postMessage({ type: 'brigade:init', module, memory, glue, token });
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
      const glue = await import(msg.glue);
      await glue.default({ module_or_path: msg.module, memory: msg.memory });
      await glue.__brigade_worker_main(msg.token);
    } catch (err) {
      console.error('brigade: worker stopped with an error', err);
      throw err;
    } finally {
      globalThis.close();
    }
  });
}
