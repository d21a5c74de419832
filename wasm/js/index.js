// @ts-check
// brigade in the browser: the public JavaScript API over the wasm bindings.
// The pool's queue lives in the module's shared memory and Web Workers serve
// it, so submitting a job is a write into that memory, not a postMessage.
//
// api/module.js  the shared module: instantiation, and what a trap ends
// api/options.js pool and job options, checked before they cross
// api/errors.js  the error classes
// api/pool.js    the Pool
// api/fifo.js    the queue of records and of waiting submissions

export { initialize } from './api/module.js';
export { Pool } from './api/pool.js';
export {
  NotIsolatedError,
  QueueFullError,
  PoolClosedError,
  JobError,
  PanicError,
  TimeoutError,
  AbortError,
  WorkerLostError,
  DataCloneError,
} from './api/errors.js';
