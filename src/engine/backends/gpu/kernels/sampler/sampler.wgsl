// The sampler on the GPU: one workgroup per logits row. Same definition as
// src/engine/backends/cpu/reference/sampler.ts: greedy argmax (lowest id on ties), or
// temperature → top-k → softmax → top-p → draw with u = uniform(seed, position).
//
// The kept set is always a prefix of the sorted order (logit descending, id ascending), so each
// of top-k, top-p and the draw is one question — "where in the sorted order does the cumulative
// weight first reach a goal?" — answered without sorting: a 32-step bitwise search for the
// order key κ whose tail mass reaches the goal (each step one pass + one workgroup sum), then
// the ids tied at κ in id order. Barriers are slow on SwiftShader, but this runs once per token.
//
// Writes the readback ring, 3 words per slot at 3 (state.step + row): the id, its log-probability
// (log softmax of the raw logits, temperature 1; f32 bits), and the log-probability of the token
// this forward feeds next, next_ids[first_row_token + row + 1], when it feeds one (rows > 1: a
// verify pass, whose inputs after the first are the drafts; else NaN) — so one verify pass scores
// a given continuation. For a single row it also writes next_ids[0] (the next step's embedding
// input) and state += (advance, 1): the token loop never visits the host.
//
// With stat_parts > 0 the pass that applied the lm_head's epilogue has already reduced its outputs
// per workgroup (matmul.wgsl store_row_stats: max, argmax, Σ exp(v − max)), so the greedy argmax and the
// log-normalizer combine stat_parts entries instead of scanning V logits in this one workgroup.

override THREADS: u32 = 64u; // power of two (tree reductions)

// @struct Params: fields declared in sampler.ts
// @struct State: fields declared in shared/state.ts

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> state: State;
@group(0) @binding(2) var<storage, read> logits: array<f32>;      // [rows, V]
@group(0) @binding(3) var<storage, read_write> probs: array<f32>; // [rows, V] scratch
@group(0) @binding(4) var<storage, read_write> next_ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_ids: array<u32>;     // [slots, 3]: id, logprob bits, next input's logprob bits
@group(0) @binding(6) var<storage, read> row_stats: array<u32>;         // with stat_parts > 0: [rows, stat_parts, 3] from the lm_head

var<workgroup> red_f: array<f32, THREADS>;
var<workgroup> red_u: array<u32, THREADS>;
var<workgroup> result_f: f32;
var<workgroup> result_u: u32;

fn pcg_hash(x: u32) -> u32 {
  let s = x * 747796405u + 2891336453u;
  let word = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (word >> 22u) ^ word;
}

// 24 random bits: exact in f32, bit-equal to uniform() in reference/sampler.ts.
fn uniform01(seed: u32, position: u32) -> f32 {
  return f32(pcg_hash(pcg_hash(seed) ^ position) >> 8u) / 16777216.0;
}

