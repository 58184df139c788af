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
// appended to this module and shares its bindings, loads and epilogue. `wx`, the product of a
// group of four weights and x, is appended too: shared/wx-f32.wgsl, or with the plan's f16Math the
// halves of kernels/matmul-f16.
//
// With NORM (the plan's normPrologue), the RMSNorm before the matrix is folded in: x is the
// un-normalised residual stream, and since norm(x)·w = r·x·w with r = 1/sqrt(mean(x²) + eps) one
// scalar per token, the pass computes Σ_k W[n,k]·(norm_w[k]·x[k]) and Σ x² in one read of x and
// scales by r before the epilogue. With Q > 1 each tile column's Σ x² goes to the partials after
// the [Q, T, N] sums ([Q, T] more, written by the thread of row 0) and the reduce adds them up.
// One fixed order either way, so the GEMV and the GEMM still add identically. x_row is the first
// row of x read (the final norm before lm_head needs only the last rows).
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
override NORM: bool = false;           // the RMSNorm prologue (plan.normPrologue)

const EPILOGUE_STORE: u32 = 0u;
const EPILOGUE_RESIDUAL: u32 = 1u;
const EPILOGUE_SWIGLU: u32 = 2u;

// @struct Params: fields declared in matmul.ts

@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>; // [Q, T, N], then with NORM Σx² [Q, T]
@group(0) @binding(6) var<storage, read> norm_w: array<f32>;         // [K] with NORM
@group(0) @binding(7) var<storage, read_write> row_stats: array<u32>; // the *_stats entries: [T, stat_parts, 3] max, argmax, Σ exp(v − max) (floats as bits)

var<workgroup> stat_v: array<vec4<f32>, THREADS>;
var<workgroup> stat_i: array<vec4<u32>, THREADS>;

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

// norm_w[k ..] for a group of four whose first `valid` columns are in the matrix (the rest
// multiply zeros of x, so any finite value does).
fn nw4(k: u32, valid: u32) -> vec4<f32> {
  if (valid == 4u) { return vec4<f32>(norm_w[k], norm_w[k + 1u], norm_w[k + 2u], norm_w[k + 3u]); }
  let idx = vec4<u32>(k) + min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(valid - 1u));
  return vec4<f32>(norm_w[idx.x], norm_w[idx.y], norm_w[idx.z], norm_w[idx.w]);
}

// A row's sums for up to four tokens (component j = token tok[j]): the dot, and with NORM Σ x²
// over the same columns (zero without).
struct Dot { acc: vec4<f32>, ss: vec4<f32> }

// Adds one group of four to d: weights w (times norm_w with NORM) against x[t, b + k ..].
fn dot_group(d: ptr<function, Dot>, w_raw: vec4<f32>, k_abs: u32, valid: u32, b: vec4<u32>, k: u32) {
  var w = w_raw;
  if (NORM) { w *= nw4(k_abs, valid); }
  let x0 = x4_valid(b.x + k, valid);
  (*d).acc.x += wx(w, x0);
  if (NORM) { (*d).ss.x += dot(x0, x0); }
  if (TOKENS_PER_THREAD > 1u) {
    let x1 = x4_valid(b.y + k, valid);
    let x2 = x4_valid(b.z + k, valid);
    let x3 = x4_valid(b.w + k, valid);
    (*d).acc.y += wx(w, x1);
    (*d).acc.z += wx(w, x2);
    (*d).acc.w += wx(w, x3);
    if (NORM) { (*d).ss += vec4<f32>(0.0, dot(x1, x1), dot(x2, x2), dot(x3, x3)); }
  }
}

// Row offsets of x for tokens tok, at column k0.
fn x_base(tok: vec4<u32>, k0: u32) -> vec4<u32> {
  return (vec4<u32>(params.x_row) + tok) * params.x_stride + vec4<u32>(k0);
}

