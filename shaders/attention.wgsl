// Causal grouped-query attention over the KV cache, decode (T = 1) and batched prefill (T > 1).
//   q   [T, H, Dh] inside the qkv buffer (row stride q_stride), already rotated
//   k/v cache [max_pos, Hkv, Dh]; query t sits at position pos0 + t and sees 0 ..= pos0 + t
//   out [T, H·Dh]
// One thread per (token, head), a single pass with an online softmax (running max and sum, the
// accumulator rescaled when the max grows) — no score matrix in memory and no barriers.
// pos0 comes from the GPU state buffer.

override THREADS: u32 = 32u;
// Head dim / 4, fixed per pipeline: with a constant trip count the compiler unrolls the d-loops and
// keeps q and acc in registers instead of per-lane private memory (measured ~Nx on SwiftShader).
override HEAD_DIM4: u32 = 16u;
// Private-array bound in vec4s (head_dim ≤ 256); the TS rejects larger heads. Everything is in
// vec4s because SwiftShader spends most of this kernel on private-array and load overhead per
// element: vec4 cut the 2,000-token prefill by ~4x (measured).
const MAX_HEAD_DIM4: u32 = 64u;

struct Params {
  tokens: u32,
  num_heads: u32,
  num_kv_heads: u32,
  head_dim: u32,  // multiple of 4
  q_stride: u32,  // elements between tokens in the qkv buffer
  scale: f32,     // 1 / sqrt(Dh)
  _pad0: u32,
  _pad1: u32,
}

struct State { pos: u32, step: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: State;
@group(0) @binding(2) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;

// grid: (ceil(T·H / THREADS)); (token, head) pairs flattened so that small H wastes no lanes.
@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let h = gid.x % params.num_heads;
  let t = gid.x / params.num_heads;
  if (t >= params.tokens) { return; }
  let dh4 = HEAD_DIM4;
  let kvh = h / (params.num_heads / params.num_kv_heads);
  let qo = (t * params.q_stride + h * params.head_dim) / 4u;
  var q: array<vec4<f32>, MAX_HEAD_DIM4>;
  var acc: array<vec4<f32>, MAX_HEAD_DIM4>;
  for (var d = 0u; d < dh4; d++) { q[d] = qkv[qo + d] * params.scale; acc[d] = vec4<f32>(0.0); }
  let visible = state.pos + t + 1u;
  var running_max = -3.0e38;
  var sum = 0.0;
  for (var p = 0u; p < visible; p++) {
    let ko = (p * params.num_kv_heads + kvh) * dh4;
    var s = 0.0;
    for (var d = 0u; d < dh4; d++) { s += dot(q[d], k_cache[ko + d]); }
    if (s > running_max) {
      let rescale = exp(running_max - s);
      sum *= rescale;
      for (var d = 0u; d < dh4; d++) { acc[d] *= rescale; }
      running_max = s;
    }
    let w = exp(s - running_max);
    sum += w;
    for (var d = 0u; d < dh4; d++) { acc[d] += w * v_cache[ko + d]; }
  }
  let oo = (t * params.num_heads + h) * dh4;
  let inv = 1.0 / sum;
  for (var d = 0u; d < dh4; d++) { out[oo + d] = acc[d] * inv; }
}
