// Tiled GEMV / GEMM over tile-major weights: y[T, N] = x[T, K] · Wᵀ, then an epilogue.
// Prepended with a weight-format prelude (shared/weights-f32.wgsl or weights-f16.wgsl) that
// defines `weights`, load_w4 and load_w.
//
// Wafer mapping (DESIGN.md §2): workgroup (r, c) is PE (r, c) and owns tile (r, c) — tile_rows
// rows × tile_cols columns stored contiguously. It reads only x[:, c-block] (the broadcast down
// column c). With one tile column (Q = 1) it applies the epilogue itself; otherwise it writes
// partial sums [Q, T, N] and `reduce_chain` / `reduce_tree` combine them along the row.
//
// One thread computes ROWS_PER_THREAD weight rows (1, or 2 for the fused gate/up pair) for
// TOKENS_PER_THREAD tokens (1 for decode, 4 for prefill: each weight load feeds 4 tokens).
// No barriers and no shared memory: measured fastest on SwiftShader (DESIGN.md §5).
// The tile is stored row by row, or with INTERLEAVED its rows' units interleaved (unit u of every
// row, then unit u + 1: adjacent threads then read adjacent addresses, which real GPUs coalesce);
// `w_group` is the one place that knows. The subgroup tile pass (kernels/matmul-subgroup) is
// appended to this module and shares its bindings, loads and epilogue.
//
// Epilogues (why fused: each saves a dispatch and a round trip of the activation through memory):
//   0 STORE     out[t, n] = acc + bias[n]
//   1 RESIDUAL  out[t, n] += acc + bias[n]          (o_proj, down_proj: the residual add)
//   2 SWIGLU    rows (2i, 2i+1) are (gate_i, up_i) interleaved by the loader;
//               out[t, i] = silu(gate) * up          (gate_proj + up_proj + SwiGLU in one pass)

override THREADS: u32 = 64u;           // threads per workgroup = tile_rows / ROWS_PER_THREAD
override ROWS_PER_THREAD: u32 = 1u;    // 2 for the SwiGLU pair epilogue
override TOKENS_PER_THREAD: u32 = 1u;  // 1 (GEMV) or 4 (GEMM); anything else is rejected by the TS
override INTERLEAVED: bool = false;    // the tile layout (GridChoice kernel 'interleaved')
override UNIT_GROUPS: u32 = 1u;        // groups of four weights per unit of the format (colAlign / 4)

const EPILOGUE_STORE: u32 = 0u;
const EPILOGUE_RESIDUAL: u32 = 1u;
const EPILOGUE_SWIGLU: u32 = 2u;

// @struct Params: fields declared in matmul.ts

@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>; // [Q, T, N]

fn x4(b: u32) -> vec4<f32> { return vec4<f32>(x[b], x[b + 1u], x[b + 2u], x[b + 3u]); }

// The last, partial group of four columns: elements at or past `valid` count as zero.
fn x4_tail(b: u32, valid: u32) -> vec4<f32> {
  let lane = vec4<u32>(0u, 1u, 2u, 3u);
  let idx = vec4<u32>(b) + min(lane, vec4<u32>(valid - 1u));
  let v = vec4<f32>(x[idx.x], x[idx.y], x[idx.z], x[idx.w]);
  return select(vec4<f32>(0.0), v, lane < vec4<u32>(valid));
}

// Where group g (four weights) of row j of the tile starting at group tile_w4 is stored.
fn w_group(tile_w4: u32, j: u32, g: u32) -> u32 {
  if (INTERLEAVED) {
    return tile_w4 + ((g / UNIT_GROUPS) * params.tile_rows + j) * UNIT_GROUPS + g % UNIT_GROUPS;
  }
  return tile_w4 + j * (params.tile_cols / 4u) + g;
}

// x[t, b ..] for the group of four whose first `valid` columns (1..4) are in the matrix.
fn x4_valid(b: u32, valid: u32) -> vec4<f32> {
  if (valid == 4u) { return x4(b); }
  return x4_tail(b, valid);
}

// Dot of tile row j with x[t, k0 ..] for up to four tokens (component j = token tok[j]); full4
// whole groups of four, then `tail` leftover columns.
fn row_dot(tile_w4: u32, j: u32, k0: u32, full4: u32, tail: u32, tok: vec4<u32>) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  let b = tok * params.x_stride + vec4<u32>(k0);
  for (var i = 0u; i < full4; i++) {
    let w = load_w4(w_group(tile_w4, j, i));
    let k = 4u * i;
    acc.x += dot(w, x4(b.x + k));
    if (TOKENS_PER_THREAD > 1u) {
      acc.y += dot(w, x4(b.y + k));
      acc.z += dot(w, x4(b.z + k));
      acc.w += dot(w, x4(b.w + k));
    }
  }
  if (tail > 0u) {
    let w = load_w4(w_group(tile_w4, j, full4));
    let k = 4u * full4;
    acc.x += dot(w, x4_tail(b.x + k, tail));
    if (TOKENS_PER_THREAD > 1u) {
      acc.y += dot(w, x4_tail(b.y + k, tail));
      acc.z += dot(w, x4_tail(b.z + k, tail));
      acc.w += dot(w, x4_tail(b.w + k, tail));
    }
  }
  return acc;
}