// Dot of tile row j with x[t, k0 ..] for up to four tokens; full4 whole groups of four, then
// `tail` leftover columns.
fn row_dot(tile_w4: u32, j: u32, k0: u32, full4: u32, tail: u32, tok: vec4<u32>) -> Dot {
  var d = Dot(vec4<f32>(0.0), vec4<f32>(0.0));
  let b = x_base(tok, k0);
  for (var i = 0u; i < full4; i++) {
    dot_group(&d, load_w4(w_group(tile_w4, j, i)), k0 + 4u * i, 4u, b, 4u * i);
  }
  if (tail > 0u) {
    dot_group(&d, load_w4(w_group(tile_w4, j, full4)), k0 + 4u * full4, tail, b, 4u * full4);
  }
  return d;
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

// 1/rms of a token from its Σ x² over all K columns.
fn norm_scale(ss: f32) -> f32 { return inverseSqrt(ss / f32(params.cols) + params.norm_eps); }

// Where tile column c's Σ x² of token t is kept (after the [Q, T, N] partial sums).
fn ss_at(c: u32, t: u32) -> u32 { return params.col_tiles * params.tokens * params.rows + c * params.tokens + t; }

// Rows (n0, n0 + 1 for the pair) of tile column c for the tokens from t0: the epilogue when the
// tile spans K, else the partial sums [Q, T, N] (and with NORM, from row 0's thread, Σ x²).
fn finish(t0: u32, c: u32, n0: u32, d0: Dot, d1: Dot) {
  for (var j = 0u; j < TOKENS_PER_THREAD; j++) {
    let t = t0 + j;
    if (t >= params.tokens) { break; }
    if (params.col_tiles == 1u) {
      var r = 1.0;
      if (NORM) { r = norm_scale(d0.ss[j]); }
      epilogue(t, n0, d0.acc[j] * r, d1.acc[j] * r);
    } else {
      let p = (c * params.tokens + t) * params.rows + n0;
      partials[p] = d0.acc[j];
      if (ROWS_PER_THREAD == 2u) { partials[p + 1u] = d1.acc[j]; }
      if (NORM && n0 == 0u) { partials[ss_at(c, t)] = d0.ss[j]; }
    }
  }
}

// grid: (row blocks of the bound weight part, Q, ceil(T / TOKENS_PER_THREAD)); workgroup (r, c)
// owns tile (row_block_base + r, c), stored at row block r of the part. Returns the first row this
// thread wrote, or NO_ROW when its row is past the matrix.
fn tile_pass(wid: vec3<u32>, lid: vec3<u32>) -> u32 {
  let c = wid.y;
  let j0 = lid.x * ROWS_PER_THREAD; // first tile row of this thread
  let n0 = (params.row_block_base + wid.x) * params.tile_rows + j0;
  if (n0 >= params.rows) { return NO_ROW; }
  let k_valid = k_valid_of(c);
  let tile_w4 = tile_w4_of(wid.x, c);
  let tok = tokens_of(wid.z);
  let d0 = row_dot(tile_w4, j0, c * params.tile_cols, k_valid / 4u, k_valid % 4u, tok);
  var d1 = Dot(vec4<f32>(0.0), vec4<f32>(0.0));
  if (ROWS_PER_THREAD == 2u) { d1 = row_dot(tile_w4, j0 + 1u, c * params.tile_cols, k_valid / 4u, k_valid % 4u, tok); }
  finish(wid.z * TOKENS_PER_THREAD, c, n0, d0, d1);
  return n0;
}

@compute @workgroup_size(THREADS)
fn tile_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  _ = tile_pass(wid, lid);
}

// tile_main, then the lm_head's row statistics (one tile column: this pass applies the epilogue).
@compute @workgroup_size(THREADS)
fn tile_main_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  store_row_stats(lid.x, params.row_block_base + wid.x, tile_pass(wid, lid), wid.z * TOKENS_PER_THREAD);
}

// Chain reduce along a row of PEs: Q-1 serial adds, one pass. grid: (ceil(N / R / THREADS), T).
// Returns the first row this thread wrote, or NO_ROW.
fn chain_pass(gid: vec3<u32>) -> u32 {
  let n = gid.x * ROWS_PER_THREAD;
  let t = gid.y;
  if (n >= params.rows || t >= params.tokens) { return NO_ROW; }
  let plane = params.tokens * params.rows;
  var v0 = 0.0;
  var v1 = 0.0;
  var ss = 0.0;
  for (var c = 0u; c < params.col_tiles; c++) {
    let p = c * plane + t * params.rows + n;
    v0 += partials[p];
    if (ROWS_PER_THREAD == 2u) { v1 += partials[p + 1u]; }
    if (NORM) { ss += partials[ss_at(c, t)]; }
  }
  var r = 1.0;
  if (NORM) { r = norm_scale(ss); }
  epilogue(t, n, v0 * r, v1 * r);
  return n;
}

@compute @workgroup_size(THREADS)
fn reduce_chain(@builtin(global_invocation_id) gid: vec3<u32>) {
  _ = chain_pass(gid);
}

@compute @workgroup_size(THREADS)
fn reduce_chain_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  store_row_stats(lid.x, wid.x, chain_pass(gid), gid.y);
}

