import { describe, expect, it } from 'vitest';
import { collectTests, FAULT_CLASSES, reliabilityMarkdown, reliabilityRows } from './reliability.mjs';

const vitest = {
  testResults: [
    { name: '/repo/src/share/link-codec.property.test.ts', assertionResults: [
      { ancestorTitles: ['props'], title: 'never throws (300 cases)', status: 'passed' },
      { ancestorTitles: ['props'], title: 'round trip (300 cases)', status: 'passed' },
    ] },
    { name: '/repo/src/share/link-codec.test.ts', assertionResults: [
      { ancestorTitles: ['share links: round trip'], title: 'restores text', status: 'passed' },
      { ancestorTitles: ['share links: bad links open nothing and say why'], title: 'truncated', status: 'failed' },
      { ancestorTitles: ['share links: hostile payloads get an error result, never an exception'], title: 'deep', status: 'skipped' },
    ] },
  ],
};
const playwright = { suites: [{ title: 'x.spec.ts', file: 'x.spec.ts', specs: [{ title: 'a', file: 'x.spec.ts', tests: [{ results: [{ status: 'passed' }] }] }], suites: [] }] };

describe('RELIABILITY.md from the run', () => {
  it('collects every test that ran, from both reports, with its file relative to the root', () => {
    const tests = collectTests(vitest, playwright, '/repo');
    expect(tests.map((t) => `${t.file}|${t.passed}`)).toEqual([
      'src/share/link-codec.property.test.ts|true', 'src/share/link-codec.property.test.ts|true',
      'src/share/link-codec.test.ts|true', 'src/share/link-codec.test.ts|false', 'e2e/x.spec.ts|true',
    ]);
  });

  it("counts the cases a property test's title states, one per other test, and never claims what failed or did not run", () => {
    const rows = reliabilityRows(collectTests(vitest, playwright, '/repo'), FAULT_CLASSES);
    const links = rows[0]!;
    expect(links).toMatchObject({ tests: 3, cases: 601, failed: 1, lost: 'UNPROVEN', outcome: '1 of 3 tests FAILED' });
    const settings = rows[1]!;
    expect(settings).toMatchObject({ tests: 0, lost: 'not shown (not run)', outcome: 'not run' });
    const md = reliabilityMarkdown(rows, { date: 'D', runs: 300 });
    expect(md).toContain('| 601 | 1 of 3 tests FAILED | UNPROVEN |');
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fault'))).toHaveLength(FAULT_CLASSES.length);
  });
});
