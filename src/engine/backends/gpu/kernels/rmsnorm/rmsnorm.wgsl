// RMSNorm: out[t, :] = x[in_row + t, :] / sqrt(mean(x²) + eps) * weight.
// One thread per token row, no barriers (a workgroup reduction costs ~7x more on SwiftShader than
// a serial loop over D ≤ a few thousand, DESIGN.md §5). in_row lets the final norm read only the
// rows whose logits are needed (the last prompt token in a prefill).

override THREADS: u32 = 64u;

// @struct Params: fields declared in rmsnorm.ts

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= params.tokens) { return; }
  let src = (params.in_row + t) * params.dim;
  var ss = 0.0;
  for (var i = 0u; i < params.dim; i++) {
    let v = x[src + i];
    ss += v * v;
  }
  let scale = inverseSqrt(ss / f32(params.dim) + params.eps);
  let dst = t * params.dim;
  for (var i = 0u; i < params.dim; i++) {
    out[dst + i] = x[src + i] * scale * weight[i];
  }
}
