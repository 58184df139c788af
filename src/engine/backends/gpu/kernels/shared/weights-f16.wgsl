// Weight-format prelude, packed f16: two halves per u32 (low half = lower element index), decoded
// with unpack2x16float — core WGSL, so no `shader-f16` feature is needed. Compute stays f32.
@group(0) @binding(0) var<storage, read> weights: array<vec2<u32>>;

// Weights i*4 .. i*4+3 (i counts groups of four, one 8-byte load).
fn load_w4(i: u32) -> vec4<f32> {
  let p = weights[i];
  return vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y));
}

// One weight by element index.
fn load_w(e: u32) -> f32 {
  let p = weights[e / 4u];
  let word = select(p.x, p.y, (e & 2u) != 0u);
  return unpack2x16float(word)[e & 1u];
}
