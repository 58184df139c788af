// The prompt window's steps through the engine, on the shipped model: typing across a step reuses
// the cache (the prompt keeps its earlier start), and a pause prefills the stepped window, so the
// keystrokes after it find that cached too.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngineClient } from '../api/client.ts';
import { promptBudget } from '../api/limits.ts';
import { commonPrefixLength } from '../backends/token-loop.ts';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { promptTokenizer } from './line-chunk-encoder.ts';
import { buildPrompt } from './prompt.ts';

const DIR = fileURLToPath(new URL('../../../public/models/spark-nano/', import.meta.url));
const shippedFiles = () => Object.fromEntries(readdirSync(DIR).filter((n) => !n.endsWith('.gguf') && !n.endsWith('.png'))
  .map((n) => [n, new Uint8Array(readFileSync(DIR + n))]));
const tokenizer = ModelTokenizer.fromJson(JSON.parse(readFileSync(DIR + 'tokenizer.json', 'utf8')), JSON.parse(readFileSync(DIR + 'tokenizer_config.json', 'utf8')));
const config = JSON.parse(readFileSync(DIR + 'config.json', 'utf8')) as { max_position_embeddings: number };
const prompts = promptTokenizer(tokenizer);
const fimMiddle = tokenizer.specials.fimMiddle!;
const MAX_NEW = 2;

const line = (i: number) => `    total_${i} = compute(values[${i}], scale=${i % 7})\n`;
const code = (from: number, lines: number) => Array.from({ length: lines }, (_, i) => line(from + i)).join('');

describe('the prompt window steps without a re-prefill at a keystroke', () => {
  it('typing across a step reuses the cache, and a pause prefills the stepped window', { timeout: 120_000 }, async () => {
    const engine = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    await engine.load('spark-nano', { files: shippedFiles(), backend: 'cpu' });
    const suffix = code(1000, 40);
    let prefix = code(0, 80);
    const generate = () => engine.generate({ prompt: { kind: 'fim', prefix, suffix }, maxNewTokens: MAX_NEW }).done;
    /** The prompt of the window the engine uses now, as it would be with nothing cached. */
    const stepped = async () => {
      const window = (await engine.diagnostics()).promptWindowTokens;
      const maxPromptTokens = Math.min(window, promptBudget(config.max_position_embeddings, MAX_NEW));
      return { window, ids: buildPrompt(prompts, { kind: 'fim', prefix, suffix }, { maxPromptTokens }, { fimOrder: 'spm' }).ids };
    };
    // Twice cold: the first prefill teaches the engine its window (prompt-window.ts).
    await generate();
    prefix += ' ';
    await generate();
    let previous = await stepped();
    // Typing on until the window's start has moved, and a few words past it (less than a step).
    let wordsAfter = -1;
    for (const word of code(80, 12).split(/(?<= )/)) {
      prefix += word;
      const now = await stepped();
      const done = await generate();
      if (now.window !== previous.window) { previous = now; continue; } // a new window re-prefills once
      if (wordsAfter < 0 && commonPrefixLength(previous.ids, now.ids) <= now.ids.indexOf(fimMiddle) + 1) wordsAfter = 0; // its start moved
      previous = now;
      expect(done.stats.prefillTokens, `after "${prefix.slice(-40)}"`).toBeLessThanOrEqual(16);
      if (wordsAfter >= 0) expect(done.promptTokenCount).toBeGreaterThan(now.ids.length); // the earlier start, past the window
      if (wordsAfter >= 0 && ++wordsAfter === 5) break;
    }
    expect(wordsAfter).toBe(5);
    // A pause: the engine prefills the stepped prompt once IDLE_RECUT_MS pass without a request.
    const before = await stepped();
    const started = performance.now();
    while ((await engine.diagnostics()).cachedTokens !== before.ids.length) {
      if (performance.now() - started > 60_000) throw new Error('the engine did not prefill the stepped window in a pause');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    prefix += 'x';
    const now = await stepped();
    expect(now.window).toBe(before.window);
    const done = await generate();
    expect(done.promptTokenCount).toBe(now.ids.length); // the stepped start, within the window
    expect(done.stats.prefillTokens).toBeLessThanOrEqual(8);
    engine.dispose();
  });
});
