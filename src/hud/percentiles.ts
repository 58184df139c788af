// A rolling window of latency samples with nearest-rank percentiles. Latency is reported as
// p50/p95/p99 rather than a mean: one 300 ms stall among fifty 30 ms suggestions is what a user
// feels, and a mean hides it.

/** Nearest-rank percentile of `values` (p in 0..100); undefined when empty. */
export function nearestRank(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export class RollingPercentiles {
  private readonly samples: number[] = [];
  constructor(private readonly capacity = 200) {
    if (!(capacity >= 1)) throw new Error(`RollingPercentiles: capacity must be >= 1, got ${capacity}`);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.samples.push(value);
    if (this.samples.length > this.capacity) this.samples.shift();
  }

  get count(): number { return this.samples.length; }

  /** Oldest first, for sparklines. */
  values(): readonly number[] { return this.samples; }

  /** Nearest-rank percentile (p in 0..100); undefined when empty. */
  percentile(p: number): number | undefined {
    return nearestRank(this.samples, p);
  }

  summary(): { p50?: number; p95?: number; p99?: number; count: number } {
    return { p50: this.percentile(50), p95: this.percentile(95), p99: this.percentile(99), count: this.count };
  }
}
