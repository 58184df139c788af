// The simulated user against a scripted engine, where every accept can be worked out by hand.
import { describe, expect, it } from 'vitest';
import type { CompletionEngine } from '../../src/editor/inline/completion-controller.ts';
import { nextWordLength, replayCase, wordPrefixMatch } from './simulated-user.ts';
import { firstTokenGate } from '../../src/testing/first-token-gate.ts';

/** Answers by the end of the prefix; nothing for any other cursor. Every answer's first token has log-probability `logprob`. */
function scripted(answers: Record<string, string>, logprob?: number): CompletionEngine & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async complete(req, onText) {
      asked.push(req.prefix);
      const key = Object.keys(answers).find((k) => req.prefix.endsWith(k));
      if (key !== undefined) onText(answers[key]!, logprob);
    },
  };
}

describe('Ctrl+→ steps (Monaco acceptNextWord)', () => {
  it('takes a word, separators up to the next word, or one run of whitespace', () => {
    expect(nextWordLength('return a - b')).toBe(6);
    expect(nextWordLength(' a - b')).toBe(1);
    expect(nextWordLength('- b')).toBe(2);
    expect(nextWordLength('(x)')).toBe(1);
    expect(nextWordLength('  ')).toBe(2);
    expect(nextWordLength('3.14)')).toBe(4);
  });

  it('matches whole steps only', () => {
    expect(wordPrefixMatch('return a - b', 'return a + b\n')).toEqual({ chars: 9, presses: 4 });
    expect(wordPrefixMatch('value)', 'values)')).toEqual({ chars: 5, presses: 1 }); // "value" is right as far as it goes
    expect(wordPrefixMatch('foo', 'bar')).toEqual({ chars: 0, presses: 0 });
  });
});

describe('replayCase', () => {
  it('takes a suggestion in part, types through the wrong rest, takes the next one whole', async () => {
    const engine = scripted({ '    ': 'return a - b', 'return a + ': 'b' });
    const r = await replayCase({ before: 'def add(a, b):\n    ', target: 'return a + b\n', after: '' }, { engine, debounceMs: 0, maxKeystrokes: 100 });
    // "return a " by 4 × Ctrl+→; "+" and " " typed (the first is the rest of the same suggestion,
    // the second asks anew and gets nothing); "b" by Tab; "\n" typed.
    expect(r).toMatchObject({ keystrokes: 8, typedChars: 3, acceptedChars: 10, shown: 2, acceptedWhole: 1, acceptedPart: 1, wrong: 0 });
    expect(r.ghostLatencyMs).toHaveLength(2);
    expect(r.shownTexts).toEqual(['return a - b', 'b']);
    // Typing "+" kept the suggestion (typed through): no request for "return a +"... only after it diverged.
    expect(engine.asked.map((p) => p.slice('def add(a, b):\n'.length))).toEqual(['    ', '    return a +', '    return a + ', '    return a + b']);
  });

  it('counts a suggestion that is wrong from its first word once, however long it is typed through', async () => {
    const engine = scripted({ 'x = ': 'foo(1)' });
    const r = await replayCase({ before: 'x = ', target: 'fob(2)', after: '\n' }, { engine, debounceMs: 0, maxKeystrokes: 100 });
    // "fo" types through "foo(1)"; "b" diverges and asks again (nothing for "x = fob").
    expect(r).toMatchObject({ keystrokes: 6, typedChars: 6, acceptedChars: 0, shown: 1, acceptedWhole: 0, acceptedPart: 0, wrong: 1 });
  });

  it('types Enter with the next line\'s indentation, as auto-indent does, and asks there', async () => {
    const engine = scripted({});
    const r = await replayCase({ before: 'if x:\n', target: '    a = 1\n    b', after: '' }, { engine, debounceMs: 0, maxKeystrokes: 100 });
    // 4 spaces, "a = 1" (5), Enter with its 4 spaces (1 keystroke), "b".
    expect(r).toMatchObject({ keystrokes: 4 + 5 + 1 + 1, typedChars: 4 + 5 + 5 + 1 });
    expect(engine.asked).toContain('if x:\n    a = 1\n    ');
    expect(engine.asked).not.toContain('if x:\n    a = 1\n  ');
  });

  it('with the gate on, an unlikely suggestion is held back and the user types on; each shown one is a calibration sample', async () => {
    const answers = { '    ': 'return a - b', 'return a + ': 'b' };
    const gateCalibration = firstTokenGate(4, -2, 0.5); // p = σ(4·p(first token) − 2)
    const case_ = { before: 'def add(a, b):\n    ', target: 'return a + b\n', after: '' };
    const gated = await replayCase(case_, { engine: scripted(answers, Math.log(0.01)), debounceMs: 0, maxKeystrokes: 100, gateThreshold: 0.5, gateCalibration });
    expect(gated).toMatchObject({ shown: 0, acceptedChars: 0, typedChars: 13, samples: [] });
    expect(gated.gated).toBeGreaterThanOrEqual(2);
    const shown = await replayCase(case_, { engine: scripted(answers, Math.log(0.9)), debounceMs: 0, maxKeystrokes: 100, gateThreshold: 0.5, gateCalibration });
    expect(shown).toMatchObject({ shown: 2, gated: 0 });
    expect(shown.samples.map((s) => [s.features.firstLogprob, s.features.multiLine, s.taken])).toEqual([[Math.log(0.9), true, true], [Math.log(0.9), false, true]]);
  });

  it('stops at the keystroke limit', async () => {
    const r = await replayCase({ before: '', target: 'abcdefgh', after: '' }, { engine: scripted({}), debounceMs: 0, maxKeystrokes: 3 });
    expect(r).toMatchObject({ keystrokes: 3, typedChars: 3, shown: 0 });
  });
});
