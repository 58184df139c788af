import { describe, expect, it } from 'vitest';
import { measureDispatchOverhead, measureReadBandwidth } from './bandwidth.ts';
import { testDevice } from '../../../testing/gpu-test-util.ts';

describe('bandwidth probe (stream-read kernel)', () => {
  it('reads a buffer and reports bytes / time (a measurement, no speed asserted)', async () => {
    const device = await testDevice();
    const r = await measureReadBandwidth(device, { megabytes: 4, passes: 2, trials: 1 });
    expect(r.bytes).toBe(4 * 1024 * 1024);
    expect(r.bestMs).toBeGreaterThan(0);
    expect(r.gbPerSecond).toBeGreaterThan(0);
    await expect(measureReadBandwidth(device, { megabytes: 1e6 })).rejects.toThrow(/exceed/);
    device.destroy();
  });

  it('times near-empty dispatches (a measurement, no speed asserted)', async () => {
    const device = await testDevice();
    const r = await measureDispatchOverhead(device, { dispatches: 32, trials: 1 });
    expect(r.dispatches).toBe(32);
    expect(r.msPerDispatch).toBeGreaterThan(0);
    expect(Number.isFinite(r.msPerDispatch)).toBe(true);
    device.destroy();
  });
});
