import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_KEYSTROKES, parseReplayArgs, QUICK_MAX_KEYSTROKES } from './replay-args.ts';

describe('npm run replay arguments', () => {
  it('default to the held-out sample and the shipped model', () => {
    expect(parseReplayArgs([])).toEqual({ files: [], maxKeystrokes: DEFAULT_MAX_KEYSTROKES, model: 'spark-nano', json: false, quick: false, makeNgram: undefined, page: true, calibrate: undefined, copyTolerance: undefined });
    expect(parseReplayArgs(['--no-page']).page).toBe(false);
  });

  it('take files up to the next flag, a keystroke bound, a model and --json', () => {
    expect(parseReplayArgs(['--', '--files', 'a.py', 'b.ts', '--max-keystrokes', '50', '--model', 'm.gguf', '--json'])).toMatchObject({
      files: ['a.py', 'b.ts'], maxKeystrokes: 50, model: 'm.gguf', json: true,
    });
    expect(parseReplayArgs(['--quick']).maxKeystrokes).toBe(QUICK_MAX_KEYSTROKES);
    expect(parseReplayArgs(['--quick', '--max-keystrokes', '7']).maxKeystrokes).toBe(7);
    expect(parseReplayArgs(['--copy-tolerance', '0']).copyTolerance).toBe(0);
  });

  it('refuse bad input with the reason', () => {
    expect(() => parseReplayArgs(['--files'])).toThrow(/at least one path/);
    expect(() => parseReplayArgs(['--max-keystrokes', '0'])).toThrow(/at least 1/);
    expect(() => parseReplayArgs(['--max-keystrokes', '2.5'])).toThrow(/whole number/);
    expect(() => parseReplayArgs(['--model'])).toThrow(/--model needs/);
    expect(() => parseReplayArgs(['--fast'])).toThrow(/unknown argument: --fast/);
    expect(() => parseReplayArgs(['--copy-tolerance', '-1'])).toThrow(/at least 0/);
  });
});
