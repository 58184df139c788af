// Weight-format prelude, Q6_K kept quantized (GGML's 256-weight super-block of 210 bytes: 128 bytes
// ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales (one per 16 weights), f16 d). On the
// GPU each super-block is 53 words: word 0 = d (low half), words 1-52 = ql, qh, scales as stored,
// so every load is an aligned u32 (212 bytes: 1% over the file's density).
// Half n (weights 128n ..) splits in quarters of 32: quarter k's weight l reads ql byte
// 64n + 32(k mod 2) + l (low nibble for k < 2, high for k >= 2) and bits 2k, 2k+1 of qh byte
// 32n + l; its scale is 8n + l/16 + 2k. Value = d·scale·(q − 32). Compute stays f32.
@group(0) @binding(0) var<storage, read> weights: array<u32>;

// Weights i*4 .. i*4+3 (i counts groups of four; 64 groups per super-block).
fn load_w4(i: u32) -> vec4<f32> {
  let base = (i / 64u) * 53u;
  let e = (i % 64u) * 4u;                    // first weight within the super-block
  let n = e / 128u;
  let k = (e % 128u) / 32u;
  let l = e % 32u;
  let lanes = vec4<u32>(0u, 8u, 16u, 24u);
  let ql = weights[base + 1u + (64u * n + 32u * (k % 2u) + l) / 4u];
  let qh = weights[base + 1u + 32u + (32u * n + l) / 4u];
  let low = (vec4<u32>(ql) >> (lanes + select(0u, 4u, k >= 2u))) & vec4<u32>(15u);
  let high = (vec4<u32>(qh) >> (lanes + 2u * k)) & vec4<u32>(3u);
  let s = 8u * n + l / 16u + 2u * k;
  let scale = f32(bitcast<i32>(weights[base + 1u + 48u + s / 4u] << (24u - 8u * (s % 4u))) >> 24u);
  let d = unpack2x16float(weights[base]).x;
  return (vec4<f32>(low | (high << vec4<u32>(4u))) - 32.0) * (d * scale);
}

// One weight by element index.
fn load_w(e: u32) -> f32 { return load_w4(e / 4u)[e % 4u]; }
