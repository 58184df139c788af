import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../testing/fake-clock.ts';
import { applyEdits, minimalEdits, streamingEdits, type TextEdit } from './minimal-edits.ts';
import { PROPOSAL_UPDATE_INTERVAL_MS, ProposalStream } from './proposal-stream.ts';

const original = Array.from({ length: 40 }, (_, i) => `  total += values[${i}] * ${i};`).join('\n') + '\n';

function setup() {
  const clock = new FakeClock();
  const shown: TextEdit[][] = [];
  const stream = new ProposalStream({ original, clock, onEdits: (e) => shown.push(e) });
  return { clock, shown, stream };
}

describe('ProposalStream (coalesced diffs of a streaming rewrite)', () => {
  it('diffs at most once per interval, and only the latest text', () => {
    const { clock, shown, stream } = setup();
    const output = original.replace(/total/g, 'sum');
    // 200 token events in one burst: no diff runs while they arrive.
    for (let i = 1; i <= 200; i++) stream.push(output.slice(0, Math.round((i / 200) * 300)));
    expect(stream.diffs).toBe(0);
    clock.advance(0);
    expect(stream.diffs).toBe(1);
    expect(shown).toEqual([streamingEdits(original, output.slice(0, 300))]);
    // More text inside the interval waits for it to pass, then one diff of the newest text.
    stream.push(output.slice(0, 310));
    stream.push(output.slice(0, 320));
    clock.advance(PROPOSAL_UPDATE_INTERVAL_MS - 1);
    expect(stream.diffs).toBe(1);
    clock.advance(1);
    expect(stream.diffs).toBe(2);
    expect(shown[1]).toEqual(streamingEdits(original, output.slice(0, 320)));
  });

  it('many events over a long stream cost one diff per interval', () => {
    const { clock, stream } = setup();
    for (let t = 0; t < 2_000; t += 5) { // an event every 5 ms for 2 s
      stream.push(original.slice(0, t / 10));
      clock.advance(5);
    }
    expect(stream.diffs).toBeLessThanOrEqual(2_000 / PROPOSAL_UPDATE_INTERVAL_MS + 1);
    expect(stream.diffs).toBeGreaterThanOrEqual(2_000 / PROPOSAL_UPDATE_INTERVAL_MS - 1);
  });

  it('finish() cancels the pending update and returns the minimal edits of the final output', () => {
    const { clock, shown, stream } = setup();
    const output = original.replace('values[7]', 'items[7]');
    stream.push(output.slice(0, 100));
    const plan = stream.finish(output);
    expect(plan.exact).toBe(true);
    expect(plan.edits).toEqual(minimalEdits(original, output));
    expect(plan.edits).toEqual([{ start: original.indexOf('values[7]'), end: original.indexOf('values[7]') + 'values'.length, text: 'items' }]);
    expect(applyEdits(original, plan.edits)).toBe(output);
    clock.advance(10 * PROPOSAL_UPDATE_INTERVAL_MS);
    expect(shown).toEqual([]); // the pending update never ran
    stream.push('late');
    clock.advance(10 * PROPOSAL_UPDATE_INTERVAL_MS);
    expect(shown).toEqual([]);
  });
});
