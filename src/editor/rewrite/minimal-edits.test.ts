import { describe, expect, it, vi } from 'vitest';
import { applyEdits, DEFAULT_DIFF_BOUNDS, diffEdits, minimalEdits, streamingEdits } from './minimal-edits.ts';
import { SeededRandom } from '../../testing/seeded-random.ts';

const seededRandom = (seed: number) => { const r = new SeededRandom(seed); return () => r.next(); };

/** Renders edits like a reviewer sees them: `{-removed-}{+added+}`. */
const show = (original: string, rewritten: string) => {
  const edits = minimalEdits(original, rewritten);
  let out = '', at = 0;
  for (const e of edits) {
    out += original.slice(at, e.start) + (e.end > e.start ? `{-${original.slice(e.start, e.end)}-}` : '') + (e.text ? `{+${e.text}+}` : '');
    at = e.end;
  }
  return out + original.slice(at);
};

describe('minimalEdits', () => {
  it('touches only the words that changed', () => {
    expect(show('const total = a + b;\nreturn total;', 'const sum = a + b;\nreturn sum;'))
      .toBe('const {-total-}{+sum+} = a + b;\nreturn {-total-}{+sum+};');
  });
  it('keeps indentation changes exact', () => {
    expect(show('if (x) {\n  y();\n}', 'if (x) {\n    y();\n}')).toBe('if (x) {\n{-  -}{+    +}y();\n}');
  });
  it('round-trips: applying the edits gives the rewrite', () => {
    const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const next = rng(7);
    const words = ['foo', 'bar', ' ', '\n', '(', ')', '\t', '=', 'x1', '  '];
    const text = () => Array.from({ length: Math.floor(next() * 30) }, () => words[Math.floor(next() * words.length)]).join('');
    for (let i = 0; i < 200; i++) {
      const a = text(), b = text();
      expect(applyEdits(a, minimalEdits(a, b))).toBe(b);
    }
  });
  it('while streaming, the unreached tail of the original is not deleted', () => {
    const original = 'let a = 1;\nlet b = 2;\n';
    expect(streamingEdits(original, 'let a = 10;')).toEqual([{ start: 8, end: 9, text: '10' }]);
    expect(applyEdits(original, streamingEdits(original, 'let a = 10;'))).toBe('let a = 10;\nlet b = 2;\n');
  });
  it('rejects overlapping edits', () => {
    expect(() => applyEdits('abc', [{ start: 0, end: 2, text: '' }, { start: 1, end: 3, text: '' }])).toThrow(/overlapping/);
  });
});

/** Plausible code, `lines` lines long; variant 1 is written another way throughout (a rewrite that diverges). */
function code(lines: number, variant: number, random = seededRandom(variant + 1)): string {
  const names = variant === 0 ? ['total', 'value', 'count', 'index'] : ['acc', 'item', 'n', 'k'];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const a = names[Math.floor(random() * 4)]!, b = names[Math.floor(random() * 4)]!;
    out.push(variant === 0
      ? `${'  '.repeat(i % 3)}${a} = ${b} + ${Math.floor(random() * 100)}; // step ${i}`
      : `${'\t'.repeat(i % 2)}let ${a}${i} := ${b}.push(${Math.floor(random() * 1000)}) # ${a}`);
  }
  return out.join('\n') + '\n';
}

/**
 * CPU ms this process spends in `work`: the bound is on work, which wall-clock time overstates on a
 * loaded machine (a core-burning loop beside the suite made one update take 53 ms of wall clock).
 */
function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe('minimalEdits is bounded (issue 13: the diff runs on the UI thread)', () => {
  it('a diverging 300k-character rewrite is diffed in bounded time, and its edits give exactly the rewrite', () => {
    const original = code(9_000, 0), rewritten = code(9_000, 1);
    expect(original.length).toBeGreaterThan(300_000);
    let plan!: ReturnType<typeof diffEdits>;
    const ms = cpuMs(() => { plan = diffEdits(original, rewritten); });
    expect(ms, `${ms.toFixed(0)} ms of CPU for one diff`).toBeLessThan(250);
    expect(plan.exact).toBe(false);
    expect(applyEdits(original, plan.edits)).toBe(rewritten);
  });

  it('a diverging 2k-character window while streaming costs a bounded diff per update', () => {
    const original = code(70, 0), output = code(70, 1); // old code: ~93 ms per update in Node, 181 ms in Chromium
    expect(original.length).toBeGreaterThan(2_000);
    const perEvent = cpuMs(() => {
      for (let n = 100; n <= output.length; n += 100) streamingEdits(original, output.slice(0, n));
    }) / Math.floor(output.length / 100);
    expect(perEvent, `${perEvent.toFixed(1)} ms of CPU per update`).toBeLessThan(25);
  });

  it('small rewrites stay exact and minimal; a change deep in a long file is found exactly', () => {
    const original = code(6_000, 0);
    const at = original.indexOf('// step 4321');
    const rewritten = original.slice(0, at) + '// stage 4321' + original.slice(at + '// step 4321'.length);
    const plan = diffEdits(original, rewritten);
    expect(plan.exact).toBe(true);
    expect(plan.edits).toEqual([{ start: at + 3, end: at + 7, text: 'stage' }]);
  });

  it('past any bound the coarser edits still apply to exactly the rewrite (and streaming never deletes the unreached tail)', () => {
    const random = seededRandom(11);
    const tiny = { ...DEFAULT_DIFF_BOUNDS, wordEditLimit: 2, lineEditLimit: 2 };
    const none = { ...DEFAULT_DIFF_BOUNDS, wordEditLimit: 0, lineEditLimit: 0 };
    for (let i = 0; i < 200; i++) {
      const a = code(1 + Math.floor(random() * 12), 0, random);
      const b = random() < 0.5 ? code(1 + Math.floor(random() * 12), 1, random) : a.replace(/value/g, 'item');
      for (const bounds of [tiny, none, DEFAULT_DIFF_BOUNDS]) {
        expect(applyEdits(a, minimalEdits(a, b, bounds))).toBe(b);
        const cut = Math.floor(random() * b.length);
        const partial = applyEdits(a, streamingEdits(a, b.slice(0, cut), bounds));
        expect(partial.startsWith(b.slice(0, cut))).toBe(true);
      }
    }
  });

  it('the same texts give the same edits on a loaded machine: the bounds count work, not time', () => {
    // A rewrite that keeps some lines, changes others and adds many (what the model did to a
    // 60-line window in e2e/responsive.spec.ts), streamed 100 characters at a time.
    const original = code(60, 0);
    const kept = original.split('\n');
    const output = kept.flatMap((line, i) => i % 4 === 0 ? [line, `  // note ${i}`, `  check(${i});`] : i % 4 === 1 ? [line.replace('=', '+=')] : [line]).join('\n');
    const plans = () => {
      const out: string[] = [];
      for (let n = 100; n <= output.length + 99; n += 100) out.push(JSON.stringify(streamingEdits(original, output.slice(0, n))));
      out.push(JSON.stringify(diffEdits(original, output)));
      return out;
    };
    const idle = plans();
    expect(new Set(idle.map((p) => (JSON.parse(p) as unknown[]).length)).size).toBeGreaterThan(1); // the stream grows
    let t = 0;
    const slow = vi.spyOn(Date, 'now').mockImplementation(() => (t += 1)); // every look at the clock: 1 ms gone
    try {
      expect(plans()).toEqual(idle);
    } finally {
      slow.mockRestore();
    }
  });
});
