import { describe, expect, it } from 'vitest';
import { EDIT_MARGIN, judgeRewrite, structuralRefusal } from './never-worse.ts';

describe('never-worse judgement', () => {
  it('compares mean log-probabilities per token, with the margin', () => {
    expect(judgeRewrite([-0.5, -0.5], [-1, -1, -1], true, 0)).toMatchObject({ rewrite: -0.5, original: -1, confident: true });
    expect(judgeRewrite([-0.5], [-1], true, 0.6).confident).toBe(false);
    expect(judgeRewrite([-2], [-1], true, 0)).toMatchObject({ confident: false, reason: expect.stringMatching(/no more likely/) });
  });

  it('never applies an unfinished rewrite or one it could not compare', () => {
    expect(judgeRewrite([-0.1], [-5], false, 0)).toMatchObject({ confident: false, reason: expect.stringMatching(/did not finish/) });
    expect(judgeRewrite([], [-1], true, 0).confident).toBe(false);
    expect(judgeRewrite([-1], [], true, 0).confident).toBe(false);
    expect(Number.isFinite(EDIT_MARGIN)).toBe(true);
  });

  it('never applies a rewrite refused for its structure, however well it scores', () => {
    const refusal = 'the rewrite brings in JavaScript/TypeScript code';
    expect(judgeRewrite([-0.1], [-5], true, 0, refusal)).toMatchObject({ confident: false, refusal, reason: refusal });
  });

  it('refuses another language\'s code first, then unmatched brackets', () => {
    const py = { before: 'x = 1\n', original: 'def f(a):\n    return a\n', after: '', language: 'python' };
    expect(structuralRefusal('export const f = (a) => a;\n', py)).toBe('the rewrite brings in JavaScript/TypeScript code');
    expect(structuralRefusal('def f(a):\n    return (a\n', py)).toMatch(/unbalance/);
    expect(structuralRefusal('def f(a):\n    return a + 1\n', py)).toBeUndefined();
  });

  it('refuses a rewrite that deletes the selected code, whatever it scores', () => {
    // The held-out replay's case: zod/src/v4/core/core.ts, a type header answered with nothing.
    const ts = { before: 'import type * as Shared from "./shared.js";\n', original: '\nexport type $ZodBranded<\n  T extends Shared.SomeType,\n', after: '> = T;\n', language: 'typescript' };
    expect(structuralRefusal('\n', ts)).toBe('the rewrite would delete the selected code');
    expect(judgeRewrite([-0.711], [-3.224], true, 0, structuralRefusal('', ts))).toMatchObject({ confident: false, reason: 'the rewrite would delete the selected code' });
    expect(structuralRefusal('', { ...ts, original: '\n  \n' })).toBeUndefined(); // nothing but blanks to keep
  });
});