fn silu(g: f32) -> f32 { return g / (1.0 + exp(-g)); }

fn bias_at(n: u32) -> f32 { return select(0.0, bias[n], params.has_bias != 0u); }

// Final value(s) for token t: row n alone, or the pair (n, n + 1) for SwiGLU.
fn epilogue(t: u32, n: u32, v0: f32, v1: f32) {
  if (params.epilogue == EPILOGUE_SWIGLU) {
    out[t * params.out_stride + n / 2u] = silu(v0 + bias_at(n)) * (v1 + bias_at(n + 1u));
  } else if (params.epilogue == EPILOGUE_RESIDUAL) {
    let o = t * params.out_stride + n;
    out[o] = out[o] + (v0 + bias_at(n));
  } else {
    out[t * params.out_stride + n] = v0 + bias_at(n);
  }
}

// The first token of workgroup z's batch, and its four tokens clamped to the last (extra lanes
// recompute the last token; `finish` stores only real ones).
fn tokens_of(z: u32) -> vec4<u32> {
  return min(vec4<u32>(z * TOKENS_PER_THREAD) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(params.tokens - 1u));
}

// Columns of tile column c inside the matrix (the last tile may be short).
fn k_valid_of(c: u32) -> u32 {
  return min(params.tile_cols, params.cols - min(params.cols, c * params.tile_cols));
}

// Tile (r, c) starts in its part at ((local_r·Q + c)·tile_rows)·tile_cols, in groups of four.
fn tile_w4_of(local_r: u32, c: u32) -> u32 {
  return (local_r * params.col_tiles + c) * params.tile_rows * (params.tile_cols / 4u);
}

// Rows (n0, n0 + 1 for the pair) of tile column c for the tokens from t0: the epilogue when the
// tile spans K, else the partial sums [Q, T, N].
fn finish(t0: u32, c: u32, n0: u32, acc0: vec4<f32>, acc1: vec4<f32>) {
  for (var j = 0u; j < TOKENS_PER_THREAD; j++) {
    let t = t0 + j;
    if (t >= params.tokens) { break; }
    if (params.col_tiles == 1u) {
      epilogue(t, n0, acc0[j], acc1[j]);
    } else {
      let p = (c * params.tokens + t) * params.rows + n0;
      partials[p] = acc0[j];
      if (ROWS_PER_THREAD == 2u) { partials[p + 1u] = acc1[j]; }
    }
  }
}

// grid: (row blocks of the bound weight part, Q, ceil(T / TOKENS_PER_THREAD)); workgroup (r, c)
// owns tile (row_block_base + r, c), stored at row block r of the part.
@compute @workgroup_size(THREADS)
fn tile_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wid.y;
  let j0 = lid.x * ROWS_PER_THREAD; // first tile row of this thread
  let n0 = (params.row_block_base + wid.x) * params.tile_rows + j0;
  if (n0 >= params.rows) { return; }
  let k_valid = k_valid_of(c);
  let tile_w4 = tile_w4_of(wid.x, c);
  let tok = tokens_of(wid.z);
  let acc0 = row_dot(tile_w4, j0, c * params.tile_cols, k_valid / 4u, k_valid % 4u, tok);
  var acc1 = vec4<f32>(0.0);
  if (ROWS_PER_THREAD == 2u) { acc1 = row_dot(tile_w4, j0 + 1u, c * params.tile_cols, k_valid / 4u, k_valid % 4u, tok); }
  finish(wid.z * TOKENS_PER_THREAD, c, n0, acc0, acc1);
}

// Chain reduce along a row of PEs: Q-1 serial adds, one pass. grid: (ceil(N / R / THREADS), T).
@compute @workgroup_size(THREADS)
fn reduce_chain(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x * ROWS_PER_THREAD;
  let t = gid.y;
  if (n >= params.rows || t >= params.tokens) { return; }
  let plane = params.tokens * params.rows;
  var v0 = 0.0;
  var v1 = 0.0;
  for (var c = 0u; c < params.col_tiles; c++) {
    let p = c * plane + t * params.rows + n;
    v0 += partials[p];
    if (ROWS_PER_THREAD == 2u) { v1 += partials[p + 1u]; }
  }
  epilogue(t, n, v0, v1);
}

// One level of the tree reduce: partial c += partial c + tree_stride for c < tree_stride;
// the last level (tree_stride == 1) applies the epilogue. ceil(log2 Q) passes.
// grid: (ceil(N / R / THREADS), T, tree_stride).
@compute @workgroup_size(THREADS)
fn reduce_tree(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x * ROWS_PER_THREAD;
  let t = gid.y;
  let c = gid.z;
  if (n >= params.rows || t >= params.tokens || c >= params.tree_stride) { return; }
  let plane = params.tokens * params.rows;
  let a = c * plane + t * params.rows + n;
  let b = a + params.tree_stride * plane;
  let v0 = partials[a] + partials[b];
  var v1 = 0.0;
  if (ROWS_PER_THREAD == 2u) { v1 = partials[a + 1u] + partials[b + 1u]; }
  if (params.tree_stride == 1u) {
    epilogue(t, n, v0, v1);
  } else {
    partials[a] = v0;
    if (ROWS_PER_THREAD == 2u) { partials[a + 1u] = v1; }
  }
}
