// fast-check generators and checks shared by the property tests of model-file parsers (model/)
// and chat templates (engine/worker/). The fuzz settings themselves are FUZZ in arbitraries.ts.
import fc from 'fast-check';
import { expect } from 'vitest';

/** How long one fuzz case may take to parse or fail (a hang shows as a failed case, not a stall). */
export const CASE_MS = 1000;

export type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Runs one case: it may return or throw, but a throw must be an Error with a message, and either
 * must come within `maxMs`.
 */
export function outcome<T>(run: () => T, maxMs = CASE_MS): Outcome<T> {
  const start = performance.now();
  let result: Outcome<T>;
  try {
    result = { ok: true, value: run() };
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(Error);
    expect(typeof (err as Error).message).toBe('string');
    expect((err as Error).message.length).toBeGreaterThan(0);
    result = { ok: false, message: (err as Error).message };
  }
  expect(performance.now() - start).toBeLessThan(maxMs);
  return result;
}

/** Numbers a hostile file would use: edges of every integer width, floats, negatives, huge. */
export const nastyNumberArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 0.5, -0, 1e9, 1e12, 1e308, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, Number.MAX_SAFE_INTEGER, -(2 ** 31)),
  fc.integer({ min: -5, max: 1000 }),
  fc.integer(),
  fc.double({ noNaN: true }),
);

/** Any JSON value, and the nasty numbers, for a field a mutation replaces. */
export const nastyJsonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyNumberArb },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, '', '12', [], {}, [1, 2], 'F32') },
);

/** Replaces `at` (a path of keys / indices) in a deep copy of `json` with `value`, or deletes it. */
export function mutateAt(json: unknown, path: readonly (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(json) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return copy;
    node = next as Record<string | number, unknown>;
  }
  const last = path.at(-1)!;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}
