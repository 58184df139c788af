// Weight-format prelude, Q4_K kept quantized (GGML's 256-weight super-block, 144 bytes = 36 words,
// copied as is): word 0 = f16 d (low) and dmin (high), words 1-3 = 12 bytes of packed 6-bit
// (scale, min) for the 8 sub-blocks of 32, words 4-35 = 128 bytes of 4-bit q. Chunk c (weights
// 64c .. 64c+63) reads bytes 32c .. 32c+31: low nibbles are sub-block 2c, high nibbles 2c+1.
// Value = d·scale·q − dmin·min. Dequantized in registers: compute stays f32.
@group(0) @binding(0) var<storage, read> weights: array<u32>;

fn q4k_byte(base: u32, k: u32) -> u32 { return (weights[base + 1u + k / 4u] >> (8u * (k % 4u))) & 255u; }

// GGML's get_scale_min_k4: sub-block j's 6-bit scale and min from the 12 packed bytes.
fn q4k_scale_min(base: u32, j: u32) -> vec2<f32> {
  if (j < 4u) {
    return vec2<f32>(f32(q4k_byte(base, j) & 63u), f32(q4k_byte(base, j + 4u) & 63u));
  }
  let hi = q4k_byte(base, j + 4u);
  return vec2<f32>(f32((hi & 15u) | ((q4k_byte(base, j - 4u) >> 6u) << 4u)), f32((hi >> 4u) | ((q4k_byte(base, j) >> 6u) << 4u)));
}

// Weights i*4 .. i*4+3 (i counts groups of four; 64 groups per super-block).
fn load_w4(i: u32) -> vec4<f32> {
  let base = (i / 64u) * 36u;
  let e = (i % 64u) * 4u;                    // first weight within the super-block
  let chunk = e / 64u;
  let high = (e % 64u) / 32u;                // 0: low nibbles (sub-block 2c), 1: high (2c+1)
  let word = weights[base + 4u + 8u * chunk + (e % 32u) / 4u];
  let q = (vec4<u32>(word) >> (vec4<u32>(0u, 8u, 16u, 24u) + 4u * high)) & vec4<u32>(15u);
  let dm = unpack2x16float(weights[base]);
  let sm = q4k_scale_min(base, 2u * chunk + high);
  return vec4<f32>(q) * (dm.x * sm.x) - dm.y * sm.y;
}

// One weight by element index.
fn load_w(e: u32) -> f32 { return load_w4(e / 4u)[e % 4u]; }
