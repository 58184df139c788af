// Streaming-bandwidth probe: every thread sums a contiguous run of vec4s of a big buffer and
// writes one float (so the reads cannot be optimised away). Bytes read / time = the adapter's
// achievable read bandwidth, the roofline a memory-bound GEMV decode is measured against.
// One thread per run, no barriers — the same access shape as the matmul kernel's tile rows.

override THREADS: u32 = 64u;

// @struct Params: fields declared in stream-read.ts

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> sink: array<f32>;

@compute @workgroup_size(THREADS)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let begin = gid.x * params.vec4s_per_thread;
  if (begin >= params.total_vec4s) { return; }
  let end = min(begin + params.vec4s_per_thread, params.total_vec4s);
  var acc = vec4<f32>(0.0);
  for (var i = begin; i < end; i++) { acc += data[i]; }
  sink[gid.x] = acc.x + acc.y + acc.z + acc.w;
}
