// @ts-check
/// <reference lib="webworker" />
// A service worker that makes its pages cross-origin isolated on static hosts
// that cannot set response headers (GitHub Pages and the like).
//
// brigade shares one WebAssembly memory (a SharedArrayBuffer) between the page
// and its Web Workers, which browsers allow only on cross-origin isolated pages:
// the document must arrive with `Cross-Origin-Opener-Policy: same-origin` and
// `Cross-Origin-Embedder-Policy: require-corp`. This worker answers every
// same-origin request of the pages it controls with the network's response plus
// those two headers (and `Cross-Origin-Resource-Policy: same-origin`), so the
// next load of a page is isolated. isolate.js registers it and reloads the page
// once; serve this file from the page's folder (a service worker only controls
// pages at or below its own folder).
//
// Cross-origin requests are left alone: under `require-corp` they load only if
// their server allows it (CORS, or `Cross-Origin-Resource-Policy: cross-origin`).

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** The headers that make a document cross-origin isolated. */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// Take over at once: the page reloads as soon as this worker controls it.
sw.addEventListener('install', () => {
  sw.skipWaiting();
});
sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== sw.location.origin) return;
  // Chromium throws on fetch() of such a request (devtools issue them).
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then(isolated));
});

/**
 * The response with the isolation headers added. Opaque responses (and opaque
 * redirects) cannot be read or rebuilt, so they pass unchanged.
 * @param {Response} response
 * @returns {Response}
 */
function isolated(response) {
  if (response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') {
    return response;
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
