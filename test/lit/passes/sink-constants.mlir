// RUN: slmc-opt %s --canonicalize --slm-sink-constants | FileCheck %s

// Canonicalization gathers constants at the top; each goes back to just
// before its first reader.
// CHECK-LABEL: func @forward
// CHECK-NEXT: slm.constant dense<1.000000e+00>
// CHECK-NEXT: slm.add
// CHECK-NEXT: slm.constant dense<2.000000e+00>
// CHECK-NEXT: slm.mul
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = slm.constant dense<1.0> : tensor<4xf32>
  %y = slm.add %x, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %b = slm.constant dense<2.0> : tensor<4xf32>
  %z = slm.mul %y, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %z : tensor<4xf32>
}
