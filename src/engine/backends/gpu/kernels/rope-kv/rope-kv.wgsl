// RoPE fused with the KV-cache write (why: rotating q and k and copying k/v into the cache are
// all per-element passes over the same qkv row; one dispatch instead of three).
//   qkv [T, (H + 2·Hkv)·Dh] — q heads, then k heads, then v heads (the fused qkv GEMV output).
//   q is rotated in place; rotated k and plain v go to cache[(pos0 + t), kvh, :].
// Rotation is Hugging Face "rotate_half": (x[i], x[i + Dh/2]) by angle pos·θ^(-2i/Dh). cos/sin
// come from a table computed on the CPU in f64 ([max_pos, Dh/2] each), so they match the
// reference to f32 rounding at every position — f32 sin/cos of large angles would not.
// The base position pos0 is read from the GPU state buffer: no host in the loop.

override THREADS: u32 = 64u;

// @struct Params: fields declared in rope-kv.ts
// @struct State: fields declared in shared/state.ts

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: State;
@group(0) @binding(2) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> cos_table: array<f32>;
@group(0) @binding(4) var<storage, read> sin_table: array<f32>;
@group(0) @binding(5) var<storage, read_write> k_cache: array<f32>; // [max_pos, Hkv, Dh]
@group(0) @binding(6) var<storage, read_write> v_cache: array<f32>;

// grid: (ceil(Dh/2 / THREADS), H + 2·Hkv, T)
@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let half = params.head_dim / 2u;
  let i = gid.x;
  let slot = gid.y;  // head slot: q heads, k heads, v heads
  let t = gid.z;
  let h = params.num_heads;
  let hkv = params.num_kv_heads;
  if (i >= half || slot >= h + 2u * hkv || t >= params.tokens) { return; }
  let pos = state.pos + t;
  if (pos >= params.max_pos) { return; } // the CPU keeps pos < capacity; never write outside the cache
  let row = t * (h + 2u * hkv) * params.head_dim;
  let src = row + slot * params.head_dim + i;
  let a = qkv[src];
  let b = qkv[src + half];
  if (slot >= h + hkv) { // v: copy
    let dst = (pos * hkv + (slot - h - hkv)) * params.head_dim + i;
    v_cache[dst] = a;
    v_cache[dst + half] = b;
    return;
  }
  let c = cos_table[pos * half + i];
  let s = sin_table[pos * half + i];
  let ra = a * c - b * s;
  let rb = b * c + a * s;
  if (slot < h) {
    qkv[src] = ra;
    qkv[src + half] = rb;
  } else {
    let dst = (pos * hkv + (slot - h)) * params.head_dim + i;
    k_cache[dst] = ra;
    k_cache[dst + half] = rb;
  }
}
