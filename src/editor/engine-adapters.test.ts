import { describe, expect, it, vi } from 'vitest';
import { emptyStats, type DoneEvent, type Engine, type GenerateOptions, type ReadyEvent, type TokensEvent } from '../engine/index.ts';
import { DEFAULT_SETTINGS, type Settings } from '../settings.ts';
import type { PerfEvent } from '../hud/perf-events.ts';
import { alternativeSampling, canFillInMiddle, COPY_TOLERANCE, copyCandidate, engineCompletions, engineRewrites, lineAlignedFim, type EngineAdapterDeps } from './engine-adapters.ts';
import { REWRITE_SYSTEM_PROMPT } from './rewrite/chat-rewrite.ts';
import { NoConfidentEditError } from './rewrite/never-worse.ts';

/**
 * A client double: records each generate and streams the given chunks, one token each with log-probability
 * `scores.answer`; a request that scores its draft gets `scores.draft` per draft token.
 */
function fakeClient(
  chunks: string[], ready: Partial<ReadyEvent> = {},
  scores: { answer: number; draft: number | ((draftText: string) => number); finish?: DoneEvent['finishReason'] } = { answer: -0.5, draft: -1 },
) {
  const calls: GenerateOptions[] = [];
  const client = {
    readyInfo: ready,
    generate(options: GenerateOptions, onTokens?: (e: TokensEvent) => void) {
      calls.push(options);
      const answers = options.maxNewTokens > 0 ? chunks : []; // a request for 0 tokens only scores its draft
      for (const text of answers) onTokens?.({ type: 'tokens', id: calls.length, text, ids: [1], logprobs: [scores.answer] });
      const draft = typeof scores.draft === 'number' ? scores.draft : scores.draft(options.draftText ?? '');
      const done: DoneEvent = {
        type: 'done', id: calls.length, finishReason: options.maxNewTokens > 0 ? scores.finish ?? 'stop' : 'length', text: answers.join(''), tokens: [], promptTokenCount: 0, stats: emptyStats(),
        ...(options.scoreDraft ? { draftLogprobs: [draft, draft] } : {}),
      };
      return { id: calls.length, done: Promise.resolve(done), cancel: () => {} };
    },
  };
  return { client: client as unknown as Engine, calls };
}

const deps = (client: Engine, settings: Partial<Settings> = {}) => ({
  engineFor: () => ({ engine: client, slot: 'ghost' as const, model: 'test' }), settings: () => ({ ...DEFAULT_SETTINGS, ...settings }), perf: () => undefined,
});
const signal = () => new AbortController().signal;
const rewriteReq = { before: 'x = 1\n', original: 'def f(a):\n    return a', after: '\n', instruction: 'rename a to b', language: 'python' };

