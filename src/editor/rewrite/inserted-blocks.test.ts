import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ } from '../../testing/arbitraries.ts';
import { linesToHold } from './inserted-blocks.ts';

const LINE = 19;
const VIEWPORT = 700; // 37 lines on screen, at most

describe('linesToHold', () => {
  it('holds all of a block that fits on screen', () => {
    expect(linesToHold(100, 10, LINE, VIEWPORT)).toEqual({ from: 0, to: 10 });
  });

  it('holds what is on screen of a long block and a screenful either side, not the rest', () => {
    // 1,000 lines, scrolled so that lines 400..437 are on screen.
    expect(linesToHold(-400 * LINE, 1000, LINE, VIEWPORT)).toEqual({ from: 400 - 37, to: 437 + 37 });
  });

  it('keeps what it holds while the screen stays within it, and re-cuts past it', () => {
    const held = linesToHold(-400 * LINE, 1000, LINE, VIEWPORT);
    expect(linesToHold(-420 * LINE, 1000, LINE, VIEWPORT, held)).toBe(held);
    expect(linesToHold(-480 * LINE, 1000, LINE, VIEWPORT, held)).toEqual({ from: 480 - 37, to: 517 + 37 });
  });

  it('keeps what it holds while off screen (Monaco hides the zone), and holds its start when it held nothing', () => {
    const held = { from: 10, to: 60 };
    expect(linesToHold(-1e6, 100, LINE, VIEWPORT, held)).toBe(held);
    expect(linesToHold(VIEWPORT + 50, 100, LINE, VIEWPORT)).toEqual({ from: 0, to: 37 });
  });

  it('never reuses a slice past the end of a block that shrank', () => {
    expect(linesToHold(0, 20, LINE, VIEWPORT, { from: 0, to: 80 })).toEqual({ from: 0, to: 20 });
  });

  it(`always holds every line on screen, within the block, and at most three screenfuls (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5000 }), fc.integer({ min: -100_000, max: 2000 }), fc.integer({ min: 10, max: 40 }),
      fc.integer({ min: 50, max: 2000 }), fc.option(fc.tuple(fc.nat(5000), fc.nat(500)), { nil: undefined }),
      (lineCount, top, lineHeight, viewport, prior) => {
        const held = prior && { from: prior[0], to: prior[0] + prior[1] };
        const slice = linesToHold(top, lineCount, lineHeight, viewport, held);
        expect(slice.from).toBeGreaterThanOrEqual(0);
        expect(slice.to).toBeLessThanOrEqual(lineCount);
        const firstSeen = Math.max(0, Math.floor(-top / lineHeight));
        const endSeen = Math.min(lineCount, Math.ceil((viewport - top) / lineHeight));
        if (firstSeen < endSeen) {
          expect(slice.from).toBeLessThanOrEqual(firstSeen);
          expect(slice.to).toBeGreaterThanOrEqual(endSeen);
          if (slice !== held) expect(slice.to - slice.from).toBeLessThanOrEqual(3 * Math.ceil(viewport / lineHeight) + 2);
        }
      }), FUZZ);
  });
});
