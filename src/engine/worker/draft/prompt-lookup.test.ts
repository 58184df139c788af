import { describe, expect, it } from 'vitest';
import { documentLookupDraft, promptLookupDraft } from './prompt-lookup.ts';

describe('promptLookupDraft', () => {
  it('continues the most recent earlier occurrence of the last n-gram', () => {
    //           0  1  2  3  4  5  6  7  8  9
    const seq = [1, 2, 3, 4, 9, 1, 2, 3, 5, 1, 2, 3];
    // last 3-gram [1,2,3] occurred at 5..7 (most recent) followed by 5, 1, 2, 3
    expect(promptLookupDraft(seq, 3)).toEqual([5, 1, 2]);
  });
  it('prefers longer n-grams', () => {
    const seq = [7, 1, 2, 8, 0, 1, 2, 9, 7, 1, 2];
    // 3-gram [7,1,2] matches at 0 → 8; the 2-gram [1,2] alone would say 9
    expect(promptLookupDraft(seq, 1)).toEqual([8]);
  });
  it('returns nothing without a match of at least two tokens', () => {
    expect(promptLookupDraft([1, 2, 3, 4, 5, 3], 4)).toEqual([]);
    expect(promptLookupDraft([], 4)).toEqual([]);
    expect(promptLookupDraft([1, 2, 1, 2], 0)).toEqual([]);
  });
  it('never reads past the end of the sequence', () => {
    expect(promptLookupDraft([4, 5, 4, 5], 8)).toEqual([4, 5]);
  });
  it('over a FIM prompt, looks up the document and what was generated, not the prompt\'s control tokens', () => {
    const lookup = [5, 6, 7, 1, 2, 3, 4, 8, 1, 2]; // the document: ... 1 2 3 4 ..., and the cursor after 1 2
    const prompt = [100, 1, 2, 101, 5, 6, 7, 102]; // the FIM prompt ends in a control token: plain lookup finds nothing
    const draft = documentLookupDraft(lookup, prompt.length);
    expect(promptLookupDraft(prompt, 3)).toEqual([]);
    expect(draft(prompt, 3)).toEqual([3, 4, 8]);
    expect(draft([...prompt, 3, 4], 2)).toEqual([8, 1]); // generated tokens extend the key
  });
});
