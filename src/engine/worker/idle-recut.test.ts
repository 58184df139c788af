import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../testing/fake-clock.ts';
import { IdleRecut } from './idle-recut.ts';

function harness() {
  const clock = new FakeClock();
  const runs: { ids: number[]; signal: AbortSignal }[] = [];
  const recut = new IdleRecut(300, (ids, signal) => runs.push({ ids, signal }), clock);
  return { clock, runs, recut };
}

describe('IdleRecut', () => {
  it('prefills once nothing has come for its delay', () => {
    const { clock, runs, recut } = harness();
    recut.schedule([1, 2, 3]);
    clock.advance(299);
    expect(runs).toHaveLength(0);
    clock.advance(1);
    expect(runs.map((r) => r.ids)).toEqual([[1, 2, 3]]);
    expect(runs[0]!.signal.aborted).toBe(false);
  });

  it('a request before the delay drops it; one during the prefill stops it', () => {
    const { clock, runs, recut } = harness();
    recut.schedule([1]);
    clock.advance(200);
    recut.cancel();
    clock.advance(1000);
    expect(runs).toHaveLength(0);
    recut.schedule([2]);
    clock.advance(300);
    recut.cancel();
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('a newer schedule replaces the older, with its own delay; dispose leaves nothing behind', () => {
    const { clock, runs, recut } = harness();
    recut.schedule([1]);
    clock.advance(200);
    recut.schedule([2]);
    clock.advance(200);
    expect(runs).toHaveLength(0);
    clock.advance(100);
    expect(runs.map((r) => r.ids)).toEqual([[2]]);
    recut.schedule([3]);
    recut.dispose();
    expect(runs[0]!.signal.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });
});
