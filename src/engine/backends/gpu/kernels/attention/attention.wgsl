// Causal grouped-query attention over the KV cache, decode (T = 1) and batched prefill (T > 1).
//   q   [T, H, Dh] inside the qkv buffer (row stride q_stride), already rotated
//   k/v cache [max_pos, Hkv, Dh]; query t sits at position pos0 + t and sees 0 ..= pos0 + t
//   out [T, H·Dh]
// `main` (decode): one thread per (token, head), a single pass with an online softmax (running
// max and sum, the accumulator rescaled when the max grows) — no score matrix, no barriers.
// `prefill_tiled` (T > 1): the same maths per query, K/V tiles shared through workgroup memory.
// pos0 comes from the GPU state buffer. Both walk keys in the same order through the same fns
// (query_start, softmax_fold, query_finish), so a batched verify pass and T = 1 decode steps
// agree to the bit (greedy drafts depend on it).

override THREADS: u32 = 32u;
// Magic numbers:
//   MAX_HEAD_DIM4 = 64: private q/acc arrays in vec4s (head_dim ≤ 256; the TS rejects more).
//   Everything is vec4 (head_dim % 4 == 0): 4x fewer loads and loop trips; on SwiftShader the
//   decode kernel at 2,000 positions went from 30 ms to 6 ms per layer (measured).
const MAX_HEAD_DIM4: u32 = 64u;

// @struct Params: fields declared in attention.ts
// @struct State: fields declared in shared/state.ts

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: State;
@group(0) @binding(2) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;

// One query's online softmax: running max and sum, and the output accumulator Σ w·v, rescaled
// whenever the max grows. The entry points differ only in where a K/V row is read from (storage
// or a workgroup tile); all the softmax arithmetic is in the fns below.
struct Query {
  q: array<vec4<f32>, MAX_HEAD_DIM4>,  // times params.scale
  acc: array<vec4<f32>, MAX_HEAD_DIM4>,
  running_max: f32,
  sum: f32,
}

// Query token t (< params.tokens) of head h.
fn query_start(query: ptr<function, Query>, t: u32, h: u32, dh4: u32) {
  let qo = (t * params.q_stride + h * params.head_dim) / 4u;
  for (var d = 0u; d < dh4; d++) { (*query).q[d] = qkv[qo + d] * params.scale; (*query).acc[d] = vec4<f32>(0.0); }
  (*query).running_max = -3.0e38;
  (*query).sum = 0.0;
}

// Folds in the score s of the next key; returns the weight its value row goes into acc with.
fn softmax_fold(query: ptr<function, Query>, s: f32, dh4: u32) -> f32 {
  if (s > (*query).running_max) {
    let rescale = exp((*query).running_max - s);
    (*query).sum *= rescale;
    for (var d = 0u; d < dh4; d++) { (*query).acc[d] *= rescale; }
    (*query).running_max = s;
  }
  let w = exp(s - (*query).running_max);
  (*query).sum += w;
  return w;
}

fn query_finish(query: ptr<function, Query>, t: u32, h: u32, dh4: u32) {
  let oo = (t * params.num_heads + h) * dh4;
  let inv = 1.0 / (*query).sum;
  for (var d = 0u; d < dh4; d++) { out[oo + d] = (*query).acc[d] * inv; }
}

// grid: (ceil(T·H / THREADS)); (token, head) pairs flattened so that small H wastes no lanes.
@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let h = gid.x % params.num_heads;
  let t = gid.x / params.num_heads;
  if (t >= params.tokens) { return; }
  let dh4 = params.head_dim / 4u;
  let kvh = h / (params.num_heads / params.num_kv_heads);
  var query: Query;
  query_start(&query, t, h, dh4);
  let visible = state.pos + t + 1u;
  for (var p = 0u; p < visible; p++) {
    let ko = (p * params.num_kv_heads + kvh) * dh4;
    var s = 0.0;
    for (var d = 0u; d < dh4; d++) { s += dot(query.q[d], k_cache[ko + d]); }
    let w = softmax_fold(&query, s, dh4);
    for (var d = 0u; d < dh4; d++) { query.acc[d] += w * v_cache[ko + d]; }
  }
  query_finish(&query, t, h, dh4);
}

// ---- Batched causal prefill, tiled (flash-attention style) ----
// Workgroup = QUERY_BLOCK consecutive query tokens of one head. It walks the keys in tiles of
// KEY_TILE positions that all its threads load once into workgroup memory, so each K/V row is
// read from storage once per QUERY_BLOCK queries instead of once per query (the per-query kernel
// above is bound by those repeated reads on a 2,000-token prefill). Two barriers per tile.
override QUERY_BLOCK: u32 = 32u;   // = threads of this entry point
override KEY_TILE: u32 = 32u;      // positions per tile; KEY_TILE·Dh·8 bytes of workgroup memory
override TILE_VEC4S: u32 = 512u;   // KEY_TILE · head_dim / 4

var<workgroup> k_tile: array<vec4<f32>, TILE_VEC4S>;
var<workgroup> v_tile: array<vec4<f32>, TILE_VEC4S>;
var<workgroup> pos0_shared: u32;

// grid: (ceil(T / QUERY_BLOCK), H)
@compute @workgroup_size(QUERY_BLOCK)
fn prefill_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.y;
  let t = wid.x * QUERY_BLOCK + lid.x;
  let has_query = t < params.tokens;
  let dh4 = params.head_dim / 4u;
  let kvh = h / (params.num_heads / params.num_kv_heads);
  if (lid.x == 0u) { pos0_shared = state.pos; }
  let pos0 = workgroupUniformLoad(&pos0_shared);
  // Keys this block needs: 0 ..= pos0 + its last token.
  let block_end = min(params.tokens, (wid.x + 1u) * QUERY_BLOCK);
  let needed = pos0 + block_end;
  let tc = min(t, params.tokens - 1u);
  var query: Query;
  query_start(&query, tc, h, dh4);
  let visible = pos0 + tc + 1u;
  for (var base = 0u; base < needed; base += KEY_TILE) {
    let count = min(KEY_TILE, needed - base);
    for (var i = lid.x; i < count * dh4; i += QUERY_BLOCK) {
      let p = base + i / dh4;
      let src = (p * params.num_kv_heads + kvh) * dh4 + i % dh4;
      k_tile[i] = k_cache[src];
      v_tile[i] = v_cache[src];
    }
    workgroupBarrier();
    let last = min(count, select(0u, visible - min(visible, base), visible > base));
    for (var j = 0u; j < last; j++) {
      let ko = j * dh4;
      var s = 0.0;
      for (var d = 0u; d < dh4; d++) { s += dot(query.q[d], k_tile[ko + d]); }
      let w = softmax_fold(&query, s, dh4);
      for (var d = 0u; d < dh4; d++) { query.acc[d] += w * v_tile[ko + d]; }
    }
    workgroupBarrier();
  }
  if (!has_query) { return; }
  query_finish(&query, t, h, dh4);
}
