// Job handlers for the API tests: every pool worker imports this module.
let aborts = 0;
let calls = 0;

/** Sync. */
export function double(n) {
  return n * 2;
}

/** Whether this runs on a Web Worker (never the page). */
export function where() {
  return typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope ? 'worker' : 'page';
}

/** Async: resolves after a timer, so the worker's event loop must run. */
export async function later({ ms, value }) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

/** Typed arrays arrive as typed arrays. */
export function sum(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`expected a Uint8Array, got ${bytes}`);
  return bytes.reduce((a, b) => a + b, 0);
}

export function boom(input) {
  throw new RangeError(`boom: cannot handle ${JSON.stringify(input)}`);
}

/** Never settles on its own; counts the aborts it sees. */
export function waitForAbort(_input, { signal }) {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => {
      aborts += 1;
      reject(new Error('aborted'));
    });
  });
}

export function abortsSeen() {
  return aborts;
}

/** Fails on its first two calls in this worker, then succeeds. */
export function flaky() {
  calls += 1;
  if (calls <= 2) throw new Error(`flaky failure ${calls}`);
  return calls;
}

export function notData() {
  return () => 1;
}

/** Returns its input: job data makes the round trip page -> worker -> page. */
export function same(x) {
  return x;
}

/** Reports `n` steps of progress, a few ms apart, then returns `n`. */
export async function steps({ n, bad = false }, { progress }) {
  for (let i = 1; i <= n; i++) {
    await new Promise((r) => setTimeout(r, 2));
    progress(bad ? () => i : { step: i, of: n });
  }
  return n;
}

/** Throws an error with a cause (itself with a cause). */
export function nested(input) {
  const root = new RangeError(`no ${input}`, { cause: { code: 42 } });
  throw new Error('outer', { cause: root });
}

/** Throws an error with data of its own, and one value that is not data. */
export function coded(input) {
  const err = new TypeError(`bad ${input}`);
  err.code = 'E42';
  err.detail = { retryable: false, at: [1, 2] };
  err.callback = () => {};
  throw err;
}
