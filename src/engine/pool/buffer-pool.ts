/**
 * Reusable staging buffers for batches whose bytes do not live in a SharedArrayBuffer: the pool
 * copies their packets into a pooled buffer, hands that to a worker, and copies them back.
 * Pooling avoids allocating (and, for SharedArrayBuffer, zero-filling) per batch.
 *
 * Sizes round up to a power of two (at least 16 KiB) so buffers recycle across batch sizes.
 */
export class BufferPool<B extends ArrayBuffer | SharedArrayBuffer> {
  private readonly free: B[] = [];

  constructor(
    private readonly create: (bytes: number) => B,
    /** Most idle buffers kept; extra ones are dropped for the GC. */
    private readonly maxIdle = 16,
  ) {}

  static roundUp(bytes: number): number {
    let size = 16 * 1024;
    while (size < bytes) size *= 2;
    return size;
  }

  /** A buffer of at least `bytes` bytes (contents unspecified). */
  acquire(bytes: number): B {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.byteLength >= bytes) {
        this.free[i] = this.free[this.free.length - 1]!;
        this.free.pop();
        return b;
      }
    }
    return this.create(BufferPool.roundUp(bytes));
  }

  release(buffer: B): void {
    // A transferred-away ArrayBuffer is detached (byteLength 0): nothing to keep.
    if (buffer.byteLength === 0) return;
    if (this.free.length < this.maxIdle) this.free.push(buffer);
  }

  get idle(): number {
    return this.free.length;
  }
}
