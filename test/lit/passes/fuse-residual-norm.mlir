// RUN: slmc-opt %s -split-input-file --slm-fuse-residual-norm | FileCheck %s

// The residual add and the norm of the next block: one op whose sum carries
// the residual stream on.
// CHECK-LABEL: func @residual
// CHECK: %[[SUM:.*]], %[[N:.*]] = slm.add_rms_norm %arg0, %arg1, %{{.*}} {epsilon = 9.99999974E-6 : f32} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>, tensor<?x4xf32>
// CHECK-NOT: slm.rms_norm
// CHECK: %[[NEXT:.*]] = slm.add %[[SUM]], %[[N]]
// CHECK: return %[[NEXT]]
func.func @residual(%x: tensor<?x4xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = slm.constant dense<1.5> : tensor<4xf32>
  %s = slm.add %x, %o : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %n = slm.rms_norm %s, %w {epsilon = 1.0e-5 : f32} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %next = slm.add %s, %n : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %next : tensor<?x4xf32>
}

// -----

// A broadcasting add is no residual connection.
// CHECK-LABEL: func @broadcast
// CHECK: slm.rms_norm
// CHECK-NOT: slm.add_rms_norm
func.func @broadcast(%x: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %w = slm.constant dense<1.5> : tensor<4xf32>
  %s = slm.add %x, %b : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %n = slm.rms_norm %s, %w {epsilon = 1.0e-5 : f32} : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %n : tensor<2x4xf32>
}
