import { describe, expect, it } from 'vitest';
import type { RemoteModelInfo } from '../engine/index.ts';
import type { NoticeAction } from '../share/session-ui.ts';
import { until } from '../testing/poll.ts';
import { LinkModelPrompt } from './link-model-prompt.ts';

const SHA = 'c'.repeat(40);
const info: RemoteModelInfo = {
  source: `org/coder@${SHA}:m.gguf`, label: `org/coder@${SHA}:m.gguf`, host: 'huggingface.co', layout: 'gguf', ggufFile: 'm.gguf',
  format: 'gguf:Q4_K_M', bytes: 398 * 2 ** 20, gpu: { kind: 'does-not-fit', memory: { weights: 1, kvCache: 1, scratch: 1, total: 3 }, text: '~539 MiB on the GPU: does not fit: needs 538.5 MiB, this GPU allows 256.0 MiB' },
};

function harness(describe: (source: string, signal: AbortSignal) => Promise<RemoteModelInfo>) {
  const shown: Array<{ text: string | undefined; actions: NoticeAction[] }> = [];
  const opened: RemoteModelInfo[] = [];
  const prompt = new LinkModelPrompt({ describe, open: (i) => opened.push(i), notice: (text, actions = []) => shown.push({ text, actions }) });
  const last = () => shown.at(-1)!;
  const press = (testId: string) => last().actions.find((a) => a.testId === testId)!.run();
  return { prompt, shown, opened, last, press };
}

describe('LinkModelPrompt', () => {
  it('says it is looking up, then shows host, size and fit with Download and Keep; Download opens the model', async () => {
    const h = harness(async () => info);
    h.prompt.offer(info.source);
    expect(h.shown[0]!.text).toMatch(/^This link names the model org\/coder@c+:m\.gguf\. Looking up .* \(nothing is downloaded\)…$/);
    await until(() => h.last().actions.some((a) => a.testId === 'link-model-download'), 'the Download button');
    expect(h.last().text).toBe(`This link names the model org/coder@${SHA}:m.gguf — GGUF m.gguf (Q4_K_M), 398 MiB to download, `
      + '~539 MiB on the GPU: does not fit: needs 538.5 MiB, this GPU allows 256.0 MiB, from huggingface.co. Nothing is downloaded unless you choose Download anyway (CPU).');
    expect(h.last().actions.map((a) => a.label)).toEqual(['Download anyway (CPU)', 'Keep current model']);
    h.press('link-model-download');
    expect(h.opened).toEqual([info]);
    expect(h.last().text).toBe(undefined);
  });

  it('Keep current model closes it while the lookup runs, and its answer is ignored', async () => {
    let answer: (i: RemoteModelInfo) => void = () => {};
    let aborted = false;
    const h = harness((_s, signal) => new Promise((resolve) => { answer = resolve; signal.addEventListener('abort', () => { aborted = true; }); }));
    h.prompt.offer(info.source);
    h.press('link-model-keep');
    expect(aborted).toBe(true);
    answer(info);
    await Promise.resolve();
    expect(h.last().text).toBe(undefined);
    expect(h.opened).toEqual([]);
  });

  it('a lookup that fails says why and loads nothing', async () => {
    const h = harness(async () => { throw new Error('org/coder: repository not found on https://huggingface.co'); });
    h.prompt.offer(info.source);
    await until(() => /could not be looked up/.test(h.last().text ?? ''), 'the failure message');
    expect(h.last().text).toMatch(/\(org\/coder: repository not found on https:\/\/huggingface\.co\)\. Nothing was downloaded; the current model stays\.$/);
    expect(h.opened).toEqual([]);
  });
});
