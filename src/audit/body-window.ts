/**
 * The last bodies the writer thread was sent, by record id, first in first out, bounded
 * by count and bytes. Both threads keep one and apply the same additions in the same
 * order (the order of the messages): the writer's holds the bytes, the guard's only the
 * sizes, so the guard knows exactly which bodies the writer still has. A body that starts
 * like one of them is then sent as what follows that prefix (a few KB instead of ~100 KB
 * for an agent resending its history): copying and transferring whole bodies cost the
 * guard's process ~30 µs per request more, measured.
 */
export class BodyWindow<V> {
  private readonly entries = new Map<string, { size: number; value: V }>();
  private bytes = 0;

  constructor(
    private readonly maxBodies = 64,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  add(id: string, size: number, value: V): void {
    const old = this.entries.get(id);
    if (old) {
      this.entries.delete(id);
      this.bytes -= old.size;
    }
    this.entries.set(id, { size, value });
    this.bytes += size;
    while (this.entries.size > this.maxBodies || (this.bytes > this.maxBytes && this.entries.size > 1)) {
      const [oldest, e] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.bytes -= e.size;
    }
  }

  get(id: string): { size: number; value: V } | undefined {
    return this.entries.get(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
