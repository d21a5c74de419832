// @ts-check
// The playground's JavaScript job handlers. The pool imports this module on
// every Web Worker (`Pool.create({ handlers: new URL('./jobs.js', ...) })`);
// a job whose kind names one of these exports runs it there as
// `handler(input, { signal })`. Each stands for work whose time is spent
// waiting on something else: a cook at the stove, a mail server, a remote
// step of a batch. The CPU-bound scenarios use the built-in Rust kinds
// (`thumbnail`, `mandelbrot`) instead.

/**
 * Resolves after `ms`, or rejects with the signal's reason once it aborts
 * (a timeout or a cancel), so an abandoned job frees its worker at once.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const done = () => {
      signal.removeEventListener('abort', stop);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

/**
 * A cook preparing one order: takes `ms`, and burns it with probability `failRate`.
 * @param {{ order: number, ms: number, failRate?: number }} input
 * @param {{ signal: AbortSignal }} info
 * @returns {Promise<{ order: number, cookedMs: number }>}
 */
export async function cook({ order, ms, failRate = 0 }, { signal }) {
  await delay(ms, signal);
  if (Math.random() < failRate) throw new Error(`order ${order} was burnt`);
  return { order, cookedMs: ms };
}

/** What a mail server answers when it wants the client to try again later. */
export class MailError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'MailError';
  }
}

/**
 * A flaky mail API: each call takes `latencyMs` give or take half of it, and
 * fails with probability `failRate` (a temporary error, worth a retry).
 * @param {{ to: string, latencyMs: number, failRate: number }} input
 * @param {{ signal: AbortSignal }} info
 * @returns {Promise<{ to: string, messageId: string }>}
 */
export async function sendEmail({ to, latencyMs, failRate }, { signal }) {
  await delay(latencyMs * (0.5 + Math.random()), signal);
  if (Math.random() < failRate) throw new MailError(`421 4.7.0 ${to}: try again later`);
  return { to, messageId: `<${Math.random().toString(36).slice(2, 10)}@mail.example>` };
}

/**
 * One step of a batch: takes `ms`, then fails if `fail` is set.
 * @param {{ step: number, ms: number, fail?: boolean }} input
 * @param {{ signal: AbortSignal }} info
 * @returns {Promise<number>} the step's number
 */
export async function step({ step, ms, fail = false }, { signal }) {
  await delay(ms, signal);
  if (fail) throw new Error(`step ${step} failed`);
  return step;
}
