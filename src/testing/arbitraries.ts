// fast-check settings and generators the property tests share. CI runs a fixed, seeded number of
// cases per property; SPARK_FUZZ_RUNS (and SPARK_FUZZ_SEED) run a longer campaign on demand.
import fc from 'fast-check';
import { SETTING_KEYS, SETTING_RULES, type Settings } from '../settings.ts';

const RUNS = Number(process.env['SPARK_FUZZ_RUNS'] ?? 300);
/** The fast-check parameters of every property: seeded, so CI sees the same cases every run. */
export const FUZZ = { seed: Number(process.env['SPARK_FUZZ_SEED'] ?? 1), numRuns: RUNS };
/** A property's test timeout, grown with the number of cases. */
export const FUZZ_TIMEOUT_MS = Math.max(20_000, RUNS * 20);

/** Model ids the settings accept: 1-3 `/`-separated names. */
export const modelIdArb = fc.array(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'));

/** Any valid settings: every field in its range. */
export const settingsArb: fc.Arbitrary<Settings> = fc.record(Object.fromEntries(SETTING_KEYS.map((key) => {
  const rule = SETTING_RULES[key];
  if (rule.kind === 'string') return [key, rule.values ? fc.constantFrom(...rule.values) : modelIdArb];
  if (rule.integer) return [key, fc.integer({ min: rule.min, max: rule.max })];
  return [key, fc.double({ min: rule.min, max: rule.max, noNaN: true, minExcluded: rule.exclusiveMin ?? false })];
})) as { [K in keyof Settings]: fc.Arbitrary<Settings[K]> });
