// The CPU reference against PyTorch. training/make_fixture.py exports a tiny random spark-nano-
// shaped model through the same code path as the shipped model (HF layout, f16 or f32 weights)
// and writes expected.json: { tokens, logits [T][V], greedy (next 8 ids), fim_tokens,
// fim_last_logits, text, dtype }, the logits computed by PyTorch in f32 from the stored weights.
//
// Tolerance: both sides compute in f32 from the same stored values, in different orders (BLAS
// blocking, fused kernels), and expected.json rounds to 6 decimals, so per logit
// |ts − torch| ≤ 1e-4 + 1e-4·|torch|. Greedy ids must be identical.
//
// Skipped, with the reason in the test name, when the script, a tokenizer for it, or torch in
// /usr/bin/python3 is missing. A script that is present but fails is a failure, not a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../../model/load.ts';
import { memoryFetcher } from '../../../../model/model-files.ts';
import { GREEDY } from '../../../api/types.ts';
import { CpuBackend } from '../cpu-backend.ts';
import { buildPrompt } from '../../../worker/prompt.ts';
import { ReferenceModel } from './forward.ts';

const repo = (path: string) => fileURLToPath(new URL(`../../../../../${path}`, import.meta.url));
const SCRIPT = repo('training/make_fixture.py');
const TOKENIZERS = [repo('public/models/spark-nano/tokenizer.json'), repo('training/data/corpus/tokenizer.json')];
const PYTHON = '/usr/bin/python3';

interface Expected {
  text: string;
  tokens: number[];
  logits: number[][]; // [T][V]
  greedy: number[];
  fim_tokens: number[];
  fim_last_logits: number[];
  dtype: string;
}

function skipReason(): string | undefined {
  if (!existsSync(SCRIPT)) return 'training/make_fixture.py does not exist';
  if (!TOKENIZERS.some((p) => existsSync(p))) return 'no spark-nano tokenizer.json yet (public/models/spark-nano or training/data/corpus)';
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (spawnSync(PYTHON, ['-c', 'import torch, numpy, regex'], { stdio: 'ignore' }).status !== 0) {
    return `${PYTHON} lacks torch/numpy/regex (apt-get install python3-torch python3-numpy python3-regex)`;
  }
  return undefined;
}

/** Worst excess of |got − want| over the tolerance 1e-4 + 1e-4·|want|; ≤ 0 means within it. */
function worstExcess(got: Float32Array, want: readonly number[]): number {
  let worst = -Infinity;
  want.forEach((w, j) => { worst = Math.max(worst, Math.abs(got[j]! - w) - 1e-4 - 1e-4 * Math.abs(w)); });
  return worst;
}

async function fixture(dir: string, extraArgs: string[]): Promise<{ model: LoadedModel; expected: Expected }> {
  const run = spawnSync(PYTHON, [SCRIPT, dir, ...extraArgs], { encoding: 'utf8', timeout: 600_000 });
  expect(run.status, `make_fixture.py failed:\n${run.stderr}`).toBe(0);
  const files = Object.fromEntries(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
  const model = await loadModel(memoryFetcher(files), { label: 'make_fixture.py output' });
  return { model, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected };
}

const reason = skipReason();

describe.each([['f16', []], ['f32', ['--f32']]] as const)('CPU reference vs PyTorch (%s weights)', (_dtype, args) => {
  it.skipIf(reason !== undefined)(`matches tokens, logits, greedy ids and a FIM prompt${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-parity-'));
    try {
      const { model, expected } = await fixture(dir, [...args]);
      const v = model.config.vocabSize;
      // Tokenizer parity (@huggingface/tokenizers vs training/tokenizer.py).
      expect(model.tokenizer.encode(expected.text)).toEqual(expected.tokens);

      const logits = ReferenceModel.fromLoaded(model).forward(expected.tokens, 0); // [T, V]
      expect(expected.logits).toHaveLength(expected.tokens.length);
      expected.logits.forEach((row, t) => {
        expect(worstExcess(logits.subarray(t * v, (t + 1) * v), row), `position ${t}`).toBeLessThanOrEqual(0);
      });

      const greedy: number[] = [];
      await new CpuBackend(model).generate({
        promptIds: expected.tokens, maxNewTokens: expected.greedy.length, stopIds: [], sampling: GREEDY, tokensPerSubmit: 4,
      }, (ids) => greedy.push(...ids), new AbortController().signal);
      expect(greedy).toEqual(expected.greedy);

      const fim = buildPrompt(model.tokenizer, { kind: 'fim', prefix: 'def f(x):\n    ', suffix: '\n    return y\n' }, { maxPromptTokens: 256 },
        { fimOrder: model.config.fimOrder });
      expect(fim.ids).toEqual(expected.fim_tokens);
      const fimLast = ReferenceModel.fromLoaded(model).forward(fim.ids, 0, { logits: 'last' });
      expect(worstExcess(fimLast, expected.fim_last_logits)).toBeLessThanOrEqual(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
