// @ts-check
// The playground: starts a pool, submits jobs, shows each result as it arrives.
import { Pool } from './pkg/index.js';
import { ensureIsolated } from './isolate.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const num = (/** @type {string} */ id) => Number(/** @type {HTMLInputElement} */ ($(id)).value);

/** @param {string} message */
function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
  $('state').textContent = 'error';
}

/** @param {string} kind @param {number} i */
function input(kind, i) {
  if (kind === 'primes') return { below: 200_000 + i };
  return i;
}

async function run() {
  const workers = num('workers');
  const queue = num('queue');
  const jobs = num('jobs');
  const kind = /** @type {HTMLSelectElement} */ ($('kind')).value;
  const list = $('results');
  list.replaceChildren();
  $('error').hidden = true;
  $('state').textContent = 'starting';
  const pool = await Pool.create({ workers, queue });
  $('stat-workers').textContent = String(pool.stats().workers);
  $('state').textContent = 'running';
  let done = 0;
  const consume = (async () => {
    for await (const r of pool.results()) {
      const li = document.createElement('li');
      li.dataset.testid = 'result';
      li.dataset.id = String(r.id);
      li.dataset.worker = String(r.worker);
      if (r.ok) {
        li.dataset.value = JSON.stringify(r.value);
        li.textContent = `#${r.id} → ${JSON.stringify(r.value)} (worker ${r.worker})`;
      } else {
        li.className = 'failed';
        li.textContent = `#${r.id} ✗ ${r.error?.name}: ${r.error?.message}`;
      }
      list.append(li);
      done += 1;
      $('stat-done').textContent = String(done);
      $('stat-queued').textContent = String(pool.stats().queued);
    }
  })();
  for (let i = 1; i <= jobs; i++) {
    await pool.submit(kind, input(kind, i)); // waits while the queue is full
    $('stat-queued').textContent = String(pool.stats().queued);
  }
  pool.close();
  await consume;
  $('state').textContent = 'done';
}

$('run').addEventListener('click', () => run().catch((e) => showError(`${e.name}: ${e.message}`)));
// Without COOP/COEP headers, sw.js adds them (one reload); where it cannot,
// Pool.create rejects with NotIsolatedError, which says what to do.
ensureIsolated()
  .then(() => run())
  .catch((e) => showError(`${e.name}: ${e.message}`));
