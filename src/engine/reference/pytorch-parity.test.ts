// The CPU reference against PyTorch: training/make_fixture.py (written by the training side)
// exports a tiny HF-layout model plus the logits PyTorch computes for some token ids; the
// reference forward pass must reproduce them.
//
// Tolerance: both sides compute in f32, but in different orders (BLAS blocking, fused softmax),
// so per logit |ts − torch| ≤ 1e-4 + 1e-4·|torch|, and the argmax must agree wherever the top two
// torch logits are more than 1e-3 apart.
//
// Skipped, with the reason in the test name, when the script does not exist yet or
// /usr/bin/python3 has no torch. A script that exists but fails is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../model/load.ts';
import { memoryFetcher } from '../../model/model-files.ts';
import { ReferenceModel } from './forward.ts';

const SCRIPT = fileURLToPath(new URL('../../../training/make_fixture.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const HF_FILES = new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors.index.json']);

function skipReason(): string | undefined {
  if (!existsSync(SCRIPT)) return 'training/make_fixture.py does not exist yet';
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return `${PYTHON} has no torch (apt-get install python3-torch)`;
  return undefined;
}

interface Case { ids: number[]; logits: number[][] }

/** Accepts {cases: [{ids|input_ids, logits}]} or a single {ids|input_ids, logits} ([T][V] or flat T*V). */
function readCases(json: unknown, vocab: number): Case[] {
  const raw = (json as { cases?: unknown[] }).cases ?? [json];
  return raw.map((c, i) => {
    const r = c as Record<string, unknown>;
    const ids = (r['ids'] ?? r['input_ids'] ?? r['tokens']) as number[] | undefined;
    let logits = r['logits'] as number[][] | number[] | undefined;
    if (!Array.isArray(ids) || !Array.isArray(logits)) throw new Error(`fixture case ${i}: expected "ids" (or "input_ids") and "logits"`);
    if (typeof logits[0] === 'number') {
      const flat = logits as number[];
      logits = Array.from({ length: flat.length / vocab }, (_, t) => flat.slice(t * vocab, (t + 1) * vocab));
    }
    return { ids: ids.flat() as number[], logits: logits as number[][] };
  });
}

const reason = skipReason();

describe('CPU reference vs PyTorch', () => {
  it.skipIf(reason !== undefined)(`matches the logits of training/make_fixture.py${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-parity-'));
    try {
      const run = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', timeout: 300_000 });
      expect(run.status, `make_fixture.py failed:\n${run.stderr}`).toBe(0);
      const names = readdirSync(dir);
      const files = Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
      const model = await loadModel(memoryFetcher(files), { label: 'pytorch fixture' });
      const expectedName = names.find((n) => n.endsWith('.json') && !HF_FILES.has(n) && /logit|expect|fixture/i.test(n));
      expect(expectedName, `no expected-logits JSON among ${names.join(', ')}`).toBeDefined();
      const cases = readCases(JSON.parse(readFileSync(join(dir, expectedName!), 'utf8')), model.config.vocabSize);
      expect(cases.length).toBeGreaterThan(0);
      for (const [ci, c] of cases.entries()) {
        const got = ReferenceModel.fromLoaded(model).forward(c.ids, 0); // [T, V]
        const v = model.config.vocabSize;
        expect(c.logits.length, `case ${ci}: positions`).toBe(c.ids.length);
        let worst = 0;
        c.logits.forEach((row, t) => {
          expect(row.length).toBe(v);
          for (let j = 0; j < v; j++) {
            const err = Math.abs(got[t * v + j]! - row[j]!) - 1e-4 * Math.abs(row[j]!);
            worst = Math.max(worst, err);
          }
          const sorted = [...row].sort((a, b) => b - a);
          if (sorted[0]! - sorted[1]! > 1e-3) {
            const tsArgmax = got.subarray(t * v, (t + 1) * v).reduce((best, x, j, arr) => (x > arr[best]! ? j : best), 0);
            expect(tsArgmax, `case ${ci} position ${t}: argmax`).toBe(row.indexOf(sorted[0]!));
          }
        });
        expect(worst, `case ${ci}: worst |ts − torch| beyond 1e-4·|torch|`).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
