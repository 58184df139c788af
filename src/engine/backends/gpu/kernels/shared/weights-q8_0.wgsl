// Weight-format prelude, Q8_0 kept quantized (GGML's block: one f16 scale per 32 int8 weights).
// Blocks go in pairs of 17 words: word 0 holds both f16 scales (low half = first block), words
// 1-8 the first block's 32 int8, words 9-16 the second's. A pair is 68 bytes for 64 weights, the
// GGUF file's own density, and every load is an aligned u32. Dequantized in registers: compute
// stays f32.
@group(0) @binding(0) var<storage, read> weights: array<u32>;

// Four signed bytes of one word, sign-extended (portable: no packed-integer language feature).
fn i8x4(w: u32) -> vec4<f32> {
  let v = vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w));
  return vec4<f32>(v >> vec4<u32>(24u));
}

// Weights i*4 .. i*4+3 (i counts groups of four; 16 groups per block pair).
fn load_w4(i: u32) -> vec4<f32> {
  let base = (i / 16u) * 17u;
  let g = i % 16u;
  let b = g / 8u;
  let scale = unpack2x16float(weights[base])[b];
  return i8x4(weights[base + 1u + g]) * scale;
}

// One weight by element index.
fn load_w(e: u32) -> f32 { return load_w4(e / 4u)[e % 4u]; }
