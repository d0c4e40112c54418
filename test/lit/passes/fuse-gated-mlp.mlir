// RUN: slmc-opt %s -split-input-file --slm-fuse-gated-mlp | FileCheck %s
// RUN: slmc-opt %s -split-input-file --slm-fuse-projections --slm-fuse-gated-mlp --canonicalize | FileCheck %s --check-prefix=STACKED

// silu(gate) * up is one gated activation; after slm-fuse-projections it
// reads the stacked gate/up output directly and the split is gone.
// CHECK-LABEL: func @swiglu
// CHECK: %[[G:.*]] = slm.linear %arg0, %{{.*}} : tensor<?x4xf32>, tensor<6x4xf32> -> tensor<?x6xf32>
// CHECK: %[[U:.*]] = slm.linear %arg0, %{{.*}} : tensor<?x4xf32>, tensor<6x4xf32> -> tensor<?x6xf32>
// CHECK: %[[H:.*]] = slm.gated_activation %[[G]], %[[U]] {activation = #slm<activation silu>} : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
// CHECK-NOT: slm.silu
// STACKED-LABEL: func @swiglu
// STACKED: %[[GU:.*]] = slm.linear %arg0, %{{.*}} : tensor<?x4xf32>, tensor<12x4xf32> -> tensor<?x12xf32>
// STACKED-NEXT: %[[H:.*]] = slm.gated_activation %[[GU]] {activation = #slm<activation silu>} : tensor<?x12xf32> -> tensor<?x6xf32>
// STACKED-NEXT: slm.linear %[[H]]
// STACKED-NOT: slm.split
func.func @swiglu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %wg = slm.constant dense<0.5> : tensor<6x4xf32>
  %wu = slm.constant dense<0.25> : tensor<6x4xf32>
  %wd = slm.constant dense<0.125> : tensor<4x6xf32>
  %g = slm.linear %x, %wg : tensor<?x4xf32>, tensor<6x4xf32> -> tensor<?x6xf32>
  %u = slm.linear %x, %wu : tensor<?x4xf32>, tensor<6x4xf32> -> tensor<?x6xf32>
  %a = slm.silu %g : tensor<?x6xf32>
  %h = slm.mul %a, %u : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %y = slm.linear %h, %wd : tensor<?x6xf32>, tensor<4x6xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// GeGLU with the tanh approximation; an activation read elsewhere too stays.
// CHECK-LABEL: func @geglu
// CHECK: slm.gated_activation %arg0, %arg1 {activation = #slm<activation gelu_tanh>}
// CHECK: %[[S:.*]] = slm.silu %arg0
// CHECK: slm.mul %[[S]], %arg1
func.func @geglu(%g: tensor<2x6xf32>, %u: tensor<2x6xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>, tensor<2x6xf32>) {
  %a = slm.gelu %g {approximation = #slm<gelu_approximation tanh>} : tensor<2x6xf32>
  %h = slm.mul %u, %a : tensor<2x6xf32>, tensor<2x6xf32> -> tensor<2x6xf32>
  %s = slm.silu %g : tensor<2x6xf32>
  %m = slm.mul %s, %u : tensor<2x6xf32>, tensor<2x6xf32> -> tensor<2x6xf32>
  return %h, %m, %s : tensor<2x6xf32>, tensor<2x6xf32>, tensor<2x6xf32>
}
