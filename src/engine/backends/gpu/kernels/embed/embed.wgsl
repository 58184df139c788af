// Embedding gather: out[t, :] = E[ids[t], :], reading the token id from a GPU buffer (so the
// sampled id of the previous step feeds this one with no host round trip). E is a tile-major
// matrix (the same buffer the tied lm_head GEMV streams), prepended with a weight-format prelude
// (shared/weights.ts).

override THREADS: u32 = 64u;

// @struct Params: fields declared in embed.ts

@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // [T, D]

// grid: (ceil(D / THREADS), T), once per weight part (rows row_lo .. row_hi)
@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let t = gid.y;
  if (k >= params.dim || t >= params.tokens) { return; }
  let id = ids[t];
  if (id >= params.vocab) { // ids are checked on the CPU; never read out of the table
    if (params.row_lo == 0u) { out[t * params.dim + k] = 0.0; }
    return;
  }
  if (id < params.row_lo || id >= params.row_hi) { return; } // another part holds this row
  let tr = params.tile_rows;
  let tc = params.tile_cols;
  let local = id - params.row_lo;            // parts start on a row block, so tiles stay aligned
  let tile = ((local / tr) * params.col_tiles + k / tc) * tr * tc;
  let kk = k % tc;
  var e = tile + (local % tr) * tc + kk;
  let unit = params.interleave_unit;
  if (unit != 0u) { e = tile + ((kk / unit) * tr + local % tr) * unit + kk % unit; } // the 'interleaved' tile layout
  out[t * params.dim + k] = load_w(e);
}