describe('engineCompletions', () => {
  it('the main request uses the settings; alternative k samples with its own seed on the same prompt', async () => {
    const { client, calls } = fakeClient(['1']);
    const engine = engineCompletions(deps(client));
    const req = { prefix: 'x = ', suffix: '\nprint(x)\n', mode: 'single-line' as const };
    await engine.complete(req, () => {}, signal());
    await engine.complete({ ...req, alternative: 1 }, () => {}, signal());
    await engine.complete({ ...req, alternative: 2 }, () => {}, signal());
    expect(calls[0]!.sampling).toEqual({ temperature: 0, topK: 0, topP: 1, seed: 0 });
    expect(calls[1]!.prompt).toEqual(calls[0]!.prompt);
    expect(calls[1]!.sampling!.temperature).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.sampling!.seed)).size).toBe(3);
  });

  it('the main suggestion prefers the document\'s own text within the copy tolerance; alternatives are the model\'s own samples', async () => {
    const { client, calls } = fakeClient(['1']);
    const req = { prefix: 'x = ', suffix: '\nprint(x)\n', mode: 'single-line' as const };
    await engineCompletions(deps(client)).complete(req, () => {}, signal());
    await engineCompletions(deps(client)).complete({ ...req, alternative: 1 }, () => {}, signal());
    await engineCompletions({ ...deps(client), copyTolerance: 2.5 }).complete(req, () => {}, signal());
    expect(calls.map((c) => [c.drafts, c.draftTolerance])).toEqual([[true, COPY_TOLERANCE], [true, undefined], [true, 2.5]]);
    expect(COPY_TOLERANCE).toBeGreaterThan(0);
    // The document's own continuation is the main suggestion's draft: a single-line one to its line's end.
    const repeated = { prefix: 'a = load(x, 1)\nprint(a)\nb = load(', suffix: '\n', mode: 'single-line' as const };
    await engineCompletions(deps(client)).complete(repeated, () => {}, signal());
    await engineCompletions(deps(client)).complete({ ...repeated, alternative: 1 }, () => {}, signal());
    expect(calls.slice(3).map((c) => c.draftText)).toEqual(['x, 1)\n', undefined]);
    expect(copyCandidate({ ...repeated, mode: 'multi-line' })).toBe('x, 1)\nprint(a)\nb = load(');
    expect(copyCandidate({ prefix: 'f(a)\n\nf(a)', suffix: '', mode: 'single-line' })).toBeUndefined(); // the line ends there
  });

  it('FIM is line-aligned when nothing but whitespace follows the cursor on its line', async () => {
    const { client, calls } = fakeClient(['1']);
    await engineCompletions(deps(client)).complete({ prefix: 'x = ', suffix: '  \r\nprint(x)\n', mode: 'single-line' }, () => {}, signal());
    expect(calls[0]!.prompt).toEqual({ kind: 'fim', prefix: 'x = ', suffix: 'print(x)\n' });
    expect(lineAlignedFim('f(', ')\ny')).toEqual({ kind: 'fim', prefix: 'f(', suffix: ')\ny' });
    expect(lineAlignedFim('a\n', '\n\nb')).toEqual({ kind: 'fim', prefix: 'a\n', suffix: '\nb' });
  });

  it('a fixed prompt size replaces the engine\'s window for completions and base-model rewrites; unset, none is sent', async () => {
    const { client, calls } = fakeClient(['1']);
    const req = { prefix: 'x = ', suffix: '\nprint(x)\n', mode: 'single-line' as const };
    await engineCompletions({ ...deps(client), fixedPromptTokens: 300 }).complete(req, () => {}, signal());
    await engineRewrites({ ...deps(client), fixedPromptTokens: 300 }).rewrite(rewriteReq, () => {}, signal());
    await engineCompletions(deps(client)).complete(req, () => {}, signal());
    expect(calls.map((c) => c.maxPromptTokens)).toEqual([300, 300, undefined]);
  });

  it('a model without FIM tokens completes from the prefix only, and rewrites from the code before the window', async () => {
    const noFim = { specialTokens: { endOfText: 0 } };
    const { client, calls } = fakeClient(['1'], noFim);
    await engineCompletions(deps(client)).complete({ prefix: 'x = ', suffix: '\nprint(x)\n', mode: 'single-line' }, () => {}, signal());
    await engineRewrites(deps(client)).rewrite(rewriteReq, () => {}, signal());
    expect(calls.map((c) => c.prompt)).toEqual([{ kind: 'plain', text: 'x = ' }, { kind: 'plain', text: rewriteReq.before }]);
    expect(canFillInMiddle({ specialTokens: { fimPrefix: 1, fimSuffix: 2, fimMiddle: 3 } })).toBe(true);
    expect(canFillInMiddle(undefined)).toBe(true);
  });

  it('alternatives keep a user who already samples at their settings, with a different seed', () => {
    const s = { ...DEFAULT_SETTINGS, temperature: 0.3, topK: 10, topP: 0.5, seed: 0xffff_ffff };
    expect(alternativeSampling(s, 1)).toEqual({ temperature: 0.3, topK: 10, topP: 0.5, seed: 0 });
  });
});

