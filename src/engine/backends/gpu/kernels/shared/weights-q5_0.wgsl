// Weight-format prelude, Q5_0 kept quantized (GGML's block: f16 scale d, a u32 qh whose bit j is
// weight j's fifth bit, and 16 bytes of low nibbles laid out as Q4_0's; value d·(q - 16)). Blocks
// go in pairs of 11 words: word 0 holds both f16 scales (low half = first block), words 1-5 the
// first block's qh and qs, words 6-10 the second's: 44 bytes for 64 weights, the GGUF file's own
// density. It is llama.cpp's fallback for K-quant tensors whose rows are not a multiple of 256
// (Qwen2.5-0.5B's 896-wide rows in a Q4_K_M file). Dequantized in registers: compute stays f32.
@group(0) @binding(0) var<storage, read> weights: array<u32>;

// Weights i*4 .. i*4+3 (i counts groups of four; 8 groups per block, 16 per pair).
fn load_w4(i: u32) -> vec4<f32> {
  let base = (i / 16u) * 11u;
  let g = i % 16u;
  let b = g / 8u;
  let j = g % 8u;                            // group within the block: weights 4j .. 4j+3
  let block = base + 1u + b * 5u;
  let qh = weights[block];
  let word = weights[block + 1u + (j % 4u)];
  let lanes = vec4<u32>(0u, 8u, 16u, 24u);
  let low = (vec4<u32>(word) >> (lanes + select(0u, 4u, j >= 4u))) & vec4<u32>(15u);
  let high = (vec4<u32>(qh) >> (vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u))) & vec4<u32>(1u);
  return (vec4<f32>(low | (high << vec4<u32>(4u))) - 16.0) * unpack2x16float(weights[base])[b];
}

// One weight by element index.
fn load_w(e: u32) -> f32 { return load_w4(e / 4u)[e % 4u]; }
