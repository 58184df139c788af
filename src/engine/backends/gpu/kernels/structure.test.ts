// The kernel layout, checked without a GPU:
//   - kernels/<op>/ holds <op>.wgsl, <op>.ts and <op>.gpu.test.ts (kebab-case, names equal);
//     kernels/shared/ holds WGSL and TS used by several kernels; no other .wgsl exists in src/
//     except the named test fixtures, and there is no top-level shaders/ folder;
//   - every struct a kernel binds (var<uniform> / var<storage>) is generated from its TS
//     declaration (uniforms.ts): no .wgsl declares one by hand, the generated text round-trips
//     to the declared fields, and the WGSL reads no field the declaration lacks.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STRUCT_MARKER, type KernelShader } from './uniforms.ts';

const KERNELS = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(KERNELS, '../../../..');
const ROOT = resolve(SRC, '..');
const SHARED = 'shared';
/** .wgsl files that are test fixtures, not kernels (paths relative to src/). */
const FIXTURES = ['engine/backends/gpu/webgpu-smoke/vector-add.wgsl'];

const ops = readdirSync(KERNELS).filter((n) => n !== SHARED && statSync(join(KERNELS, n)).isDirectory()).sort();

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const stripComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

/** Splits on commas outside <...> (array<vec4<f32>, N> is one type). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0, cur = '';
  for (const ch of text) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

interface ParsedStruct { name: string; fields: { name: string; type: string }[] }

function parseStructs(code: string): ParsedStruct[] {
  return [...stripComments(code).matchAll(/\bstruct\s+(\w+)\s*\{([^}]*)\}/g)].map(([, name, body]) => ({
    name: name!,
    fields: splitTopLevel(body!).map((f) => {
      const m = /^(\w+)\s*:\s*(.+)$/s.exec(f);
      if (!m) throw new Error(`struct ${name}: cannot parse field "${f}"`);
      return { name: m[1]!, type: m[2]!.replace(/\s+/g, '') };
    }),
  }));
}

interface ModuleVar { space: 'uniform' | 'storage'; name: string; type: string }

function parseVars(code: string): ModuleVar[] {
  return [...stripComments(code).matchAll(/\bvar<(uniform|storage)\b[^>]*>\s*(\w+)\s*:\s*([^;]+);/g)]
    .map(([, space, name, type]) => ({ space: space as ModuleVar['space'], name: name!, type: type!.replace(/\s+/g, '') }));
}

/** A bare type name that is not a WGSL scalar/vector/matrix/array: a struct. */
const isStructType = (t: string) => /^\w+$/.test(t) && !/^(f16|f32|i32|u32|bool)$/.test(t);

const markers = (raw: string) => [...raw.matchAll(STRUCT_MARKER)].map((m) => m[1]!);

/** The struct-typed bindings of `raw`: none may be declared in the file, each must be marked. */
function boundStructProblems(file: string, raw: string): string[] {
  const handWritten = new Set(parseStructs(raw).map((s) => s.name));
  const marked = new Set(markers(raw));
  const problems: string[] = [];
  for (const v of parseVars(raw)) {
    if (v.space === 'uniform' && !isStructType(v.type)) problems.push(`${file}: var<uniform> ${v.name} is not a struct`);
    if (!isStructType(v.type)) continue;
    if (handWritten.has(v.type)) problems.push(`${file}: struct ${v.type} (bound as ${v.name}) is written by hand; declare it in TS (uniforms.ts) and mark it with // @struct ${v.type}`);
    if (!marked.has(v.type)) problems.push(`${file}: no // @struct ${v.type} marker for ${v.name}`);
  }
  return problems;
}

