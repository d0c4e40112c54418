// RUN: slmc-opt %s --slm-layout-weights | FileCheck %s

// Each distinct constant gets a 64-byte aligned place in the weights section,
// in order of first use; a constant used twice is stored once.

// CHECK: module attributes {slm.weights_size = 320 : i64}
// CHECK: %[[A:.*]] = slm.constant {slm.weight_offset = 0 : i64} dense<1.000000e+00> : tensor<10xf32>
// CHECK: slm.constant {slm.weight_offset = 64 : i64} dense<[1, 2, 3]> : tensor<3xi64>
// CHECK: slm.constant {slm.weight_offset = 128 : i64} dense<2.000000e+00> : tensor<17xf32>
// CHECK: slm.constant {slm.weight_offset = 0 : i64} dense<1.000000e+00> : tensor<10xf32>
// CHECK: slm.constant {slm.weight_offset = 256 : i64} dense<true> : tensor<5xi1>
func.func @forward() -> (tensor<10xf32>, tensor<3xi64>, tensor<17xf32>, tensor<10xf32>, tensor<5xi1>) {
  %a = slm.constant dense<1.0> : tensor<10xf32>
  %b = slm.constant dense<[1, 2, 3]> : tensor<3xi64>
  %c = slm.constant dense<2.0> : tensor<17xf32>
  %d = slm.constant dense<1.0> : tensor<10xf32>
  %e = slm.constant dense<true> : tensor<5xi1>
  return %a, %b, %c, %d, %e : tensor<10xf32>, tensor<3xi64>, tensor<17xf32>, tensor<10xf32>, tensor<5xi1>
}
