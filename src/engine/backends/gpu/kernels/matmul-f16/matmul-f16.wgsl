// The f16-maths product of the tiled GEMV/GEMM (GridChoice f16Math): matmul.wgsl's `wx`, the one
// place its tile passes multiply weights by x. Each group of four is a vec4<f16> dot (products and
// their sum in halves, the arithmetic real GPUs run at twice f32's rate), added to the row's f32
// sums by the caller. Weights of the f16 format convert exactly; x rounds to f16 (2⁻¹¹ relative),
// so plans keep this to the roles that read a normalised x, far inside f16's ±65504.
//
// Not a module of its own: matmul.ts builds `enable f16;` + the weight prelude + matmul.wgsl
// (+ matmul-subgroup.wgsl) + this file in place of shared/wx-f32.wgsl. The dot's order does not
// depend on TOKENS_PER_THREAD, so the GEMV and the GEMM still add identically.

fn wx(w: vec4<f32>, x: vec4<f32>) -> f32 {
  return f32(dot(vec4<f16>(w), vec4<f16>(x)));
}