// One level of the tree reduce: partial c += partial c + tree_stride for c < tree_stride;
// the last level (tree_stride == 1) applies the epilogue. ceil(log2 Q) passes. With NORM the
// Σ x² of the tile columns add the same way, by row 0's threads; at the last level every thread
// adds the two that are left itself (row 0's thread writing them then would race its readers).
// grid: (ceil(N / R / THREADS), T, tree_stride). Returns the first row this thread wrote (outputs or
// partials), or NO_ROW.
fn tree_pass(gid: vec3<u32>) -> u32 {
  let n = gid.x * ROWS_PER_THREAD;
  let t = gid.y;
  let c = gid.z;
  if (n >= params.rows || t >= params.tokens || c >= params.tree_stride) { return NO_ROW; }
  let plane = params.tokens * params.rows;
  let a = c * plane + t * params.rows + n;
  let b = a + params.tree_stride * plane;
  let v0 = partials[a] + partials[b];
  var v1 = 0.0;
  if (ROWS_PER_THREAD == 2u) { v1 = partials[a + 1u] + partials[b + 1u]; }
  if (params.tree_stride == 1u) {
    var r = 1.0;
    if (NORM) { r = norm_scale(partials[ss_at(0u, t)] + partials[ss_at(1u, t)]); }
    epilogue(t, n, v0 * r, v1 * r);
  } else {
    partials[a] = v0;
    if (ROWS_PER_THREAD == 2u) { partials[a + 1u] = v1; }
    if (NORM && n == 0u) { partials[ss_at(c, t)] += partials[ss_at(c + params.tree_stride, t)]; }
  }
  return n;
}

@compute @workgroup_size(THREADS)
fn reduce_tree(@builtin(global_invocation_id) gid: vec3<u32>) {
  _ = tree_pass(gid);
}

// The last level (tree_stride 1), then the row statistics.
@compute @workgroup_size(THREADS)
fn reduce_tree_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  store_row_stats(lid.x, wid.x, tree_pass(gid), gid.y);
}

// A pass's answer when this thread wrote no row.
const NO_ROW = 0xffffffffu;

// The lm_head's statistics for the sampler (ROW_STATS; MatmulArgs.rowStats): over the outputs this
// workgroup wrote (row n of tokens t0 .., TOKENS_PER_THREAD of them; NO_ROW: this thread wrote
// none), the largest value, its row (the lowest on ties) and Σ exp(value − largest), stored as
// entry p of each token's stat_parts. So the sampler combines stat_parts entries, not V logits,
// and the V-wide scans run here, spread over every workgroup. One barrier, then thread 0 folds in
// thread order, one fixed order, so a token's entry is the same from the GEMV and the GEMM. Every thread of the
// workgroup calls it (it has barriers), from the *_stats entry points only: other pipelines then
// declare neither row_stats nor this workgroup memory (which WebGPU zero-fills per workgroup).
// Only for the store epilogue with one row per thread (matmul.ts checks).
fn store_row_stats(lid: u32, p: u32, n: u32, t0: u32) {
  var v = vec4<f32>(-3.4e38);
  var id = vec4<u32>(0xffffffffu);
  for (var j = 0u; j < TOKENS_PER_THREAD; j++) {
    let t = t0 + j;
    if (n != NO_ROW && t < params.tokens) {
      v[j] = out[t * params.out_stride + n];
      id[j] = n;
    }
  }
  stat_v[lid] = v;
  stat_i[lid] = id;
  workgroupBarrier();
  if (lid != 0u) { return; }
  var best = stat_v[0];
  var best_i = stat_i[0];
  for (var k = 1u; k < THREADS; k++) {
    let o = stat_v[k];
    let oi = stat_i[k];
    let take = (o > best) | ((o == best) & (oi < best_i));
    best = select(best, o, take);
    best_i = select(best_i, oi, take);
  }
  var total = vec4<f32>(0.0);
  for (var k = 0u; k < THREADS; k++) {
    total += select(vec4<f32>(0.0), exp(stat_v[k] - best), stat_i[k] != vec4<u32>(0xffffffffu));
  }
  for (var j = 0u; j < TOKENS_PER_THREAD; j++) {
    let t = t0 + j;
    if (t < params.tokens) {
      let s = (t * params.stat_parts + p) * 3u;
      row_stats[s] = bitcast<u32>(best[j]);
      row_stats[s + 1u] = best_i[j];
      row_stats[s + 2u] = bitcast<u32>(total[j]);
    }
  }
}
