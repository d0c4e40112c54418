// RUN: slmc-opt %s -split-input-file --slm-fuse-linear | FileCheck %s

// A matmul by a constant [in, out] weight is a linear with the weight
// transposed at compile time to [out, in]; a constant bias joins it.
// CHECK-LABEL: func @matmul_by_weight
// CHECK: %[[W:.*]] = slm.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: %[[Y:.*]] = slm.linear %arg0, %[[W]], %{{.*}} : tensor<1x?x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<1x?x3xf32>
// CHECK-NOT: slm.matmul
// CHECK: return %[[Y]]
func.func @matmul_by_weight(%x: tensor<1x?x2xf32>) -> tensor<1x?x3xf32> {
  %w = slm.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = slm.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf32>
  %m = slm.matmul %x, %w : tensor<1x?x2xf32>, tensor<2x3xf32> -> tensor<1x?x3xf32>
  %y = slm.add %m, %b : tensor<1x?x3xf32>, tensor<3xf32> -> tensor<1x?x3xf32>
  return %y : tensor<1x?x3xf32>
}

// -----

// The output head that shares the embedding matrix [vocab, hidden], as
// exporters write it, and the lookup into that matrix.
// CHECK-LABEL: func @tied_head
// CHECK: %[[T:.*]] = slm.constant dense<{{.*}}> : tensor<4x2xf32>
// CHECK: %[[E:.*]] = slm.embedding %[[T]], %arg0 : tensor<4x2xf32>, tensor<1x?xi64> -> tensor<1x?x2xf32>
// CHECK: %[[L:.*]] = slm.linear %[[E]], %[[T]] : tensor<1x?x2xf32>, tensor<4x2xf32> -> tensor<1x?x4xf32>
// CHECK-NOT: slm.transpose
// CHECK: return %[[L]]
func.func @tied_head(%ids: tensor<1x?xi64>) -> tensor<1x?x4xf32> {
  %table = slm.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]]> : tensor<4x2xf32>
  %x = slm.gather %table[%ids] axis = 0 : tensor<4x2xf32>, tensor<1x?xi64> -> tensor<1x?x2xf32>
  %xt = slm.transpose %x permutation = [0, 2, 1] : tensor<1x?x2xf32> -> tensor<1x2x?xf32>
  %m = slm.matmul %table, %xt : tensor<4x2xf32>, tensor<1x2x?xf32> -> tensor<1x4x?xf32>
  %y = slm.transpose %m permutation = [0, 2, 1] : tensor<1x4x?xf32> -> tensor<1x?x4xf32>
  return %y : tensor<1x?x4xf32>
}

// -----

// Products of two activations (attention's q·kᵀ) and gathers along other axes stay.
// CHECK-LABEL: func @not_weights
// CHECK: slm.matmul
// CHECK: slm.gather
func.func @not_weights(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %i: tensor<2xi64>) -> (tensor<2x4xf32>, tensor<3x2xf32>) {
  %m = slm.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %g = slm.gather %b[%i] axis = 1 : tensor<3x4xf32>, tensor<2xi64> -> tensor<3x2xf32>
  return %m, %g : tensor<2x4xf32>, tensor<3x2xf32>
}
