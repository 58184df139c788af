import { describe, expect, it } from 'vitest';
import { speculativeEditDraft } from './speculative-edit.ts';

describe('speculativeEditDraft', () => {
  const prompt = [100, 101, 102];
  const original = [1, 2, 3, 4, 5, 6, 7, 8];
  const draft = speculativeEditDraft(original, prompt.length);

  it('drafts the start of the original before anything is generated', () => {
    expect(draft(prompt, 4)).toEqual([1, 2, 3, 4]);
  });
  it('continues from where the output has got to in the original', () => {
    expect(draft([...prompt, 1, 2, 3], 3)).toEqual([4, 5, 6]);
  });
  it('realigns after an edit: the output replaced 3 by 9 9, then went back to copying', () => {
    expect(draft([...prompt, 1, 2, 9, 9, 4], 2)).toEqual([5, 6]);
  });
  it('prefers the occurrence nearest the output position when a token repeats', () => {
    const rep = speculativeEditDraft([7, 0, 7, 1, 7, 2], 0);
    expect(rep([0, 9, 9, 7], 1)).toEqual([1]); // after 4 tokens, the 7 at index 2 is nearest
  });
  it('returns nothing when max is 0 and never reads past the original', () => {
    expect(draft(prompt, 0)).toEqual([]);
    expect(draft([...prompt, 7, 8], 5)).toEqual([]);
  });
  it('falls back to the given draft source when the original says nothing', () => {
    const fallback = speculativeEditDraft(original, prompt.length, () => [42]);
    expect(fallback([...prompt, 50, 51], 3)).toEqual([42]);
    expect(fallback([...prompt, 2, 3], 2)).toEqual([4, 5]);
  });
});
