/**
 * An indexed binary min-heap of timers: each entry knows its position, so
 * insert, remove and reschedule are O(log n). Ties on the deadline are broken
 * by a sequence number, so timers due at the same time fire in the order they
 * were scheduled.
 */
export interface HeapEntry {
  deadline: number;
  seq: number;
  /** Position in the heap array, or -1 when not in the heap. */
  heapIndex: number;
}

const before = (a: HeapEntry, b: HeapEntry): boolean =>
  a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);

export class TimerHeap<T extends HeapEntry> {
  readonly #items: T[] = [];

  peek(): T | undefined {
    return this.#items[0];
  }

  /** Every entry whose deadline is <= `deadline`, in no particular order (the subtrees that start later are skipped). */
  dueBy(deadline: number): T[] {
    const items = this.#items;
    const out: T[] = [];
    const stack = items.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const entry = items[i]!;
      if (entry.deadline > deadline) continue;
      out.push(entry);
      if (2 * i + 1 < items.length) stack.push(2 * i + 1);
      if (2 * i + 2 < items.length) stack.push(2 * i + 2);
    }
    return out;
  }

  push(entry: T): void {
    const items = this.#items;
    entry.heapIndex = items.length;
    items.push(entry);
    this.#up(entry.heapIndex);
  }

  remove(entry: T): void {
    const items = this.#items;
    const i = entry.heapIndex;
    if (i < 0 || items[i] !== entry) return;
    const last = items.pop()!;
    entry.heapIndex = -1;
    if (last === entry) return;
    items[i] = last;
    last.heapIndex = i;
    if (i > 0 && before(last, items[(i - 1) >> 1]!)) this.#up(i);
    else this.#down(i);
  }

  /** Move an entry after its deadline changed. */
  update(entry: T): void {
    const i = entry.heapIndex;
    if (i < 0) return this.push(entry);
    if (i > 0 && before(entry, this.#items[(i - 1) >> 1]!)) this.#up(i);
    else this.#down(i);
  }

  #up(i: number): void {
    const items = this.#items;
    const entry = items[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!before(entry, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const entry = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right]!, items[left]!) ? right : left;
      if (!before(items[child]!, entry)) break;
      items[i] = items[child]!;
      items[i]!.heapIndex = i;
      i = child;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }
}
