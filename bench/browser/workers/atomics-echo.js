// Echo through shared memory instead of messages, one job at a time: the floor
// under brigade's round trip, which is a write into shared memory and a wake on
// each side. The page sends the SharedArrayBuffer once, with how to wait:
// `blocking` parks this worker in Atomics.wait; otherwise it awaits
// Atomics.waitAsync, as brigade's worker loop does when the queue is empty.
// Cells: 0 = request number (-1: stop), 1 = answered request number, 2 = input, 3 = output.

self.onmessage = async (e) => {
  const { buffer, blocking } = e.data;
  const cell = new Int32Array(buffer);
  let seen = 0;
  for (;;) {
    if (blocking) {
      Atomics.wait(cell, 0, seen);
    } else {
      const w = Atomics.waitAsync(cell, 0, seen);
      if (w.async) await w.value;
    }
    const request = Atomics.load(cell, 0);
    if (request < 0) return;
    if (request === seen) continue;
    seen = request;
    Atomics.store(cell, 3, Atomics.load(cell, 2));
    Atomics.store(cell, 1, request);
    Atomics.notify(cell, 1);
  }
};
