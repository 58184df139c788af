// describeRemoteModel through the fixture hub: the size, the stored format and the GPU estimate
// come from the listing and the headers alone; no weight file is read past its header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureHub } from '../testing/fixture-hub.ts';
import { makeTestGguf } from '../testing/gguf-test-model.ts';
import { makeTestModelFiles } from '../testing/test-model.ts';
import { describeRemoteModel, type GpuLimits } from './remote-model.ts';

const DIMS = { hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96 } as const;
const BIG = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 30 };

describe('describeRemoteModel', () => {
  const q8 = makeTestGguf({ ...DIMS, weightType: 'Q8_0', seed: 5 }).gguf;
  const bf16 = makeTestModelFiles({ architecture: 'Qwen2ForCausalLM', dtype: 'BF16', sharded: true, seed: 4 });
  let hub: FixtureHub;
  beforeAll(async () => {
    hub = await FixtureHub.start({
      'spark-test/gguf': { main: { 'model-q8_0.gguf': q8 } },
      'spark-test/bf16': { main: bf16 },
    });
  });
  afterAll(() => hub.dispose());
  const describeIt = (source: string, gpu: GpuLimits | null) =>
    describeRemoteModel(source, { hubEndpoint: hub.url, gpu });
  const weightReads = () => hub.requests.filter((r) => r.url.includes('/resolve/') && /\.(gguf|safetensors)$/.test(r.url));

  it('a GGUF: its size, block type and GPU estimate, reading only its header by range', async () => {
    hub.clearRequests();
    const info = await describeIt('spark-test/gguf', BIG);
    expect(info).toMatchObject({ layout: 'gguf', ggufFile: 'model-q8_0.gguf', format: 'gguf:Q8_0', bytes: q8.byteLength, host: new URL(hub.url).host });
    expect(info.gpu.kind).toBe('fits');
    expect(info.gpu.text).toMatch(/^~[\d.]+ [KM]iB on the GPU: fits$/);
    expect(weightReads().length).toBeGreaterThan(0);
    for (const r of weightReads()) expect(r.range, r.url).toMatch(/^bytes=\d+-\d+$/);
  });

  it('an HF folder: config.json and the safetensors headers; a forced small budget says it does not fit, with the numbers', async () => {
    hub.clearRequests();
    const info = await describeIt('spark-test/bf16', { ...BIG, memoryBudgetBytes: 1024 });
    expect(info.format).toBe('safetensors:bf16');
    expect(info.gpu.kind).toBe('does-not-fit');
    expect(info.gpu.text).toMatch(/: does not fit: needs [\d.]+ MiB, this GPU allows 0\.0 MiB$/);
    for (const r of weightReads()) expect(r.range, r.url).toMatch(/^bytes=\d+-\d+$/);
  });

  it('Quantize on load counts the weights of a float checkpoint in the chosen blocks', async () => {
    const floats = (await describeIt('spark-test/bf16', BIG)).gpu;
    const q8 = (await describeRemoteModel('spark-test/bf16', { hubEndpoint: hub.url, gpu: BIG, quantizeFloats: 'q8_0' })).gpu;
    const q4 = (await describeRemoteModel('spark-test/bf16', { hubEndpoint: hub.url, gpu: BIG, quantizeFloats: 'q4_0' })).gpu;
    const weights = (g: typeof floats) => (g.kind === 'fits' ? g.memory.weights : NaN);
    expect(weights(q8)).toBeLessThan(weights(floats) / 2); // bf16 is counted as f32 (4 bytes), Q8_0 as 34 bytes a 32 (this tiny model pads its rows)
    expect(weights(q4)).toBeLessThan(weights(q8));
  });

  it('no WebGPU: it says the model runs on the CPU', async () => {
    expect((await describeIt('spark-test/gguf', null)).gpu).toEqual({ kind: 'cpu', text: 'no WebGPU here: it will run on the CPU' });
  });

  it('a source on a host the page may not fetch from is refused before any request', async () => {
    hub.clearRequests();
    const allowedHosts = ['https://huggingface.co'];
    await expect(describeRemoteModel('https://evil.example.com/m.gguf', { allowedHosts, gpu: BIG }))
      .rejects.toThrow('https://evil.example.com/m.gguf: evil.example.com is not a host this page may download models from');
    await expect(describeRemoteModel('spark-test/gguf', { hubEndpoint: hub.url, allowedHosts, gpu: BIG })).rejects.toThrow(/127\.0\.0\.1:\d+ is not a host/);
    expect(hub.requests).toEqual([]);
    expect((await describeRemoteModel('spark-test/gguf', { hubEndpoint: hub.url, allowedHosts: [hub.url], gpu: BIG })).format).toBe('gguf:Q8_0');
  });
});
