import { describe, expect, it } from 'vitest';
import { RollingPercentiles } from './percentiles.ts';

describe('RollingPercentiles', () => {
  it('uses nearest rank', () => {
    const r = new RollingPercentiles(100);
    for (let i = 1; i <= 100; i++) r.add(i);
    expect(r.summary()).toEqual({ p50: 50, p95: 95, p99: 99, count: 100 });
  });
  it('keeps only the newest samples', () => {
    const r = new RollingPercentiles(3);
    [100, 1, 2, 3].forEach((v) => r.add(v));
    expect(r.values()).toEqual([1, 2, 3]);
    expect(r.percentile(99)).toBe(3);
  });
  it('is empty-safe and ignores non-finite values', () => {
    const r = new RollingPercentiles();
    r.add(NaN);
    expect(r.percentile(50)).toBeUndefined();
    expect(() => new RollingPercentiles(0)).toThrow(/capacity/);
  });
});
