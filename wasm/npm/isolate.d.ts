// Type declarations for brigade-wasm/isolate.js (web/isolate.js).

export interface IsolateOptions {
  /**
   * URL of sw.js (brigade-wasm/sw.js, copied next to the page), resolved against
   * the page; default `'sw.js'`. A service worker only controls pages at or below
   * its own folder, so it cannot be served from inside node_modules.
   */
  serviceWorker?: string | URL | undefined;
  /** The pages it controls; default: the page's folder (`'./'`). */
  scope?: string | URL | undefined;
}

/**
 * Makes the page cross-origin isolated on a host that cannot send COOP/COEP:
 * registers sw.js, waits until it controls the page and reloads once.
 *
 * Resolves `true` when the page is isolated (at once if the server sent the
 * headers), `false` when it cannot be made so (no service worker support,
 * storage disabled, or still not isolated after this tab's one reload); never
 * settles while the page reloads. Rejects if sw.js cannot be registered.
 */
export function ensureIsolated(options?: IsolateOptions): Promise<boolean>;
