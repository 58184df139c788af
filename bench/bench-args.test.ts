import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './bench-args.ts';

describe('parseBenchArgs', () => {
  const now = new Date('2026-11-25T18:30:05.123Z');
  it('defaults to a full run into a timestamped folder', () => {
    expect(parseBenchArgs([], now)).toEqual({ quick: false, out: 'bench/out/2026-11-25T18-30-05', peers: true, editor: true, replay: true });
  });
  it('reads --quick, --out, --no-peers and --no-editor', () => {
    expect(parseBenchArgs(['--', '--quick', '--out', '/tmp/x', '--no-peers', '--no-editor', '--no-replay'], now)).toEqual({ quick: true, out: '/tmp/x', peers: false, editor: false, replay: false });
  });
  it('refuses unknown flags and a missing --out value, saying what is known', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown argument: --fast.*--quick/);
    expect(() => parseBenchArgs(['--out'])).toThrow(/--out needs a directory/);
    expect(() => parseBenchArgs(['--out', '--quick'])).toThrow(/--out needs a directory/);
  });
});
