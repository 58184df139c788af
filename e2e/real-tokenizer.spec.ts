// Qwen2.5-Coder's real tokenizer in the page: a model with its 151,665-token vocabulary (and the real
// 151,936-row embedding, narrowed everywhere else: src/testing/real-tokenizers.ts) from the fixture
// hub, as an F16 GGUF (the tokenizer rebuilt from tokenizer.ggml.*) and as a bf16 safetensors folder
// (its 11 MB tokenizer.json). The page's engine must tokenize a code prompt as Spark's CPU reference
// does in Node, which the Node tests hold to llama.cpp, and decode greedily to the same tokens; and
// completions in the editor go to it.

import { loadModel } from '../src/model/load.ts';
import { memoryFetcher } from '../src/model/model-files.ts';
import { FixtureHub } from '../src/testing/fixture-hub.ts';
import { ggufFromHfFiles } from '../src/testing/gguf-test-model.ts';
import { QWEN25_CODER_VOCAB_SIZE, qwen25CoderTokenizer } from '../src/testing/real-tokenizers.ts';
import { referenceGreedy } from '../src/testing/reference-greedy.ts';
import { makeTestModelFiles, type ModelFiles, type TestModelOptions } from '../src/testing/test-model.ts';
import { expect, openWithEngine, startAtEnd, test } from './fixtures.ts';
import { FIXTURE_HUB_PORT } from './model-hosts.ts';

const PROMPT = 'def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n    # 日本語 ✓\n    return fibonacci(n - 1) + ';
const STEPS = 8;

/** The tokens Spark's CPU reference gives for PROMPT in Node: the prompt's ids and the greedy continuation. */
async function expected(files: ModelFiles, label: string): Promise<{ promptTokens: number; tokens: number[] }> {
  const model = await loadModel(memoryFetcher(files), { label });
  const prompt = model.tokenizer.encode(PROMPT);
  return { promptTokens: prompt.length, tokens: referenceGreedy(model, prompt, STEPS) };
}

test.describe("Qwen2.5-Coder's real tokenizer, from the hub", () => {
  test.slow();
  const qwen = qwen25CoderTokenizer();
  const shape: TestModelOptions = {
    architecture: 'Qwen2ForCausalLM', tokenizer: qwen, vocabPadding: QWEN25_CODER_VOCAB_SIZE - qwen.vocabSize,
    hiddenSize: 128, numHeads: 2, numKvHeads: 1, intermediateSize: 256, numLayers: 1, tieWordEmbeddings: true, seed: 22,
    maxPositionEmbeddings: 32768,
  };
  const gguf = ggufFromHfFiles(makeTestModelFiles(shape), { pre: 'qwen2', weightType: 'F16' }).gguf;
  const folder = makeTestModelFiles({ ...shape, dtype: 'BF16', sharded: true });
  const repos = {
    gguf: { repo: 'test-org/qwen2.5-coder-shaped-gguf', files: { 'qwen2.5-coder-f16.gguf': gguf } as ModelFiles },
    folder: { repo: 'test-org/qwen2.5-coder-shaped', files: folder },
  };
  let hub: FixtureHub;

  test.beforeAll(async () => {
    hub = await FixtureHub.start(Object.fromEntries(Object.values(repos).map((r) => [r.repo, { main: r.files }])), { port: FIXTURE_HUB_PORT });
  });
  test.afterAll(async () => {
    await hub.dispose();
  });

  for (const kind of ['gguf', 'folder'] as const) {
    test(`${kind}: tokenizes and decodes as the reference; completions go to it`, async ({ page }) => {
      const { repo, files } = repos[kind];
      const want = await expected(files, kind === 'gguf' ? Object.keys(files)[0]! : repo); // the loader reads a *.gguf label as GGUF
      await openWithEngine(page);
      await page.getByTestId('model-source-input').fill(repo);
      await page.getByTestId('model-source-load').click();
      await expect(page.getByTestId('model-source-note')).toHaveAttribute('data-state', 'confirm', { timeout: 60_000 });
      await page.getByTestId('model-source-confirm').click();
      await expect(page.getByTestId('engine-status')).toHaveText(new RegExp(`^${repo.replace(/[.]/g, '\\.')} · `), { timeout: 120_000 });

      const got = await page.evaluate(([text, steps]) => window.spark!.generate({
        prompt: { kind: 'plain', text: text as string }, maxNewTokens: steps as number, ignoreStopTokens: true,
      }), [PROMPT, STEPS] as const);
      expect(got.stats.promptTokens).toBe(want.promptTokens);
      expect(got.tokens).toEqual(want.tokens);

      // Typing asks this model for a fill-in-the-middle completion (whatever a random model proposes).
      await startAtEnd(page, 'def add(a, b):\n    return a', 'python');
      const before = (await page.evaluate(() => window.spark!.completionEvents())).filter((e) => e.type === 'request').length;
      await page.keyboard.type(' +', { delay: 60 });
      await expect.poll(async () => (await page.evaluate(() => window.spark!.completionEvents())).filter((e) => e.type === 'request').length,
        { timeout: 60_000 }).toBeGreaterThan(before);
      await expect.poll(async () => (await page.evaluate(() => window.spark!.lastRequest()))?.kind, { timeout: 120_000 }).toBe('completion');
      expect((await page.evaluate(() => window.spark!.lastRequest()))?.model).toBe(repo);
    });
  }
});
