// RUN: slmc-opt %s -split-input-file --slm-fuse-projections | FileCheck %s

// q, k and v read one input: one linear with their weights stacked row by
// row, and a split hands each reader its columns.
// CHECK-LABEL: func @qkv
// CHECK: %[[W:.*]] = slm.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00], [3.000000e+00, 3.000000e+00], [4.000000e+00, 4.000000e+00]]> : tensor<4x2xf32>
// CHECK: %[[Y:.*]] = slm.linear %arg0, %[[W]] : tensor<?x2xf32>, tensor<4x2xf32> -> tensor<?x4xf32>
// CHECK: %[[P:.*]]:3 = slm.split %[[Y]] axis = -1 sizes = [2, 1, 1]
// CHECK-NOT: slm.linear
// CHECK: return %[[P]]#0, %[[P]]#1, %[[P]]#2
func.func @qkv(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %wq = slm.constant dense<[[1.0, 1.0], [2.0, 2.0]]> : tensor<2x2xf32>
  %q = slm.linear %x, %wq : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %wk = slm.constant dense<[[3.0, 3.0]]> : tensor<1x2xf32>
  %k = slm.linear %x, %wk : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %wv = slm.constant dense<[[4.0, 4.0]]> : tensor<1x2xf32>
  %v = slm.linear %x, %wv : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %q, %k, %v : tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Quantized weights of one format stack their codes and scales.
// CHECK-LABEL: func @quantized
// CHECK: %[[C:.*]] = slm.constant dense<{{\[}}[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]> : tensor<3x4xi8>
// CHECK: %[[S:.*]] = slm.constant dense<{{.*}}> : tensor<3x1xf16>
// CHECK: %[[W:.*]] = slm.dequantize %[[C]], %[[S]] {format = #slm.weight_format<bits = 4, group = 8, symmetric = true>} : (tensor<3x4xi8>, tensor<3x1xf16>) -> tensor<3x8xf32>
// CHECK: slm.linear %arg0, %[[W]]
// CHECK: slm.split {{.*}} sizes = [2, 1]
func.func @quantized(%x: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>) {
  %ca = slm.constant dense<[[1, 1, 1, 1], [2, 2, 2, 2]]> : tensor<2x4xi8>
  %sa = slm.constant dense<[[1.0], [0.5]]> : tensor<2x1xf16>
  %wa = slm.dequantize %ca, %sa {format = #slm.weight_format<bits = 4, group = 8, symmetric = true>} : (tensor<2x4xi8>, tensor<2x1xf16>) -> tensor<2x8xf32>
  %a = slm.linear %x, %wa : tensor<?x8xf32>, tensor<2x8xf32> -> tensor<?x2xf32>
  %cb = slm.constant dense<[[3, 3, 3, 3]]> : tensor<1x4xi8>
  %sb = slm.constant dense<[[0.25]]> : tensor<1x1xf16>
  %wb = slm.dequantize %cb, %sb {format = #slm.weight_format<bits = 4, group = 8, symmetric = true>} : (tensor<1x4xi8>, tensor<1x1xf16>) -> tensor<1x8xf32>
  %b = slm.linear %x, %wb : tensor<?x8xf32>, tensor<1x8xf32> -> tensor<?x1xf32>
  return %a, %b : tensor<?x2xf32>, tensor<?x1xf32>
}

// -----

// Weights stored at half width stack their stored constants, widened once.
// CHECK-LABEL: func @half_width
// CHECK: %[[B:.*]] = slm.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00], [3.000000e+00, 3.000000e+00]]> : tensor<3x2xbf16>
// CHECK: %[[W:.*]] = slm.widen %[[B]] : tensor<3x2xbf16> -> tensor<3x2xf32>
// CHECK: slm.linear %arg0, %[[W]]
// CHECK: slm.split {{.*}} sizes = [2, 1]
func.func @half_width(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>) {
  %ba = slm.constant dense<[[1.0, 1.0], [2.0, 2.0]]> : tensor<2x2xbf16>
  %wa = slm.widen %ba : tensor<2x2xbf16> -> tensor<2x2xf32>
  %a = slm.linear %x, %wa : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %bb = slm.constant dense<[[3.0, 3.0]]> : tensor<1x2xbf16>
  %wb = slm.widen %bb : tensor<1x2xbf16> -> tensor<1x2xf32>
  %b = slm.linear %x, %wb : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %a, %b : tensor<?x2xf32>, tensor<?x1xf32>
}

// -----

// bf16 and f16 storage do not stack: each linear stays.
// CHECK-LABEL: func @bf16_and_f16
// CHECK-COUNT-2: slm.linear
// CHECK-NOT: slm.split
func.func @bf16_and_f16(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %ba = slm.constant dense<1.0> : tensor<1x2xbf16>
  %wa = slm.widen %ba : tensor<1x2xbf16> -> tensor<1x2xf32>
  %a = slm.linear %x, %wa : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %bb = slm.constant dense<1.0> : tensor<1x2xf16>
  %wb = slm.widen %bb : tensor<1x2xf16> -> tensor<1x2xf32>
  %b = slm.linear %x, %wb : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %a, %b : tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Weights of different formats do not stack: each linear stays.
// CHECK-LABEL: func @mixed_formats
// CHECK-COUNT-2: slm.linear
// CHECK-NOT: slm.split
func.func @mixed_formats(%x: tensor<?x8xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %ca = slm.constant dense<1> : tensor<1x4xi8>
  %sa = slm.constant dense<1.0> : tensor<1x1xf16>
  %wa = slm.dequantize %ca, %sa {format = #slm.weight_format<bits = 4, group = 8, symmetric = true>} : (tensor<1x4xi8>, tensor<1x1xf16>) -> tensor<1x8xf32>
  %a = slm.linear %x, %wa : tensor<?x8xf32>, tensor<1x8xf32> -> tensor<?x1xf32>
  %cb = slm.constant dense<1> : tensor<1x8xi8>
  %sb = slm.constant dense<1.0> : tensor<1x1xf16>
  %wb = slm.dequantize %cb, %sb {format = #slm.weight_format<bits = 8, group = 0, symmetric = true>} : (tensor<1x8xi8>, tensor<1x1xf16>) -> tensor<1x8xf32>
  %b = slm.linear %x, %wb : tensor<?x8xf32>, tensor<1x8xf32> -> tensor<?x1xf32>
  return %a, %b : tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Classes of a tied table's rows, one format: the embedding reads them too
// (here: the function returns one), so stacking them for the head would
// store the table twice; they stay.
// CHECK-LABEL: func @weights_read_elsewhere
// CHECK-COUNT-2: slm.linear %arg0
// CHECK-NOT: slm.split
func.func @weights_read_elsewhere(%x: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>, tensor<2x8xf32>) {
  %ca = slm.constant dense<[[1, 1, 1, 1], [2, 2, 2, 2]]> : tensor<2x4xi8>
  %sa = slm.constant dense<[[1.0], [0.5]]> : tensor<2x1xf16>
  %wa = slm.dequantize %ca, %sa {format = #slm.weight_format<bits = 4, group = 8, symmetric = true>} : (tensor<2x4xi8>, tensor<2x1xf16>) -> tensor<2x8xf32>
  %a = slm.linear %x, %wa : tensor<?x8xf32>, tensor<2x8xf32> -> tensor<?x2xf32>
  %cb = slm.constant dense<[[3, 3, 3, 3]]> : tensor<1x4xi8>
  %sb = slm.constant dense<[[0.25]]> : tensor<1x1xf16>
  %wb = slm.dequantize %cb, %sb {format = #slm.weight_format<bits = 4, group = 8, symmetric = true>} : (tensor<1x4xi8>, tensor<1x1xf16>) -> tensor<1x8xf32>
  %b = slm.linear %x, %wb : tensor<?x8xf32>, tensor<1x8xf32> -> tensor<?x1xf32>
  return %a, %b, %wa : tensor<?x2xf32>, tensor<?x1xf32>, tensor<2x8xf32>
}
