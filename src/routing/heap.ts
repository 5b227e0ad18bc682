/** Binary min-heap of integer items keyed by numbers, on growable typed arrays (no per-push allocation). */
export class MinHeap {
  private keys = new Float64Array(64);
  private items = new Int32Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(key: number, item: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(this.size * 2);
      keys.set(this.keys);
      this.keys = keys;
      const items = new Int32Array(this.size * 2);
      items.set(this.items);
      this.items = items;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent] <= key) break;
      this.keys[i] = this.keys[parent];
      this.items[i] = this.items[parent];
      i = parent;
    }
    this.keys[i] = key;
    this.items[i] = item;
  }

  /** Key of the smallest item; only valid when size > 0. */
  peekKey(): number {
    return this.keys[0];
  }

  /** Removes and returns the item with the smallest key; only valid when size > 0. */
  pop(): number {
    const top = this.items[0];
    const n = --this.size;
    if (n > 0) {
      const key = this.keys[n];
      const item = this.items[n];
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && this.keys[child + 1] < this.keys[child]) child++;
        if (this.keys[child] >= key) break;
        this.keys[i] = this.keys[child];
        this.items[i] = this.items[child];
        i = child;
      }
      this.keys[i] = key;
      this.items[i] = item;
    }
    return top;
  }
}
