// Subgroup-reduced tile pass: LANES threads share each weight row. Lane l sums the row's groups of
// four l, l + LANES, l + 2·LANES, … (adjacent lanes read adjacent addresses of a row-by-row tile),
// then the lanes combine by a butterfly of subgroupShuffleXor: after step m every lane holds
// a + b of the same two values, so all lanes end with one sum in one fixed order. That order
// depends only on LANES, never on the hardware's subgroup size or on TOKENS_PER_THREAD, so the
// GEMV (1 token) and the GEMM (4 tokens per thread) of a matrix add identically and drafts stay
// exact. LANES must not exceed the adapter's smallest subgroup (the TS checks, and the autotune
// first checks that a row's lanes are partners in one subgroup).
//
// Not a module of its own: matmul.ts builds `enable subgroups;` + the weight prelude +
// matmul.wgsl + this file, so it uses matmul's bindings, params, loads, dot_group, w_group and finish.

override LANES: u32 = 4u;

// Lane `lane`'s share of the dot of tile row j with x[t, k0 ..] (k_valid columns), and with NORM
// of Σ x², summed over all LANES lanes. Called by every lane of the workgroup (the shuffles need
// them all).
fn lane_dot(tile_w4: u32, j: u32, lane: u32, k0: u32, k_valid: u32, tok: vec4<u32>) -> Dot {
  var d = Dot(vec4<f32>(0.0), vec4<f32>(0.0));
  let b = x_base(tok, k0);
  let groups = (k_valid + 3u) / 4u;
  let rounds = (groups + LANES - 1u) / LANES; // uniform: every lane runs every round
  for (var i = 0u; i < rounds; i++) {
    let g = i * LANES + lane;
    if (g < groups) {
      let k = 4u * g;
      dot_group(&d, load_w4(w_group(tile_w4, j, g)), k0 + k, min(4u, k_valid - k), b, k);
    }
  }
  for (var m = 1u; m < LANES; m = m << 1u) {
    d.acc += subgroupShuffleXor(d.acc, m);
    if (NORM) { d.ss += subgroupShuffleXor(d.ss, m); }
  }
  return d;
}

// grid as tile_main's; THREADS = tile rows / ROWS_PER_THREAD × LANES. Padding rows of the last
// tile (stored as zeros) are computed too, so that every lane reaches the shuffles; lane 0 stores.
// Returns the row that this thread (its row's lane 0) wrote, or NO_ROW.
fn subgroup_pass(wid: vec3<u32>, lid: vec3<u32>) -> u32 {
  let lane = lid.x % LANES;
  let c = wid.y;
  let j0 = (lid.x / LANES) * ROWS_PER_THREAD;
  let n0 = (params.row_block_base + wid.x) * params.tile_rows + j0;
  let k_valid = k_valid_of(c);
  let tile_w4 = tile_w4_of(wid.x, c);
  let tok = tokens_of(wid.z);
  let d0 = lane_dot(tile_w4, j0, lane, c * params.tile_cols, k_valid, tok);
  var d1 = Dot(vec4<f32>(0.0), vec4<f32>(0.0));
  if (ROWS_PER_THREAD == 2u) { d1 = lane_dot(tile_w4, j0 + 1u, lane, c * params.tile_cols, k_valid, tok); }
  if (lane != 0u || n0 >= params.rows) { return NO_ROW; }
  finish(wid.z * TOKENS_PER_THREAD, c, n0, d0, d1);
  return n0;
}

@compute @workgroup_size(THREADS)
fn tile_subgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  _ = subgroup_pass(wid, lid);
}

// tile_subgroup, then the lm_head's row statistics (matmul.wgsl's store_row_stats).
@compute @workgroup_size(THREADS)
fn tile_subgroup_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  store_row_stats(lid.x, params.row_block_base + wid.x, subgroup_pass(wid, lid), wid.z * TOKENS_PER_THREAD);
}

// The check the autotune runs before it times this kernel on a device: out[i] = 1 where
// invocation i's partner under subgroupShuffleXor(·, m) is invocation i ^ m for every m < LANES
// (the lanes of a row sit in one subgroup, in order), else 0.
@compute @workgroup_size(THREADS)
fn lane_check(@builtin(local_invocation_index) i: u32) {
  var ok = 1.0;
  for (var m = 1u; m < LANES; m = m << 1u) {
    ok = select(ok, 0.0, subgroupShuffleXor(i, m) != (i ^ m));
  }
  out[i] = ok;
}
