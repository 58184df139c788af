import { describe, expect, it } from 'vitest';
import { parseLatencyArgs } from './run-latency.ts';

describe('parseLatencyArgs', () => {
  it('defaults to 12 pauses per file, no waterfall, the app\'s own gate', () => {
    expect(parseLatencyArgs([])).toEqual({ pauses: 12, waterfall: false });
  });
  it('reads --url, --pauses, --waterfall and --gate', () => {
    expect(parseLatencyArgs(['--', '--url', 'http://127.0.0.1:5173/', '--pauses', '3', '--waterfall', '--gate', '0']))
      .toEqual({ url: 'http://127.0.0.1:5173/', pauses: 3, waterfall: true, gateThreshold: 0 });
    expect(parseLatencyArgs(['--gate', '0.25']).gateThreshold).toBe(0.25);
  });
  it('refuses a gate outside the setting\'s range or not a number, and unknown flags', () => {
    expect(() => parseLatencyArgs(['--gate', '2'])).toThrow(/--gate: .*gate/i);
    expect(() => parseLatencyArgs(['--gate', 'high'])).toThrow(/--gate: .*must be a number/);
    expect(() => parseLatencyArgs(['--gate'])).toThrow(/--gate needs a value/);
    expect(() => parseLatencyArgs(['--pauses', '0'])).toThrow(/--pauses/);
    expect(() => parseLatencyArgs(['--fast'])).toThrow(/unknown argument: --fast.*--gate T/);
  });
});
