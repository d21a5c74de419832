// @ts-check
// BullMQ's side of bench/redis/run.sh: one scenario, one JSON line with
// jobs/s, the same scenarios and job counts as redis/examples/redis_bench.rs.
//
//   node bench/redis/bullmq.mjs --url redis://127.0.0.1:6379/ --scenario S --jobs N
//
// Scenarios (BullMQ's own benchmark suite): queue-add (single adds of a 10x10
// nested payload), queue-add-bulk (addBulk of 50 tiny jobs), worker-generic
// (concurrency 1, no-op), worker-concurrent (concurrency 100, no-op). Jobs
// are removed on completion (the Redis side of brigade keeps the stream
// entry, acknowledged). The worker scenarios fill the queue first, untimed.
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';

const args = process.argv.slice(2);
const arg = (/** @type {string} */ name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) {
    console.error('usage: bullmq.mjs --url URL --scenario S --jobs N');
    process.exit(2);
  }
  return args[i + 1];
};
const url = arg('--url');
const scenario = arg('--scenario');
const jobs = Number(arg('--jobs'));

/** @type {IORedis[]} */
const connections = [];
const connection = () => {
  const c = new IORedis(url, { maxRetriesPerRequest: null });
  connections.push(c);
  return c;
};
const admin = connection();
await admin.flushall();

const nested = Object.fromEntries(
  Array.from({ length: 10 }, (_, i) => [
    `k${i}`,
    Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`k${j}`, j])),
  ]),
);
const opts = { removeOnComplete: true, removeOnFail: true };
const queue = new Queue('bench', { connection: connection(), defaultJobOptions: opts });
await queue.waitUntilReady();

async function fill() {
  for (let i = 0; i < jobs; i += 1000) {
    const n = Math.min(1000, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'job', data: { n: i + k } })));
  }
}

/** @param {number} concurrency */
async function work(concurrency) {
  await fill();
  let done = 0;
  const started = performance.now();
  /** @type {() => void} */
  let finish = () => {};
  const all = new Promise((resolve) => {
    finish = () => resolve(undefined);
  });
  const worker = new Worker('bench', async () => {}, { connection: connection(), concurrency });
  worker.on('completed', () => {
    done += 1;
    if (done === jobs) finish();
  });
  await all;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  return seconds;
}

let seconds;
const started = performance.now();
switch (scenario) {
  case 'queue-add':
    for (let i = 0; i < jobs; i++) await queue.add('job', nested);
    seconds = (performance.now() - started) / 1000;
    break;
  case 'queue-add-bulk': {
    const bulk = Array.from({ length: 50 }, (_, n) => ({ name: 'job', data: { n } }));
    for (let i = 0; i < jobs / 50; i++) await queue.addBulk(bulk);
    seconds = (performance.now() - started) / 1000;
    break;
  }
  case 'worker-generic':
    seconds = await work(1);
    break;
  case 'worker-concurrent':
    seconds = await work(100);
    break;
  default:
    console.error(`unknown scenario ${scenario}`);
    process.exit(2);
}
console.log(
  JSON.stringify({ engine: 'bullmq', scenario, jobs, seconds: Number(seconds.toFixed(6)), jobs_per_s: Number((jobs / seconds).toFixed(1)) }),
);
await queue.close();
// BullMQ leaves connections it was given open.
await Promise.all(connections.map((c) => c.quit()));
