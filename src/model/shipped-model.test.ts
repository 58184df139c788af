// The shipped default model (public/models/spark-nano, produced by training/export.py) loads,
// validates against its config, round-trips real code through its tokenizer, has the FIM tokens,
// and runs on the CPU reference. Skipped until the model exists in the checkout.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GREEDY, loadLab } from '../engine/index.ts';
import { asQ4KM } from '../testing/gguf-family-models.ts';
import { ggufFromHfFiles } from '../testing/gguf-test-model.ts';
import { loadGguf } from './gguf.ts';
import { loadModel } from './load.ts';
import { memoryFetcher } from './model-files.ts';

const { CpuBackend, buildPrompt } = await loadLab();

const DIR = fileURLToPath(new URL('../../public/models/spark-nano/', import.meta.url));
const present = existsSync(`${DIR}config.json`) && existsSync(`${DIR}model.safetensors`);

describe('shipped model public/models/spark-nano', () => {
  it.skipIf(!present)(`loads and runs on the CPU reference${present ? '' : ' (skipped: not exported yet)'}`, async () => {
    const files = Object.fromEntries(readdirSync(DIR).map((n) => [n, new Uint8Array(readFileSync(DIR + n))]));
    const model = await loadModel(memoryFetcher(files), { label: 'spark-nano' });
    expect(model.config.architecture).toBe('LlamaForCausalLM');
    const { fimPrefix, fimSuffix, fimMiddle, endOfText } = model.tokenizer.specials;
    expect([fimPrefix, fimSuffix, fimMiddle, endOfText].every((id) => id !== undefined)).toBe(true);

    const source = readFileSync(fileURLToPath(new URL('../engine/worker/prompt.ts', import.meta.url)), 'utf8') + '\tπ → ✓ 🚀\r\n';
    const ids = model.tokenizer.encode(source);
    expect(model.tokenizer.decode(ids)).toBe(source);
    expect(ids.length).toBeLessThan(source.length / 2); // a real BPE: several bytes per token

    const prompt = buildPrompt(model.tokenizer, { kind: 'fim', prefix: 'def add(a, b):\n    return ', suffix: '\n' }, { maxPromptTokens: 256 },
      { fimOrder: model.config.fimOrder });
    expect(model.config.fimOrder).toBe('spm'); // training/export.py FIM_ORDER
    expect(prompt.ids.at(-1)).not.toBe(fimMiddle); // SPM: the prompt ends with the prefix
    const out: number[] = [];
    const stats = await new CpuBackend(model).generate({
      promptIds: prompt.ids, maxNewTokens: 8, stopIds: [], sampling: GREEDY, tokensPerSubmit: 4,
    }, (chunk) => out.push(...chunk), new AbortController().signal);
    expect(out).toHaveLength(8);
    expect(stats.prefillTokens).toBe(prompt.ids.length);

    // The GGUF export is the same model: same config, FIM order included, and the same weights.
    const gguf = await loadGguf(files['spark-nano.gguf']!, { fileName: 'spark-nano.gguf' });
    expect(gguf.config.fimOrder).toBe('spm');
    expect({ ...gguf.config, rmsNormEps: 0, ropeTheta: 0 }).toEqual({ ...model.config, rmsNormEps: 0, ropeTheta: 0 });
    for (const [name, tensor] of model.weights) expect(gguf.weights.get(name)?.toF32(), name).toEqual(tensor.toF32());

    // Its Q4_K_M conversion, as llama.cpp mixes one: K-quants where the rows are whole 256-value
    // blocks (ffn_down's 512), Q5_0 / Q8_0 where they are not (the 192-wide rest).
    const q4km = await loadGguf(ggufFromHfFiles(files, { editTensors: (ts) => asQ4KM(ts, model.config.numLayers) }).gguf);
    const types = (part: string) => [0, 1, 2, 3].map((l) => q4km.weights.get(`model.layers.${l}.${part}`)?.dtype);
    expect(types('mlp.down_proj.weight')).toEqual(['Q4_K', 'Q4_K', 'Q6_K', 'Q6_K']);
    expect(types('self_attn.v_proj.weight')).toEqual(['Q5_0', 'Q5_0', 'Q8_0', 'Q8_0']);
    expect(types('mlp.gate_proj.weight')).toEqual(['Q5_0', 'Q5_0', 'Q5_0', 'Q5_0']);
    expect(q4km.weights.get('model.embed_tokens.weight')?.dtype).toBe('Q8_0');
  }, 60_000);
});