// Monotone map f32 → u32: a > b as floats ⇔ key(a) > key(b).
fn order_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn wg_sum(lid: u32, v: f32) -> f32 {
  red_f[lid] = v;
  workgroupBarrier();
  for (var s = THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red_f[lid] += red_f[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { result_f = red_f[0]; }
  return workgroupUniformLoad(&result_f);
}

fn wg_max_f(lid: u32, v: f32) -> f32 {
  red_f[lid] = v;
  workgroupBarrier();
  for (var s = THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red_f[lid] = max(red_f[lid], red_f[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { result_f = red_f[0]; }
  return workgroupUniformLoad(&result_f);
}

// take_max: max, else min.
fn wg_extreme_u(lid: u32, v: u32, take_max: bool) -> u32 {
  red_u[lid] = v;
  workgroupBarrier();
  for (var s = THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let o = red_u[lid + s];
      red_u[lid] = select(min(red_u[lid], o), max(red_u[lid], o), take_max);
    }
    workgroupBarrier();
  }
  if (lid == 0u) { result_u = red_u[0]; }
  return workgroupUniformLoad(&result_u);
}

// Greedy: largest logit, lowest id on ties. Each thread scans a strided slice, then thread 0
// folds the THREADS partials serially: 2 barriers instead of a log2(THREADS)-level tree — on
// SwiftShader a barrier costs far more than 64 compares, and this runs once per token.
fn argmax_row(lid: u32, row: u32, base: u32) -> u32 {
  var best_v = -3.4e38;
  var best_i = 0xffffffffu;
  if (params.stat_parts > 0u) {
    for (var p = lid; p < params.stat_parts; p += THREADS) {
      let s = (row * params.stat_parts + p) * 3u;
      let v = bitcast<f32>(row_stats[s]);
      let i = row_stats[s + 1u];
      if (v > best_v || (v == best_v && i < best_i)) { best_v = v; best_i = i; }
    }
  } else {
    for (var i = lid; i < params.vocab; i += THREADS) {
      let v = logits[base + i];
      if (v > best_v || (v == best_v && i < best_i)) { best_v = v; best_i = i; }
    }
  }
  red_f[lid] = best_v;
  red_u[lid] = best_i;
  workgroupBarrier();
  if (lid == 0u) {
    for (var j = 1u; j < THREADS; j++) {
      let v = red_f[j];
      let i = red_u[j];
      if (v > best_v || (v == best_v && i < best_i)) { best_v = v; best_i = i; }
    }
    result_u = select(best_i, 0u, best_i >= params.vocab); // all-NaN row → 0
  }
  return workgroupUniformLoad(&result_u);
}

// The kept set: the sorted-order prefix ending at (cut.x = key, cut.y = id).
fn in_prefix(key: u32, id: u32, cut: vec2<u32>) -> bool {
  return key > cut.x || (key == cut.x && id <= cut.y);
}

fn weight_of(base: u32, i: u32, use_prob: bool) -> f32 {
  return select(1.0, probs[base + i], use_prob);
}

// Σ weight over kept tokens with key >= threshold (strictly greater when `above`).
fn prefix_mass(lid: u32, base: u32, cut: vec2<u32>, threshold: u32, above: bool, use_prob: bool) -> f32 {
  var m = 0.0;
  for (var i = lid; i < params.vocab; i += THREADS) {
    let key = order_key(logits[base + i]);
    if (in_prefix(key, i, cut) && (key > threshold || (!above && key == threshold))) { m += weight_of(base, i, use_prob); }
  }
  return wg_sum(lid, m);
}

fn meets(w: f32, goal: f32, strict: bool) -> bool {
  return select(w >= goal, w > goal, strict);
}

// The last token of the kept prefix (smallest key, then highest id).
fn last_of_prefix(lid: u32, base: u32, cut: vec2<u32>) -> vec2<u32> {
  var kmin = 0xffffffffu;
  for (var i = lid; i < params.vocab; i += THREADS) {
    let key = order_key(logits[base + i]);
    if (in_prefix(key, i, cut)) { kmin = min(kmin, key); }
  }
  let key_min = wg_extreme_u(lid, kmin, false);
  var imax = 0u;
  for (var i = lid; i < params.vocab; i += THREADS) {
    let key = order_key(logits[base + i]);
    if (key == key_min && in_prefix(key, i, cut)) { imax = max(imax, i); }
  }
  return vec2<u32>(key_min, wg_extreme_u(lid, imax, true));
}

// The first token, in sorted order within the kept prefix, at which the cumulative weight
// reaches `goal` (> when strict, >= otherwise). Returns it as the new cut (key, id).
fn find_cut(lid: u32, base: u32, cut: vec2<u32>, goal: f32, strict: bool, use_prob: bool) -> vec2<u32> {
  if (!meets(prefix_mass(lid, base, cut, 0u, false, use_prob), goal, strict)) {
    return last_of_prefix(lid, base, cut); // only by rounding: the whole prefix is the answer
  }
  // Largest key κ whose tail mass (keys >= κ) still reaches the goal, bit by bit from the top.
  var kappa = 0u;
  for (var b = 31i; b >= 0i; b--) {
    let cand = kappa | (1u << u32(b));
    if (meets(prefix_mass(lid, base, cut, cand, false, use_prob), goal, strict)) { kappa = cand; }
  }
  // Ties at κ are taken in id order: usually exactly one.
  var count = 0.0;
  var imin = 0xffffffffu;
  for (var i = lid; i < params.vocab; i += THREADS) {
    let key = order_key(logits[base + i]);
    if (key == kappa && in_prefix(key, i, cut)) { count += 1.0; imin = min(imin, i); }
  }
  let ties = wg_sum(lid, count);
  let first_tie = wg_extreme_u(lid, imin, false);
  if (ties <= 1.0) { return vec2<u32>(kappa, first_tie); }
  let above_mass = prefix_mass(lid, base, cut, kappa, true, use_prob);
  if (lid == 0u) {
    var cum = above_mass;
    var pick = first_tie;
    for (var i = 0u; i < params.vocab; i++) {
      if (order_key(logits[base + i]) == kappa && in_prefix(kappa, i, cut)) {
        pick = i;
        cum += weight_of(base, i, use_prob);
        if (meets(cum, goal, strict)) { break; }
      }
    }
    result_u = pick;
  }
  return vec2<u32>(kappa, workgroupUniformLoad(&result_u));
}

fn sample_row(lid: u32, base: u32, position: u32) -> u32 {
  var lmax = -3.4e38;
  for (var i = lid; i < params.vocab; i += THREADS) { lmax = max(lmax, logits[base + i]); }
  let top = wg_max_f(lid, lmax);
  for (var i = lid; i < params.vocab; i += THREADS) {
    probs[base + i] = exp((logits[base + i] - top) / params.temperature);
  }
  storageBarrier();
  workgroupBarrier();
  var cut = vec2<u32>(0u, 0xffffffffu); // everything
  if (params.top_k > 0u && params.top_k < params.vocab) {
    cut = find_cut(lid, base, cut, f32(params.top_k), false, false);
  }
  if (params.top_p < 1.0) {
    let total = prefix_mass(lid, base, cut, 0u, false, true);
    cut = find_cut(lid, base, cut, params.top_p * total, false, true);
  }
  let kept_mass = prefix_mass(lid, base, cut, 0u, false, true);
  let goal = uniform01(params.seed, position) * kept_mass;
  return find_cut(lid, base, cut, goal, true, true).y;
}

// log Σ exp(logits) of a row, at temperature 1 whatever the sampling settings: log softmax of a
// token is its logit minus this (reference: logProbability in reference/sampler.ts).
fn log_normalizer(lid: u32, row: u32, base: u32) -> f32 {
  if (params.stat_parts > 0u) {
    // Each entry's Σ exp(v − its max), rescaled to the row's max.
    var m = -3.4e38;
    for (var p = lid; p < params.stat_parts; p += THREADS) { m = max(m, bitcast<f32>(row_stats[(row * params.stat_parts + p) * 3u])); }
    let top = wg_max_f(lid, m);
    var total = 0.0;
    for (var p = lid; p < params.stat_parts; p += THREADS) {
      let s = (row * params.stat_parts + p) * 3u;
      total += bitcast<f32>(row_stats[s + 2u]) * exp(bitcast<f32>(row_stats[s]) - top);
    }
    return top + log(wg_sum(lid, total));
  }
  var m = -3.4e38;
  for (var i = lid; i < params.vocab; i += THREADS) { m = max(m, logits[base + i]); }
  let top = wg_max_f(lid, m);
  var total = 0.0;
  for (var i = lid; i < params.vocab; i += THREADS) { total += exp(logits[base + i] - top); }
  return top + log(wg_sum(lid, total));
}

// grid: (rows)
@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let lid = lid3.x;
  let row = wid.x;
  let base = row * params.vocab;
  // Through workgroup memory so the position (and so the random draw) is workgroup-uniform.
  if (lid == 0u) { result_u = state.pos; }
  let pos0 = workgroupUniformLoad(&result_u);
  let step0 = state.step;
  var id: u32;
  if (params.temperature <= 0.0) {
    id = argmax_row(lid, row, base);
  } else {
    id = sample_row(lid, base, pos0 + params.first_row_token + row + 1u);
  }
  let normalizer = log_normalizer(lid, row, base);
  if (lid == 0u) {
    let slot = (step0 + row) * 3u;
    out_ids[slot] = id;
    out_ids[slot + 1u] = bitcast<u32>(logits[base + id] - normalizer);
    var next_input = 0x7fc00000u; // NaN's bits: this row feeds nothing further
    if (row + 1u < params.rows) {
      let next_id = min(next_ids[params.first_row_token + row + 1u], params.vocab - 1u);
      next_input = bitcast<u32>(logits[base + next_id] - normalizer);
    }
    out_ids[slot + 2u] = next_input;
    if (params.rows == 1u) { next_ids[0] = id; }
    if (params.advance > 0u) { state = State(pos0 + params.advance, step0 + 1u); }
  }
}
