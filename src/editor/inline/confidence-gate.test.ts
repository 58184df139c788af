import { describe, expect, it } from 'vitest';
import { acceptProbability, copyAgrees, cursorFollows, GATE_FEATURES, GATE_THRESHOLD, gateFeatures, parseGateCalibration, shippedGateCalibration } from './confidence-gate.ts';

describe('confidence gate', () => {
  // p(first token), multi-line, copy agreement, known word, then after a word character, ., a space, ( [ { , and = :
  const calibration = { weights: [0.8, -0.5, 1.2, 0.6, -0.3, -0.4, -0.2, 0.3, 0.5], bias: 1, threshold: 0.3, features: GATE_FEATURES };
  const base = { firstLogprob: -1, multiLine: false, copyAgrees: false, knownWord: false, follows: 'other' as const };

  it('is a logistic model of the features: more likely first tokens, copy agreement and known words raise it', () => {
    const p = acceptProbability(base, calibration);
    expect(p).toBeCloseTo(1 / (1 + Math.exp(-(1 + 0.8 * Math.exp(-1)))), 12);
    expect(acceptProbability({ ...base, knownWord: true }, calibration)).toBeGreaterThan(p);
    expect(acceptProbability({ ...base, firstLogprob: -0.1 }, calibration)).toBeGreaterThan(p);
    expect(acceptProbability({ ...base, copyAgrees: true }, calibration)).toBeGreaterThan(p);
    expect(acceptProbability({ ...base, firstLogprob: Number.NaN }, calibration)).toBe(0);
    // One weight per kind of character the cursor follows; 'other' is the baseline.
    expect(acceptProbability({ ...base, follows: 'assign' }, calibration)).toBeCloseTo(1 / (1 + Math.exp(-(1.5 + 0.8 * Math.exp(-1)))), 12);
    expect(acceptProbability({ ...base, follows: 'dot' }, calibration)).toBeLessThan(p);
  });

  it('names what the cursor follows', () => {
    expect(['', 'x = fo', 'a.', 'return ', 'f(', 'g(a,', '[', '{', 'x =', 'key:', 'x\n', 'a)', 'b +', '\t', '_', '9'].map(cursorFollows))
      .toEqual(['other', 'word', 'dot', 'space', 'open', 'open', 'open', 'open', 'assign', 'assign', 'other', 'other', 'other', 'other', 'word', 'word']);
  });

  it('the shipped calibration is well formed; a malformed one is refused', () => {
    const shipped = shippedGateCalibration();
    expect(shipped.features).toEqual(GATE_FEATURES);
    expect(shipped.threshold).toBe(GATE_THRESHOLD);
    expect(() => parseGateCalibration({ weights: [1, 2], bias: 0, threshold: 0.2 })).toThrow(/gate calibration/);
    expect(() => parseGateCalibration({ weights: [1, 2, 3, 4, 5], bias: 0, threshold: 0.2 })).toThrow(/9 finite numbers/); // an older calibration
    // As many weights, fitted for other features: refused, with what to run.
    expect(() => parseGateCalibration({ ...calibration, features: [...GATE_FEATURES].reverse() })).toThrow(/--calibrate/);
    expect(() => parseGateCalibration({ ...calibration, threshold: 2 })).toThrow(/gate calibration/);
    expect(() => parseGateCalibration({ ...calibration, bias: Number.NaN })).toThrow(/gate calibration/);
  });

  it('copy agreement: the document continued with the same first word after the same text', () => {
    const prefix = 'items.forEach((item) => total += item.price);\nother.forEach((item) => ';
    expect(copyAgrees({ prefix, suffix: '' }, 'total += x')).toBe(true);
    expect(copyAgrees({ prefix, suffix: '' }, 'sum += x')).toBe(false);
    expect(copyAgrees({ prefix: 'const a = ', suffix: '\nconst a = 1;\n' }, '1;')).toBe(true); // found after the cursor
    expect(copyAgrees({ prefix: 'abc', suffix: '' }, 'x')).toBe(false);
    expect(copyAgrees({ prefix, suffix: '' }, '   ')).toBe(false);
  });

  it('features come from the context, the mode and the first log-probability', () => {
    expect(gateFeatures({ prefix: 'x = fo', suffix: '' }, 'single-line', 'o(1)', -2)).toEqual({ firstLogprob: -2, multiLine: false, copyAgrees: false, knownWord: false, follows: 'word' });
    expect(gateFeatures({ prefix: 'total = 1\nx = to', suffix: '' }, 'single-line', 'tal + 1', -2).knownWord).toBe(true);
    expect(gateFeatures({ prefix: 'if x:\n', suffix: '' }, 'multi-line', 'pass', -0.5).multiLine).toBe(true);
  });
});
