#!/usr/bin/env node
// Writes one of the generated random-weight test models (src/testing/test-model.ts) to a directory
// in Hugging Face layout, for trying `npm run generate` and the benches without a trained model.
//   node scripts/generate-test-model.mjs <outdir> [--variant llama|llama-tied-f16|qwen2-tied|qwen2-untied-bf16]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--variant');
const variantIndex = args.indexOf('--variant');
const variant = variantIndex >= 0 ? args[variantIndex + 1] : 'llama';
if (!out) {
  console.error('usage: node scripts/generate-test-model.mjs <outdir> [--variant llama|llama-tied-f16|qwen2-tied|qwen2-untied-bf16]');
  process.exit(2);
}
const { module } = await runnerImport(join(ROOT, 'src/testing/test-model.ts'), { configFile: false, root: ROOT, logLevel: 'error' });
const options = module.TEST_MODEL_VARIANTS[variant];
if (!options) {
  console.error(`unknown --variant ${variant}; one of ${Object.keys(module.TEST_MODEL_VARIANTS).join(', ')}`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });
for (const [name, bytes] of Object.entries(module.makeTestModelFiles(options))) writeFileSync(join(out, name), bytes);
console.log(`wrote test model "${variant}" to ${out}`);