describe('routing by slot', () => {
  it('asks for the engine per request: completions as ghost text, alternatives and rewrites as Edit; the HUD event names who answered', async () => {
    const ghost = fakeClient(['1']);
    const edit = fakeClient(['2'], { chatTemplate: {} });
    const roles: string[] = [];
    const events: PerfEvent[] = [];
    const last: string[] = [];
    const routed: EngineAdapterDeps = {
      engineFor: (role) => {
        roles.push(role);
        return role === 'completion' ? { engine: ghost.client, slot: 'ghost', model: 'fast' } : { engine: edit.client, slot: 'edit', model: 'strong' };
      },
      settings: () => DEFAULT_SETTINGS,
      perf: () => (e) => events.push(e),
      onDone: (_done, kind, by) => last.push(`${kind} by ${by.slot} (${by.model})`),
    };
    const req = { prefix: 'x = ', suffix: '', mode: 'single-line' as const };
    await engineCompletions(routed).complete(req, () => {}, signal());
    await engineCompletions(routed).complete({ ...req, alternative: 1 }, () => {}, signal());
    await engineRewrites(routed).rewrite(rewriteReq, () => {}, signal());
    expect(roles).toEqual(['completion', 'alternative', 'rewrite']);
    // Edit's engine: the alternative, the rewrite, and the two requests that score it (never-worse).
    expect([ghost.calls.length, edit.calls.length]).toEqual([1, 4]);
    const done = events.filter((e) => e.type === 'request-done');
    expect(done.map((e) => [e.role, e.slot, e.model])).toEqual([['completion', 'ghost', 'fast'], ['alternative', 'edit', 'strong'], ['rewrite', 'edit', 'strong']]);
    // Alternatives are not the last request (the automation handle's).
    expect(last).toEqual(['completion by ghost (fast)', 'rewrite by edit (strong)']);
  });

  it('a suggestion cancelled once cut still reports to the HUD (it decoded); one cancelled before decoding does not', async () => {
    const events: PerfEvent[] = [];
    const cancelledAfter = (decodeTokens: number) => ({
      readyInfo: {},
      generate: () => ({ id: 1, cancel: () => {}, done: Promise.resolve({
        type: 'done', id: 1, finishReason: 'cancelled', text: '', tokens: [], promptTokenCount: 0, stats: { ...emptyStats(), decodeTokens },
      } satisfies DoneEvent) }),
    }) as unknown as Engine;
    for (const n of [3, 0]) {
      await engineCompletions({ ...deps(cancelledAfter(n)), perf: () => (e) => events.push(e) })
        .complete({ prefix: 'x', suffix: '', mode: 'single-line' }, () => {}, signal());
    }
    expect(events.map((e) => e.type === 'request-done' && e.stats.decodeTokens)).toEqual([3]);
  });

  it('builds no HUD event while nobody watches', async () => {
    const { client } = fakeClient(['1']);
    const perf = vi.fn(() => undefined);
    await engineCompletions({ ...deps(client), perf }).complete({ prefix: 'x', suffix: '', mode: 'single-line' }, () => {}, signal());
    expect(perf).toHaveBeenCalledTimes(1); // asked, got no emitter, built nothing
  });
});

