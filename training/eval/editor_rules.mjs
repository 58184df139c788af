// The editor's own suggestion rules, run for the Python eval so that FIM exact match scores what a
// user of Spark would see, with no Python copy of the rules to drift: this loads
// src/editor/inline/postprocess.ts itself (types stripped by the TypeScript compiler; the module
// has no imports).
//
//   node training/eval/editor_rules.mjs < request.json > reply.json
//   request: {"op": "mode", "items": [{"prefix", "suffix"}]}          -> ["single-line" | "multi-line", ...]
//            {"op": "trim", "items": [{"prefix", "suffix", "raw", "mode"}]} -> [suggestion text or null, ...]
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const source = readFileSync(join(root, 'src', 'editor', 'inline', 'postprocess.ts'), 'utf8');
const js = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
}).outputText;
const dir = mkdtempSync(join(tmpdir(), 'spark-rules-'));
let rules;
try {
  writeFileSync(join(dir, 'postprocess.mjs'), js);
  rules = await import(pathToFileURL(join(dir, 'postprocess.mjs')).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const request = JSON.parse(readFileSync(0, 'utf8'));
if (!Array.isArray(request.items)) throw new Error('editor_rules: request.items must be an array');
let reply;
if (request.op === 'mode') {
  reply = request.items.map((ctx) => rules.completionMode(ctx));
} else if (request.op === 'trim') {
  reply = request.items.map(({ raw, mode, ...ctx }) => rules.trimCompletion(raw, ctx, mode) ?? null);
} else {
  throw new Error(`editor_rules: op must be "mode" or "trim", got ${JSON.stringify(request.op)}`);
}
process.stdout.write(JSON.stringify(reply));
