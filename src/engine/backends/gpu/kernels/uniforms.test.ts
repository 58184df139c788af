import { describe, expect, it } from 'vitest';
import { kernelShader, storageStruct, uniformStruct } from './uniforms.ts';

describe('uniformStruct / storageStruct', () => {
  const Params = uniformStruct('Params', [['rows', 'u32', 'N'], ['eps', 'f32'], ['cols', 'u32']]);

  it('generates the WGSL struct in declaration order, padded to 16 bytes for a uniform', () => {
    expect(Params.wgsl).toBe('struct Params {\n  rows: u32,  // N\n  eps: f32,\n  cols: u32,\n  _pad0: u32,\n}');
    expect(Params.byteSize).toBe(16);
    expect(uniformStruct('A', [['a', 'u32'], ['b', 'u32'], ['c', 'u32'], ['d', 'u32']]).byteSize).toBe(16);
    expect(uniformStruct('A', [['a', 'u32'], ['b', 'u32'], ['c', 'u32'], ['d', 'u32'], ['e', 'u32']]).byteSize).toBe(32);
    const State = storageStruct('State', [['pos', 'u32'], ['step', 'u32']]);
    expect(State.byteSize).toBe(8);
    expect(State.wgsl).toBe('struct State {\n  pos: u32,\n  step: u32,\n}');
  });

  it('packs each field at 4·index, f32 fields as float bits, padding zero', () => {
    const words = Params.pack({ rows: 7, eps: 1e-5, cols: 0xffffffff });
    expect(Array.from(words)).toEqual([7, new Uint32Array(new Float32Array([1e-5]).buffer)[0], 0xffffffff, 0]);
  });

  it('rejects missing, extra and out-of-range values', () => {
    // @ts-expect-error a missing field is a type error
    expect(() => Params.pack({ rows: 1, eps: 0 })).toThrow(/exactly \{rows, eps, cols\}/);
    // @ts-expect-error so is an extra one
    expect(() => Params.pack({ rows: 1, eps: 0, cols: 2, tokens: 3 })).toThrow(/exactly/);
    expect(() => Params.pack({ rows: -1, eps: 0, cols: 2 })).toThrow(/rows must be a u32/);
    expect(() => Params.pack({ rows: 1.5, eps: 0, cols: 2 })).toThrow(/rows must be a u32/);
    expect(() => Params.pack({ rows: 2 ** 32, eps: 0, cols: 2 })).toThrow(/rows must be a u32/);
    // @ts-expect-error a value must be a number
    expect(() => Params.pack({ rows: 1, eps: '0', cols: 2 })).toThrow(/eps must be a number/);
  });

  it('rejects bad declarations', () => {
    expect(() => uniformStruct('P', [['a', 'u32'], ['a', 'f32']])).toThrow(/twice/);
    expect(() => uniformStruct('P', [['_pad0', 'u32']])).toThrow(/identifier/);
    expect(() => uniformStruct('P', [])).toThrow(/no fields/);
  });
});

describe('kernelShader', () => {
  const A = uniformStruct('A', [['x', 'u32']]);
  const B = storageStruct('B', [['y', 'f32']]);

  it('puts each struct under its marker line', () => {
    const { code } = kernelShader('fn f() {}\n// @struct A: declared here\n  // @struct B\nfn g() {}', [A, B]);
    expect(code).toBe(`fn f() {}\n// @struct A: declared here\n${A.wgsl}\n  // @struct B\n${B.wgsl}\nfn g() {}`);
  });

  it('needs every marker and every struct to pair up once', () => {
    expect(() => kernelShader('// @struct A', [A, B])).toThrow(/no \/\/ @struct marker for B/);
    expect(() => kernelShader('// @struct A\n// @struct C', [A])).toThrow(/struct C, which was not given/);
    expect(() => kernelShader('// @struct A\n// @struct A', [A])).toThrow(/marked twice/);
    expect(() => kernelShader('// @struct Ab', [A])).toThrow(/struct Ab/);
  });
});
