#!/usr/bin/env node
// `npm run wasm`: assembles every WebAssembly text file under src/ (*.wat) into the TypeScript
// module beside it (*.wat.ts: the binary as base64), so that the page, the worker, Node tests and
// benches all import it as plain code, with no loader or build plugin. A unit test
// (src/engine/backends/cpu/simd/wasm-assembly.test.ts) fails when a .wat and its module disagree.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleWat, watModuleSource } from './wasm-assemble.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const watFiles = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const path = join(dir, e.name);
  return e.isDirectory() ? watFiles(path) : e.name.endsWith('.wat') ? [path] : [];
});
for (const wat of watFiles(join(ROOT, 'src'))) {
  const name = relative(ROOT, wat);
  writeFileSync(`${wat}.ts`, watModuleSource(name, await assembleWat(name, readFileSync(wat, 'utf8'))));
  console.log(`wrote ${name}.ts`);
}
