// WGSL structs declared once, in TS: the struct text a kernel's .wgsl receives and the bytes the
// host writes both come from one field list, so they cannot drift apart.
//
//   const Params = uniformStruct('Params', [['rows', 'u32'], ['eps', 'f32', 'added to mean(x²)']]);
//   Params.wgsl                     → "struct Params {\n  rows: u32,\n  eps: f32,  // added …\n  _pad0: u32, …}"
//   Params.pack({ rows: 3, eps })   → Uint32Array, f32 fields as their float bits
//
// A .wgsl file asks for a struct with a marker line `// @struct Params: <where it is declared>`;
// kernelShader() puts the generated text under it (WGSL declarations are order-independent, so the marker may sit
// anywhere at module scope). Every field is a 4-byte scalar, so field i sits at byte 4·i under
// WGSL's layout rules; uniform structs are padded with u32 words to a multiple of 16 bytes (the
// uniform buffer binding granularity the kernels have always used).

export type WgslScalar = 'u32' | 'f32';

/** [name, type, comment]: the comment is copied into the generated WGSL. */
export type FieldDecl = readonly [name: string, type: WgslScalar, doc?: string];

export interface StructField { readonly name: string; readonly type: WgslScalar; readonly doc?: string }

export interface WgslStruct<N extends string = string> {
  readonly name: string;
  /** Every field in layout order, generated padding (`_pad0`, …) included. */
  readonly fields: readonly StructField[];
  readonly byteSize: number;
  /** `struct <name> { … }` */
  readonly wgsl: string;
  /** The struct's bytes as 32-bit words. Every declared field, and nothing else, must be given. */
  pack(values: { readonly [K in N]: number }): Uint32Array;
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;
const PAD_PREFIX = '_pad';

function defineStruct<N extends string>(name: string, decls: readonly FieldDecl[], alignTo: number): WgslStruct<N> {
  if (!IDENT.test(name)) throw new Error(`struct name ${JSON.stringify(name)} is not a WGSL identifier`);
  if (decls.length === 0) throw new Error(`struct ${name}: no fields`);
  const seen = new Set<string>();
  for (const [field] of decls) {
    if (!IDENT.test(field)) throw new Error(`struct ${name}: field ${JSON.stringify(field)} is not a WGSL identifier (and must not start with _)`);
    if (seen.has(field)) throw new Error(`struct ${name}: field ${field} declared twice`);
    seen.add(field);
  }
  const fields: StructField[] = decls.map(([n, type, doc]) => (doc === undefined ? { name: n, type } : { name: n, type, doc }));
  const words = Math.ceil((fields.length * 4) / alignTo) * (alignTo / 4);
  for (let i = 0; fields.length < words; i++) fields.push({ name: `${PAD_PREFIX}${i}`, type: 'u32' });
  const data = fields.slice(0, decls.length);
  const lines = fields.map((f) => `  ${f.name}: ${f.type},${f.doc ? `  // ${f.doc}` : ''}`);
  const wgsl = `struct ${name} {\n${lines.join('\n')}\n}`;
  return {
    name, fields, wgsl, byteSize: words * 4,
    pack(values) {
      const given = values as Readonly<Record<string, unknown>>;
      const keys = Object.keys(given);
      if (keys.length !== data.length || keys.some((k) => !seen.has(k))) {
        throw new Error(`struct ${name}: pack takes exactly {${data.map((f) => f.name).join(', ')}}, got {${keys.join(', ')}}`);
      }
      const u = new Uint32Array(words);
      const f = new Float32Array(u.buffer);
      data.forEach((field, i) => {
        const v = given[field.name];
        if (typeof v !== 'number') throw new Error(`struct ${name}: ${field.name} must be a number, got ${String(v)}`);
        if (field.type === 'f32') { f[i] = v; return; }
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`struct ${name}: ${field.name} must be a u32, got ${v}`);
        u[i] = v;
      });
      return u;
    },
  };
}

/** A struct bound as `var<uniform>`: padded to a multiple of 16 bytes. */
export function uniformStruct<const F extends readonly FieldDecl[]>(name: string, fields: F): WgslStruct<F[number][0]> {
  return defineStruct(name, fields, 16);
}

/** A struct bound as `var<storage>`: no padding beyond its fields. */
export function storageStruct<const F extends readonly FieldDecl[]>(name: string, fields: F): WgslStruct<F[number][0]> {
  return defineStruct(name, fields, 4);
}

/** A kernel's WGSL with its struct markers filled in, and the structs it was given. */
export interface KernelShader {
  readonly code: string;
  readonly structs: readonly WgslStruct[];
}

/** The marker line a .wgsl file puts where a generated struct goes: `// @struct Name`, then any note. */
export const STRUCT_MARKER = /^[ \t]*\/\/ @struct (\w+)\b.*$/gm;

/** Puts Name's generated text under each `// @struct Name` line of `source`; every marker and every struct must pair up exactly once. */
export function kernelShader(source: string, structs: readonly WgslStruct[]): KernelShader {
  const byName = new Map(structs.map((s) => [s.name, s]));
  if (byName.size !== structs.length) throw new Error('kernelShader: two structs with one name');
  const used = new Set<string>();
  const code = source.replace(STRUCT_MARKER, (line: string, name: string) => {
    const s = byName.get(name);
    if (!s) throw new Error(`kernelShader: marker for struct ${name}, which was not given`);
    if (used.has(name)) throw new Error(`kernelShader: struct ${name} marked twice`);
    used.add(name);
    return `${line}\n${s.wgsl}`;
  });
  const unused = structs.filter((s) => !used.has(s.name)).map((s) => s.name);
  if (unused.length) throw new Error(`kernelShader: no // @struct marker for ${unused.join(', ')}`);
  return { code, structs };
}
