// @ts-check
// The kitchen picture, drawn from the pool's gauges each frame: the producer
// (red while it waits for room), the queue as slots filling and emptying, and
// one box per worker, busy with a job or idle. Only what changed is touched.

/** Slots drawn one by one up to this capacity; a bigger queue is a gauge. */
const MAX_SLOTS = 64;

export class Pipeline {
  /**
   * @param {{ producer: HTMLElement, producerState: HTMLElement, slots: HTMLElement, fill: HTMLElement, workers: HTMLElement }} els
   */
  constructor(els) {
    this.els = els;
    this.capacity = -1;
    /** @type {HTMLElement[]} */
    this.slotEls = [];
    /** @type {Map<number, HTMLElement>} worker index → its box */
    this.workerEls = new Map();
    this.last = { queued: -1, waiting: '', state: '' };
  }

  /** Lays out the slots for a queue of `capacity`. @param {number} capacity */
  reset(capacity) {
    const { slots, workers } = this.els;
    this.capacity = capacity;
    this.last = { queued: -1, waiting: '', state: '' };
    workers.replaceChildren();
    this.workerEls.clear();
    slots.classList.toggle('rendezvous', capacity === 0);
    slots.classList.toggle('gauge', capacity > MAX_SLOTS);
    if (capacity === 0) {
      slots.replaceChildren(Object.assign(document.createElement('span'), {
        className: 'handoff',
        textContent: 'no slots: each job is handed straight to a free worker',
      }));
      this.slotEls = [];
    } else if (capacity > MAX_SLOTS) {
      const bar = document.createElement('span');
      bar.className = 'gauge-fill';
      slots.replaceChildren(bar);
      this.slotEls = [bar];
    } else {
      this.slotEls = Array.from({ length: capacity }, () => {
        const s = document.createElement('span');
        s.className = 'slot';
        return s;
      });
      slots.replaceChildren(...this.slotEls);
    }
  }

  /**
   * @param {{ queued: number, workers: number, running: import('./pkg/index.js').RunningJob[],
   *   waiting: boolean, producing: boolean }} g
   */
  update(g) {
    const { producer, producerState, fill } = this.els;
    const state = g.waiting ? 'waiting for room' : g.producing ? 'submitting' : 'done';
    if (state !== this.last.state) {
      producer.dataset.waiting = String(g.waiting);
      producerState.textContent = state;
      this.last.state = state;
    }
    if (g.queued !== this.last.queued) {
      this.last.queued = g.queued;
      fill.textContent = this.capacity === 0 ? '(unbuffered)' : `${g.queued} / ${this.capacity}`;
      if (this.capacity > MAX_SLOTS) {
        this.slotEls[0].style.width = `${(100 * Math.min(g.queued, this.capacity)) / this.capacity}%`;
      } else {
        this.slotEls.forEach((s, i) => s.classList.toggle('full', i < g.queued));
      }
    }
    const busy = new Map(g.running.map((r) => [r.worker, r.id]));
    // Boxes for the workers the pool has now: the busy ones by index, and
    // idle ones for the rest (after a resize the indices move on).
    const want = new Set(busy.keys());
    for (const w of this.workerEls.keys()) if (want.size < g.workers) want.add(w);
    for (let w = 0; want.size < g.workers; w++) want.add(w);
    for (const [w, box] of this.workerEls) {
      if (!want.has(w)) {
        box.remove();
        this.workerEls.delete(w);
      }
    }
    for (const w of [...want].sort((a, b) => a - b)) {
      let box = this.workerEls.get(w);
      if (!box) {
        box = document.createElement('span');
        box.className = 'worker';
        this.workerEls.set(w, box);
        const next = [...this.workerEls.keys()].filter((k) => k > w).sort((a, b) => a - b)[0];
        const before = next === undefined ? null : this.workerEls.get(next) ?? null;
        this.els.workers.insertBefore(box, before);
      }
      const id = busy.get(w);
      const text = id === undefined ? `${w}: idle` : `${w}: #${id}`;
      if (box.textContent !== text) {
        box.textContent = text;
        box.classList.toggle('busy', id !== undefined);
      }
    }
  }
}
