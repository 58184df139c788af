// A generation that scores its draft: the worker scores the draft text as the answer, in the same
// prompt and ending as the answer ended, with the backend's teacher-forced scoring (Edit's
// never-worse check reads it).
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
