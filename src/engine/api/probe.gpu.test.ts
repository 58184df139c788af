import { describe, expect, it } from 'vitest';
import { formatProbe, probeWebGpu } from './probe.ts';

describe('probeWebGpu in real Chromium', () => {
  it('finds an adapter and a device, and names them', async () => {
    const result = await probeWebGpu();
    expect(result.status).toBe('ok');
    expect(result.vendor.length + result.architecture.length + result.description.length).toBeGreaterThan(0);
    expect(formatProbe(result)).toMatch(/^WebGPU: .+ · shader-f16 (yes|no), subgroups (yes|no), timestamp-query (yes|no)$/);
  });
});
