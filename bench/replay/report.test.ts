import { describe, expect, it } from 'vitest';
import { pageAgreement, replayTable, summarize, type ReplayReport } from './report.ts';
import { emptyCaseResult, type CaseResult } from './simulated-user.ts';

const result = (o: Partial<CaseResult>): CaseResult => ({ ...emptyCaseResult(), ...o });

describe('replay report', () => {
  it('rates are fractions of what was shown, typed and saved', () => {
    const s = summarize(result({ keystrokes: 50, typedChars: 60, acceptedChars: 40, shown: 10, acceptedWhole: 2, acceptedPart: 3, wrong: 5, ghostLatencyMs: [10, 20, 30] }));
    expect(s).toMatchObject({ shownPer100: 20, acceptRate: 0.5, acceptWholeRate: 0.2, charsSaved: 0.4, wrongRate: 0.5, ghostP50Ms: 20, ghostP95Ms: 30 });
    expect(summarize(emptyCaseResult())).toMatchObject({ shownPer100: 0, acceptRate: 0, charsSaved: 0, ghostP50Ms: undefined });
  });

  it('page agreement counts suggestions up to each case\'s first difference', () => {
    const page = [result({ shown: 3, shownTexts: ['a', 'b', 'c'] }), result({ shown: 2, shownTexts: ['x', 'y'] })];
    const node = [result({ shown: 3, shownTexts: ['a', 'b', 'c'] }), result({ shown: 2, shownTexts: ['x', 'z'] })];
    expect(pageAgreement('webgpu', page, node)).toMatchObject({ cases: 2, shown: 5, sameBeforeFirstDifference: 4, sameCases: 1 });
  });

  it('the table has a row per language and system, and says what Edit did', () => {
    const s = summarize(result({ keystrokes: 10, shown: 1, acceptedWhole: 1, acceptedChars: 5, typedChars: 5 }));
    const report: ReplayReport = {
      model: 'm', backend: 'cpu', files: 1, maxKeystrokes: 10, languages: { python: { m: s, copy: s } },
      edit: { cases: 4, restored: 1, worse: 1, declined: 1 }, page: { skipped: '--no-page' },
    };
    const table = replayTable(report);
    expect(table).toContain('| python | m | 10.0 | 0.0 | 100.0 % | 100.0 % | 50.0 % | 0.0 % | 10 |');
    expect(table).toContain('| python | copy |');
    expect(table).toContain('restored 1, made worse 1, declined 1, closer but not restored 1');
    expect(table).toContain('Page sample: skipped (--no-page)');
  });
});
