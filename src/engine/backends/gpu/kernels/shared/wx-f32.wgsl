// The product in matmul.wgsl's tile passes (and matmul-subgroup's), in f32: one group of four
// weights · x. The f16-maths candidate (kernels/matmul-f16) replaces this function and nothing else.
fn wx(w: vec4<f32>, x: vec4<f32>) -> f32 {
  return dot(w, x);
}
