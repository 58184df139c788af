// Weight-format prelude, f32: prepended (by weights.ts) to kernels that read a tile-major weight
// matrix (matmul, embed). Four weights per vec4 load (the 16-byte loads that SwiftShader and
// real GPUs both stream fastest).
@group(0) @binding(0) var<storage, read> weights: array<vec4<f32>>;

// Weights i*4 .. i*4+3 (i counts vec4s).
fn load_w4(i: u32) -> vec4<f32> { return weights[i]; }

// One weight by element index.
fn load_w(e: u32) -> f32 { return weights[e / 4u][e % 4u]; }