describe('kernel layout', () => {
  it('finds the kernels', () => {
    expect(ops).toEqual(expect.arrayContaining(['attention', 'embed', 'matmul', 'rmsnorm', 'rope-kv', 'sampler', 'stream-read']));
  });

  it.each(ops)('kernels/%s holds <op>.wgsl, <op>.ts and <op>.gpu.test.ts, and no other WGSL', (op) => {
    expect(op).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const files = readdirSync(join(KERNELS, op));
    expect(files).toEqual(expect.arrayContaining([`${op}.wgsl`, `${op}.ts`, `${op}.gpu.test.ts`]));
    expect(files.filter((f) => f.endsWith('.wgsl'))).toEqual([`${op}.wgsl`]);
  });

  it('every .wgsl in src/ is a kernel\'s, shared, or a named fixture; shaders/ is gone', () => {
    expect(existsSync(join(ROOT, 'shaders'))).toBe(false);
    const allowed = new Set([
      ...ops.map((op) => `engine/backends/gpu/kernels/${op}/${op}.wgsl`),
      ...readdirSync(join(KERNELS, SHARED)).filter((f) => f.endsWith('.wgsl')).map((f) => `engine/backends/gpu/kernels/${SHARED}/${f}`),
      ...FIXTURES,
    ]);
    const wgsl = walk(SRC).filter((p) => p.endsWith('.wgsl')).map((p) => relative(SRC, p).split('\\').join('/'));
    expect(wgsl.filter((p) => !allowed.has(p))).toEqual([]);
    for (const f of FIXTURES) expect(wgsl).toContain(f);
  });

  it('every ?raw WGSL import in src/ names a file that exists', () => {
    const missing: string[] = [];
    for (const file of walk(SRC).filter((p) => p.endsWith('.ts'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from\s+'([^']+\.wgsl)\?raw'/g)) {
        if (!existsSync(resolve(dirname(file), spec!))) missing.push(`${relative(SRC, file)}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('WGSL structs come from their TS declarations', () => {
  it.each(ops)('%s', async (op) => {
    const raw = readFileSync(join(KERNELS, op, `${op}.wgsl`), 'utf8');
    const mod = (await import(`./${op}/${op}.ts`)) as { SHADER?: KernelShader };
    const shader = mod.SHADER;
    if (!shader) throw new Error(`kernels/${op}/${op}.ts must export SHADER = kernelShader(<its wgsl>, [<its structs>])`);

    expect(boundStructProblems(`${op}.wgsl`, raw).join('\n')).toBe('');
    // The module splices exactly the structs its .wgsl marks.
    expect(shader.structs.map((s) => s.name).sort()).toEqual(markers(raw).sort());

    // Round trip: the spliced text declares each struct once, with the declared fields in order.
    const parsed = parseStructs(shader.code);
    for (const decl of shader.structs) {
      const found = parsed.filter((s) => s.name === decl.name);
      expect(found).toHaveLength(1);
      expect(found[0]!.fields).toEqual(decl.fields.map((f) => ({ name: f.name, type: f.type })));
      expect(decl.pack(Object.fromEntries(decl.fields.filter((f) => !f.name.startsWith('_')).map((f) => [f.name, 0]))).byteLength).toBe(decl.byteSize);
    }

    // The WGSL reads only declared fields; a uniform is 16-byte sized and every field is read.
    const body = stripComments(raw);
    for (const v of parseVars(raw).filter((x) => isStructType(x.type))) {
      const decl = shader.structs.find((s) => s.name === v.type)!;
      const names = decl.fields.map((f) => f.name);
      const read = new Set([...body.matchAll(new RegExp(`\\b${v.name}\\.(\\w+)`, 'g'))].map((m) => m[1]!));
      expect([...read].filter((f) => !names.includes(f)), `${op}.wgsl reads ${v.name}.<field> not declared in TS`).toEqual([]);
      if (v.space === 'uniform') {
        expect(decl.byteSize % 16).toBe(0);
        expect(names.filter((f) => !f.startsWith('_') && !read.has(f)), `${op}: declared but unread`).toEqual([]);
      }
    }
  });

  it('shared WGSL and fixtures bind no hand-written struct', () => {
    const files = [
      ...readdirSync(join(KERNELS, SHARED)).filter((f) => f.endsWith('.wgsl')).map((f) => join(KERNELS, SHARED, f)),
      ...FIXTURES.map((f) => join(SRC, f)),
    ];
    expect(files.flatMap((f) => boundStructProblems(relative(SRC, f), readFileSync(f, 'utf8'))).join('\n')).toBe('');
  });

  it('attention\'s MAX_HEAD_DIM matches the WGSL accumulator (MAX_HEAD_DIM4 vec4s)', async () => {
    const { MAX_HEAD_DIM } = await import('./attention/attention.ts');
    const m = /const MAX_HEAD_DIM4: u32 = (\d+)u;/.exec(readFileSync(join(KERNELS, 'attention', 'attention.wgsl'), 'utf8'));
    expect(Number(m?.[1]) * 4).toBe(MAX_HEAD_DIM);
  });
});
