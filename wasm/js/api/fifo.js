// @ts-check

/**
 * A first-in first-out queue with O(1) push and shift (Array#shift moves
 * every element; a pool can hold 100,000 records).
 * @template T
 */
export class Fifo {
  /** @type {T[]} */
  #items = [];
  #head = 0;

  /** @param {T} v */
  push(v) {
    this.#items.push(v);
  }

  isEmpty() {
    return this.#head === this.#items.length;
  }

  /** @returns {T | undefined} */
  peek() {
    return this.#items[this.#head];
  }

  /** @returns {T | undefined} */
  shift() {
    if (this.#head === this.#items.length) return undefined;
    const v = this.#items[this.#head];
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
}

