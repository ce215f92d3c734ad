// A binary min-heap of scheduled entries ordered by (at, seq): due time, then the order they
// were scheduled in. ManualClock keeps its timers in one and the virtual network its datagrams
// in transit, so both stay O(log n) per entry with hundreds of thousands pending (a linear scan
// per step made a clock with n timers O(n^2)).

/** What the heap orders by. `seq` must be unique and increasing in scheduling order. */
export interface Scheduled {
  at: number;
  seq: number;
}

export class EventHeap<T extends Scheduled> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest entry, or undefined. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    // Sift up: move parents down until the slot fits.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!before(item, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = item;
  }

  /** Removes and returns the earliest entry. */
  pop(): T | undefined {
    const a = this.items;
    const n = a.length;
    if (n === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (n > 1) this.siftDown(last, 0);
    return top;
  }

  /** Keeps only the entries `keep` accepts, in O(n) (Floyd's heap construction). */
  retain(keep: (item: T) => boolean): void {
    const a = this.items;
    let w = 0;
    for (let r = 0; r < a.length; r++) if (keep(a[r]!)) a[w++] = a[r]!;
    a.length = w;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(a[i]!, i);
  }

  clear(): void {
    this.items.length = 0;
  }

  private siftDown(item: T, from: number): void {
    const a = this.items;
    const n = a.length;
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(a[r]!, a[l]!) ? r : l;
      const child = a[c]!;
      if (!before(child, item)) break;
      a[i] = child;
      i = c;
    }
    a[i] = item;
  }
}

function before(x: Scheduled, y: Scheduled): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
