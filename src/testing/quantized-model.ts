// A loaded model with its matrices re-stored as GGML blocks, as a GGUF of that type would hold
// them (norms and biases stay f32, as in llama.cpp's files). Both backends then read the same
// blocks: the CPU reference dequantizes them, the GPU keeps them quantized.
import type { LoadedModel } from '../model/load.ts';
import { quantize } from '../model/quant.ts';
import { WeightTensor } from '../model/tensor.ts';

export function quantizeMatrices(model: LoadedModel, type: 'Q8_0' | 'Q4_0'): LoadedModel {
  const weights = new Map<string, WeightTensor>();
  for (const [name, t] of model.weights) {
    const matrix = t.shape.length === 2 && name.endsWith('.weight') && !name.includes('norm');
    weights.set(name, matrix ? new WeightTensor(name, type, t.shape, quantize(type, t.toF32())) : t);
  }
  return { ...model, weights };
}
