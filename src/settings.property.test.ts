// Property tests of settings validation: validateSettings and settingsWithDefaults accept any
// value without throwing, report what is wrong as messages, and let only known keys through.
//
// CI runs a fixed, seeded number of cases per property (FUZZ.numRuns, seed 1). For a longer run:
//   SPARK_FUZZ_RUNS=100000 npx vitest run --project unit src/settings.property.test.ts
// and SPARK_FUZZ_SEED=<n> to explore other cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS, settingsArb } from './testing/arbitraries.ts';
import { DEFAULT_SETTINGS, SETTING_KEYS, SETTING_RULES, settingsWithDefaults, validateSettingValue, validateSettings, type Settings } from './settings.ts';

const hostileKeyArb = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', ...SETTING_KEYS),
  fc.string({ maxLength: 12 }),
);

/** Any value: null-prototype objects, boxed values, maps, sparse arrays, own "__proto__" keys... */
const anythingArb = fc.anything({
  key: hostileKeyArb, maxDepth: 3,
  withNullPrototype: true, withObjectString: true, withBoxedValues: true, withMap: true, withSet: true,
  withSparseArray: true, withDate: true, withTypedArray: true, withBigInt: true,
});

/** Valid settings with some fields replaced by anything and some hostile keys added (as own properties). */
const settingsLikeArb = fc.tuple(
  settingsArb,
  fc.dictionary(fc.constantFrom(...SETTING_KEYS), anythingArb, { maxKeys: 3 }),
  fc.array(fc.tuple(hostileKeyArb, anythingArb), { maxLength: 2 }),
).map(([valid, replaced, extra]) => {
  const out: Record<string, unknown> = { ...valid, ...replaced };
  for (const [key, value] of extra) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
});

function expectSettingsShape(settings: Settings): void {
  expect(Object.keys(settings).sort()).toEqual([...SETTING_KEYS].sort());
  expect(Object.getPrototypeOf(settings)).toBe(Object.prototype);
  for (const key of SETTING_KEYS) expect(validateSettingValue(key, settings[key]).ok).toBe(true);
}

describe('settings validation (property)', () => {
  it(`validateSettings: any value gives ok with exactly the known keys, or a list of messages; never throws (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(fc.oneof(anythingArb, settingsLikeArb), (input) => {
      const result = validateSettings(input);
      if (result.ok) expectSettingsShape(result.settings);
      else {
        expect(result.errors.length).toBeGreaterThan(0);
        for (const error of result.errors) expect(typeof error).toBe('string');
      }
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`validateSettings is ok exactly when every known field is valid and there is no other own key (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(settingsLikeArb, (input) => {
      const expectOk = Object.keys(input).every((key) => Object.hasOwn(SETTING_RULES, key))
        && SETTING_KEYS.every((key) => Object.hasOwn(input, key) && validateSettingValue(key, input[key]).ok);
      expect(validateSettings(input).ok).toBe(expectOk);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`a model id is accepted exactly when its /-separated parts are names (not empty, "." or "..") (${FUZZ.numRuns} cases)`, () => {
    const part = fc.oneof(fc.constantFrom('', '.', '..', '...', '.a', 'a.', '-', '_x'), fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/));
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
      const modelId = parts.join('/');
      const expectOk = /^[A-Za-z0-9]/.test(modelId) && modelId.length <= 128 && parts.every((p) => p !== '' && p !== '.' && p !== '..');
      expect(validateSettings({ ...DEFAULT_SETTINGS, modelId }).ok, modelId).toBe(expectOk);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`valid settings are accepted unchanged, also after a JSON round trip (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(settingsArb, (settings) => {
      expect(validateSettings(settings)).toEqual({ ok: true, settings });
      expect(validateSettings(JSON.parse(JSON.stringify(settings)))).toEqual({ ok: true, settings });
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it(`settingsWithDefaults: any value gives valid settings (defaults where the input is bad); never throws (${FUZZ.numRuns} cases)`, () => {
    fc.assert(fc.property(fc.oneof(anythingArb, settingsLikeArb), (input) => {
      const settings = settingsWithDefaults(input);
      expectSettingsShape(settings);
      for (const key of SETTING_KEYS) {
        const own = typeof input === 'object' && input !== null && !Array.isArray(input) && Object.hasOwn(input, key);
        const given = own ? validateSettingValue(key, (input as Record<string, unknown>)[key]) : undefined;
        expect(settings[key]).toBe(given?.ok ? given.value : DEFAULT_SETTINGS[key]);
      }
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);
});
