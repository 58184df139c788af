// Weight-format prelude, Q4_0 kept quantized (GGML's block: one f16 scale d per 32 weights stored
// as 4-bit q, value d·(q - 8); byte j holds weight j in its low nibble and weight j+16 in its high).
// Blocks go in pairs of 9 words: word 0 holds both f16 scales (low half = first block), words 1-4
// the first block's 16 bytes, words 5-8 the second's: 36 bytes for 64 weights, the GGUF file's own
// density. Dequantized in registers: compute stays f32.
@group(0) @binding(0) var<storage, read> weights: array<u32>;

// Weights i*4 .. i*4+3 (i counts groups of four; 8 groups per block, 16 per pair).
fn load_w4(i: u32) -> vec4<f32> {
  let base = (i / 16u) * 9u;
  let g = i % 16u;
  let b = g / 8u;
  let j = g % 8u;                            // group within the block: weights 4j .. 4j+3
  let word = weights[base + 1u + b * 4u + (j % 4u)];
  let shift = select(0u, 4u, j >= 4u);       // groups 0-3: low nibbles of bytes 0-15; 4-7: high
  let q = (vec4<u32>(word) >> (vec4<u32>(0u, 8u, 16u, 24u) + shift)) & vec4<u32>(15u);
  return (vec4<f32>(q) - 8.0) * unpack2x16float(weights[base])[b];
}

// One weight by element index.
fn load_w(e: u32) -> f32 { return load_w4(e / 4u)[e % 4u]; }
