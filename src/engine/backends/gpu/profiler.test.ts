import { describe, expect, it } from 'vitest';
import { dispatchCategory } from './profiler.ts';

describe('dispatchCategory', () => {
  it('groups dispatch labels into op categories', () => {
    expect(dispatchCategory('L3.attention')).toBe('attention');
    expect(dispatchCategory('L0.input_norm')).toBe('rmsnorm');
    expect(dispatchCategory('final_norm')).toBe('rmsnorm');
    expect(dispatchCategory('gate_up.tiles')).toBe('matmul:gate_up');
    expect(dispatchCategory('qkv.reduce-tree/2')).toBe('matmul:qkv');
    expect(dispatchCategory('L1.rope_kv')).toBe('rope_kv');
    expect(dispatchCategory('sampler')).toBe('sampler');
    expect(dispatchCategory('embed')).toBe('embed');
  });
});
