// The GPU-side position counter that rope-kv and attention read and the sampler advances, so a
// run of decode steps never visits the host. gpu-model.ts allocates it; the host writes
// {pos, step: 0} before each submit.
import { storageStruct } from '../uniforms.ts';

export const GpuState = storageStruct('State', [
  ['pos', 'u32', 'position of the forward pass\'s first token'],
  ['step', 'u32', 'decode steps of this submit so far: the out_ids slot of the next sample'],
]);
