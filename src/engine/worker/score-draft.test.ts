// Generations with a draft text, on the shipped model. Scoring it: the worker scores the draft text
// as the answer, in the same prompt and ending as the answer ended, with the backend's
// teacher-forced scoring (Edit's never-worse check reads it). A completion's copy candidate: drafted
// from the first token on, and with a tolerance kept where the model finds it nearly as likely as
// its own pick (engine-adapters' COPY_TOLERANCE); without one the output is the model's own.
import { describe, expect, it } from 'vitest';
import { EngineClient } from '../api/client.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shipped model: its answers are real text, so the answer's text tokenizes back to its tokens. */
const DIR = fileURLToPath(new URL('../../../public/models/spark-nano/', import.meta.url));
const shippedFiles = () => Object.fromEntries(readdirSync(DIR).filter((n) => !n.endsWith('.gguf') && !n.endsWith('.png'))
  .map((n) => [n, new Uint8Array(readFileSync(DIR + n))]));

describe('generate with scoreDraft', () => {
  it('returns the draft\'s log-probabilities, and scoring the answer itself gives the answer\'s own', async () => {
    const engine = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    await engine.load('spark-nano', { files: shippedFiles(), backend: 'cpu' });
    const prompt = { kind: 'plain' as const, text: 'def f(x):\n    return' };
    const logprobs: number[] = [];
    const first = await engine.generate({ prompt, maxNewTokens: 8 }, (e) => logprobs.push(...e.logprobs)).done;
    expect(logprobs).toHaveLength(first.tokens.length);
    expect(logprobs.every((lp) => lp <= 0 && Number.isFinite(lp))).toBe(true);
    // The answer's own text as the draft scores as the answer did (teacher-forced = greedy when they agree).
    const again = await engine.generate({ prompt, maxNewTokens: 8, draftText: first.text, drafts: true, scoreDraft: true }).done;
    expect(again.draftLogprobs).toBeDefined();
    expect(again.draftLogprobs!.length).toBeGreaterThan(0);
    again.draftLogprobs!.slice(0, logprobs.length).forEach((lp, i) => expect(lp).toBeCloseTo(logprobs[i]!, 4));
    // Without scoreDraft nothing is scored.
    expect((await engine.generate({ prompt, maxNewTokens: 2, draftText: 'x' }).done).draftLogprobs).toBeUndefined();
    engine.dispose();
  });
});

describe('generate with a copy candidate', () => {
  it('exact without a tolerance; kept where within it; each kept token carries its own log-probability', async () => {
    const engine = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    await engine.load('spark-nano', { files: shippedFiles(), backend: 'cpu' });
    const prompt = { kind: 'fim' as const, prefix: 'def area(w, h):\n    return w * h\n\n\ndef volume(w, h, d):\n    return ', suffix: '\n' };
    const own = await engine.generate({ prompt, maxNewTokens: 6 }).done;
    const candidate = 'zebra_count + 42\n'; // something the model would not write here
    const exact = await engine.generate({ prompt, maxNewTokens: 6, drafts: true, draftText: candidate }).done;
    expect(exact.tokens).toEqual(own.tokens);
    expect(exact.stats.draftedTokens).toBeGreaterThan(0); // the candidate was verified from the first token
    const logprobs: number[] = [];
    const wide = await engine.generate({ prompt, maxNewTokens: 6, drafts: true, draftText: candidate, draftTolerance: 100 }, (e) => logprobs.push(...e.logprobs)).done;
    expect(wide.text.startsWith('zebra')).toBe(true);
    expect(logprobs).toHaveLength(wide.tokens.length);
    expect(logprobs.every((lp) => lp <= 0 && Number.isFinite(lp))).toBe(true);
    // A small tolerance keeps none of a candidate the model finds far less likely than its pick.
    const narrow = await engine.generate({ prompt, maxNewTokens: 6, drafts: true, draftText: candidate, draftTolerance: 0.01 }).done;
    expect(narrow.tokens).toEqual(own.tokens);
    engine.dispose();
  });
});
