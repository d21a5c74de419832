// @ts-check
// The page side of sw.js: on a host that cannot send COOP/COEP headers, makes
// the page cross-origin isolated by registering the service worker that adds
// them, then reloading once so that the page arrives through it.
//
//   import { ensureIsolated } from './isolate.js';
//   await ensureIsolated();          // resolves true once isolated
//   const pool = await Pool.create(); // …
//
// Served with the headers, it does nothing. It reloads at most once per tab
// session (a sessionStorage flag): if the page is still not isolated after that
// reload, it resolves false and leaves the page as it is, so Pool.create
// rejects with NotIsolatedError instead of the page reloading forever.

/** sessionStorage key: set just before the reload, removed once isolated. */
const RELOADED = 'brigade:isolation-reload';

/** How long to wait, after the worker is active, for it to claim the page. */
const CLAIM_MS = 1000;

/**
 * @typedef {object} IsolateOptions
 * @property {string | URL} [serviceWorker] URL of sw.js, resolved against the
 *   page (default `sw.js`, next to the page). A service worker can only control
 *   pages at or below its own folder, so serve it from the page's folder or
 *   above, not from inside `node_modules`.
 * @property {string | URL} [scope] the pages it controls (default: the page's
 *   folder, `./`)
 */

/**
 * Makes the page cross-origin isolated if it is not, with the service worker
 * sw.js: registers it, waits until it controls the page and reloads the page
 * once; the reloaded page's responses carry the isolation headers.
 *
 * Resolves `true` when the page is cross-origin isolated (at once if the server
 * sent the headers); `false` when it cannot be made so here: no service worker
 * support (a browser's private mode, an insecure `http:` origin other than
 * localhost), storage disabled, or still not isolated after this tab's one
 * reload. While the page reloads the promise never settles. Rejects if the
 * service worker cannot be registered (for example sw.js is not found).
 * @param {IsolateOptions} [options]
 * @returns {Promise<boolean>}
 */
export async function ensureIsolated(options = {}) {
  if (globalThis.crossOriginIsolated) {
    forgetReload();
    return true;
  }
  if (typeof document === 'undefined' || !navigator.serviceWorker) return false;
  if (reloadedBefore()) return false;
  const registration = await navigator.serviceWorker.register(
    new URL(options.serviceWorker ?? 'sw.js', document.baseURI),
    { scope: new URL(options.scope ?? './', document.baseURI).href },
  );
  // Tools that block service workers (Playwright's `serviceWorkers: 'block'`)
  // replace register() with one that resolves to nothing.
  if (!registration) return false;
  await activated(registration);
  await controlled(CLAIM_MS);
  if (!markReload()) return false;
  location.reload();
  return new Promise(() => {});
}

/**
 * Resolves once the registration's newest worker is activated.
 * @param {ServiceWorkerRegistration} registration
 * @returns {Promise<void>}
 */
function activated(registration) {
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  return new Promise((resolve, reject) => {
    if (!worker) return reject(new Error('the service worker registration has no worker'));
    const check = () => {
      if (worker.state === 'activated') resolve();
      else if (worker.state === 'redundant') reject(new Error(`service worker ${worker.scriptURL} failed to install`));
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

/**
 * Resolves once a service worker controls the page (sw.js claims its pages when
 * it activates), or after `ms`: a page loaded with a hard reload is never
 * claimed, but its next plain reload goes through the active worker anyway.
 * @param {number} ms
 * @returns {Promise<void>}
 */
function controlled(ms) {
  if (navigator.serviceWorker.controller) return Promise.resolve();
  return new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
    setTimeout(resolve, ms);
  });
}

/** @returns {boolean} this tab already reloaded for isolation (or cannot tell) */
function reloadedBefore() {
  try {
    return sessionStorage.getItem(RELOADED) !== null;
  } catch {
    return true; // no storage: no guard against a reload loop, so no reload
  }
}

/** @returns {boolean} the flag is set, so a reload is safe */
function markReload() {
  try {
    sessionStorage.setItem(RELOADED, String(Date.now()));
    return true;
  } catch {
    return false;
  }
}

function forgetReload() {
  try {
    sessionStorage.removeItem(RELOADED);
  } catch {
    // Storage disabled: there is no flag to remove.
  }
}
