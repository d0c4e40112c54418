// RUN: slmc-opt %s -split-input-file --slm-fuse-elementwise | FileCheck %s

// A chain of elementwise ops becomes one slm.elementwise whose body spells
// each op out as the kernels compute it; inputs of one element broadcast.
// CHECK-LABEL: func @chain
// CHECK: %[[Y:.*]] = slm.elementwise %arg1, %arg0, %{{.*}} : tensor<2x8xf32>, tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32> {
// CHECK-NEXT: ^bb0(%[[Z:.*]]: f32, %[[X:.*]]: f32, %[[C:.*]]: f32):
// CHECK:        %[[M:.*]] = arith.mulf %[[X]], %[[C]] : f32
// CHECK-NEXT:   %[[N:.*]] = arith.negf %[[M]] : f32
// CHECK-NEXT:   %[[E:.*]] = math.exp %[[N]] : f32
// CHECK-NEXT:   %[[D:.*]] = arith.addf %[[E]], %[[ONE:.*]] : f32
// CHECK-NEXT:   %[[G:.*]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK-NEXT:   %[[S:.*]] = arith.mulf %[[M]], %[[G]] : f32
// CHECK-NEXT:   %[[A:.*]] = arith.addf %[[S]], %[[Z]] : f32
// CHECK-NEXT:   slm.yield %[[A]] : f32
// CHECK: return %[[Y]]
func.func @chain(%x: tensor<2x8xf32>, %z: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c = slm.constant dense<1.702> : tensor<f32>
  %m = slm.mul %x, %c : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %s = slm.silu %m : tensor<2x8xf32>
  %a = slm.add %s, %z : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

// An op whose result another op also reads stays a kernel of its own; so
// does a lone op, and anything with a broadcast that is not a single element.
// CHECK-LABEL: func @not_chains
// CHECK: %[[E:.*]] = slm.exp %arg0
// CHECK: slm.elementwise %[[E]]
// CHECK: slm.neg %arg1
// CHECK: slm.add %{{.*}}, %arg2 : tensor<2x8xf32>, tensor<8xf32>
func.func @not_chains(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>, %b: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %e = slm.exp %x : tensor<2x8xf32>
  %s = slm.sqrt %e : tensor<2x8xf32>
  %r = slm.relu %s : tensor<2x8xf32>
  %n = slm.neg %y : tensor<2x8xf32>
  %c = slm.cos %y : tensor<2x8xf32>
  %a = slm.add %c, %b : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  return %e, %r, %n, %a : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
