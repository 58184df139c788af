// Token healing through the engine, on the shipped model: the stream holds only text past the
// cursor, every delivered token carries its own log-probability, and the model finishes a word
// the cursor split rather than continuing its broken tokens.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngineClient } from '../api/client.ts';
import type { GenerateOptions } from '../api/client.ts';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';

const DIR = fileURLToPath(new URL('../../../public/models/spark-nano/', import.meta.url));
const shippedFiles = () => Object.fromEntries(readdirSync(DIR).filter((n) => !n.endsWith('.gguf') && !n.endsWith('.png'))
  .map((n) => [n, new Uint8Array(readFileSync(DIR + n))]));
const tokenizer = ModelTokenizer.fromJson(JSON.parse(readFileSync(DIR + 'tokenizer.json', 'utf8')), JSON.parse(readFileSync(DIR + 'tokenizer_config.json', 'utf8')));

async function run(engine: EngineClient, options: GenerateOptions) {
  const events: { text: string; ids: number[]; logprobs: number[] }[] = [];
  const done = await engine.generate(options, (e) => events.push(e)).done;
  return { done, events };
}

describe('generate with heal', () => {
  it('streams only the text past the cursor; the tokens spell the cut text and then it', async () => {
    const engine = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    await engine.load('spark-nano', { files: shippedFiles(), backend: 'cpu' });
    const prefix = 'def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return resul';
    const { done, events } = await run(engine, { prompt: { kind: 'fim', prefix, suffix: '\n' }, maxNewTokens: 8, heal: true, drafts: true });
    expect(done.finishReason).not.toBe('cancelled');
    // The split word is finished, not continued as if "resul" were a word of its own.
    expect(done.text.startsWith('t')).toBe(true);
    expect(events.map((e) => e.text).join('')).toBe(done.text);
    // Every generated id; the text before the stream is the end of the prefix.
    const spelled = tokenizer.decode(done.tokens);
    expect(spelled.endsWith(done.text)).toBe(true);
    const cut = spelled.slice(0, spelled.length - done.text.length);
    expect(cut.length).toBeGreaterThan(0);
    expect(prefix.endsWith(cut)).toBe(true);
    // Delivered ids carry their own log-probabilities, and the first delivered shows text.
    for (const e of events) expect(e.logprobs).toHaveLength(e.ids.length);
    expect(events.find((e) => e.ids.length > 0)!.text).not.toBe('');
    // The same prompt unhealed continues the broken word another way.
    const plain = await run(engine, { prompt: { kind: 'fim', prefix, suffix: '\n' }, maxNewTokens: 8 });
    expect(plain.done.text).not.toBe(done.text);
    engine.dispose();
  });

  it('a copy candidate still drafts from the first token, and the stream stays past the cursor', async () => {
    const engine = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    await engine.load('spark-nano', { files: shippedFiles(), backend: 'cpu' });
    const prefix = 'const a = compute(x, y);\nconst b = compute(x, y);\nconst c = comp';
    const { done } = await run(engine, { prompt: { kind: 'fim', prefix, suffix: '\n' }, maxNewTokens: 6, heal: true, drafts: true, draftText: 'ute(x, y);\n', draftTolerance: 100 });
    expect(done.text.startsWith('ute(x, y);')).toBe(true);
    expect(done.stats.acceptedDraftTokens).toBeGreaterThan(0);
    engine.dispose();
  });
});