describe('engineRewrites', () => {
  it('a base model: FIM around the window, the original as the draft, the instruction unused', async () => {
    const { client, calls } = fakeClient(['def f(b):\n    return b']);
    const out: string[] = [];
    await engineRewrites(deps(client)).rewrite(rewriteReq, (t) => out.push(t), signal());
    expect(calls[0]!.prompt).toEqual({ kind: 'fim', prefix: rewriteReq.before, suffix: rewriteReq.after });
    expect(calls[0]!.draftText).toBe(rewriteReq.original);
    expect(out.at(-1)).toBe('def f(b):\n    return b');
  });

  it('a base model\'s rewrite stands only when the model scores it no worse than the original, and only when it finished', async () => {
    const better = fakeClient(['def f(b):\n    return b'], {}, { answer: -0.5, draft: -1 });
    await engineRewrites(deps(better.client)).rewrite(rewriteReq, () => {}, signal());
    expect(better.calls[0]!.scoreDraft).toBe(true);
    const worse = fakeClient(['export interface X {}'], {}, { answer: -3, draft: -1 });
    await expect(engineRewrites(deps(worse.client)).rewrite(rewriteReq, () => {}, signal())).rejects.toThrow(NoConfidentEditError);
    const cut = fakeClient(['def f(b):\n    ret'], {}, { answer: -0.1, draft: -1, finish: 'length' });
    await expect(engineRewrites(deps(cut.client)).rewrite(rewriteReq, () => {}, signal())).rejects.toThrow(/did not finish/);
  });

  it('a rewrite that brings in another language is declined, however well it scores', async () => {
    const foreign = fakeClient(['export interface Transfer<Rpc extends Rpc.Any> {}'], {}, { answer: -0.1, draft: -3 });
    await expect(engineRewrites(deps(foreign.client)).rewrite(rewriteReq, () => {}, signal())).rejects.toThrow(/brings in JavaScript\/TypeScript code/);
    const off = fakeClient(['export interface Transfer<Rpc extends Rpc.Any> {}'], {}, { answer: -0.1, draft: -3 });
    await engineRewrites(deps(off.client, { editGuard: 'off' })).rewrite(rewriteReq, () => {}, signal()); // the guard off: the user's call
  });

  it('an instruct model\'s rewrite stands only when the model, asked the same, scores it no worse than the original as its reply', async () => {
    const reply = ['```python\ndef f(b):\n    return b\n```'];
    const better = fakeClient(reply, { chatTemplate: {} }, { answer: -0.5, draft: (t) => (t.includes('f(b)') ? -0.2 : -1) });
    await engineRewrites(deps(better.client)).rewrite(rewriteReq, () => {}, signal());
    // The reply, then each code scored as the fenced reply to the same chat prompt, generating nothing.
    expect(better.calls.map((c) => [c.maxNewTokens > 0, c.scoreDraft ?? false, c.draftText])).toEqual([
      [true, false, rewriteReq.original],
      [false, true, '```python\ndef f(b):\n    return b\n```'],
      [false, true, '```python\ndef f(a):\n    return a\n```'],
    ]);
    expect(better.calls[1]!.prompt).toEqual(better.calls[0]!.prompt);
    const worse = fakeClient(reply, { chatTemplate: {} }, { answer: -0.5, draft: (t) => (t.includes('f(b)') ? -2 : -1) });
    await expect(engineRewrites(deps(worse.client)).rewrite(rewriteReq, () => {}, signal())).rejects.toThrow(NoConfidentEditError);
    const off = fakeClient(reply, { chatTemplate: {} }, { answer: -0.5, draft: -1 });
    await engineRewrites(deps(off.client, { editGuard: 'off' })).rewrite(rewriteReq, () => {}, signal());
    expect(off.calls).toHaveLength(1); // no guard: nothing scored
  });

  it('an instruct model: chat messages, and the reply streamed without its fence', async () => {
    const { client, calls } = fakeClient(['```py', 'thon\ndef f(b):\n', '    return b\n`', '``\nDone.'], { chatTemplate: {} });
    const out: string[] = [];
    await engineRewrites(deps(client)).rewrite(rewriteReq, (t) => out.push(t), signal());
    const prompt = calls[0]!.prompt;
    expect(prompt.kind).toBe('chat');
    if (prompt.kind !== 'chat') return;
    expect(prompt.messages[0]).toEqual({ role: 'system', content: REWRITE_SYSTEM_PROMPT });
    expect(prompt.messages[1]!.content).toContain('rename a to b');
    expect(prompt.messages[1]!.content).toContain('```python\ndef f(a):\n    return a\n```');
    expect(calls[0]!.draftText).toBe(rewriteReq.original);
    for (const t of out) expect(t).not.toMatch(/`|Done/);
    expect(out.at(-1)).toBe('def f(b):\n    return b');
  });

  it('a broken chat template fails before asking the engine, saying why', async () => {
    const { client, calls } = fakeClient(['x'], { chatTemplate: { error: 'the chat template in tokenizer_config.json does not parse: x' } });
    await expect(engineRewrites(deps(client)).rewrite(rewriteReq, () => {}, signal())).rejects.toThrow(/chat template cannot be used: .*does not parse/);
    expect(calls).toHaveLength(0);
  });
});
