// RUN: slmc-opt %s -split-input-file --slm-fuse-norms | FileCheck %s

// RMSNorm as torch exports Llama's: x * (1 / sqrt(mean(x^2) + eps)) * w.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[W:.*]] = slm.constant dense<2.000000e+00> : tensor<8xf32>
// CHECK: %[[Y:.*]] = slm.rms_norm %arg0, %[[W]] {epsilon = 9.99999997E-7 : f32} : tensor<1x?x8xf32>, tensor<8xf32> -> tensor<1x?x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %two = slm.constant dense<2.0> : tensor<f32>
  %eps = slm.constant dense<1.0e-6> : tensor<f32>
  %one = slm.constant dense<1.0> : tensor<f32>
  %w = slm.constant dense<2.0> : tensor<8xf32>
  %sq = slm.pow %x, %two : tensor<1x?x8xf32>, tensor<f32> -> tensor<1x?x8xf32>
  %m = slm.reduce_mean %sq axes = [-1] : tensor<1x?x8xf32> -> tensor<1x?x1xf32>
  %v = slm.add %m, %eps : tensor<1x?x1xf32>, tensor<f32> -> tensor<1x?x1xf32>
  %s = slm.sqrt %v : tensor<1x?x1xf32>
  %r = slm.div %one, %s : tensor<f32>, tensor<1x?x1xf32> -> tensor<1x?x1xf32>
  %n = slm.mul %x, %r : tensor<1x?x8xf32>, tensor<1x?x1xf32> -> tensor<1x?x8xf32>
  %y = slm.mul %n, %w : tensor<1x?x8xf32>, tensor<8xf32> -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// With rsqrt and x*x, and no weight: the norm takes ones.
// CHECK-LABEL: func @rms_norm_rsqrt
// CHECK: %[[ONES:.*]] = slm.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: slm.rms_norm %arg0, %[[ONES]] {epsilon = 9.99999974E-6 : f32}
func.func @rms_norm_rsqrt(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %eps = slm.constant dense<1.0e-5> : tensor<f32>
  %sq = slm.mul %x, %x : tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
  %m = slm.reduce_mean %sq axes = [1] : tensor<3x8xf32> -> tensor<3x1xf32>
  %v = slm.add %eps, %m : tensor<f32>, tensor<3x1xf32> -> tensor<3x1xf32>
  %r = slm.rsqrt %v : tensor<3x1xf32>
  %y = slm.mul %r, %x : tensor<3x1xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// LayerNorm as GPT-2 exports it (before opset 17), with its scale and bias.
// CHECK-LABEL: func @layer_norm
// CHECK: %[[Y:.*]] = slm.layer_norm %arg0, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %two = slm.constant dense<2.0> : tensor<f32>
  %eps = slm.constant dense<1.0e-5> : tensor<f32>
  %g = slm.constant dense<[1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]> : tensor<8xf32>
  %b = slm.constant dense<0.5> : tensor<8xf32>
  %mean = slm.reduce_mean %x axes = [-1] : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = slm.sub %x, %mean : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  %sq = slm.pow %d, %two : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %var = slm.reduce_mean %sq axes = [-1] : tensor<2x8xf32> -> tensor<2x1xf32>
  %v = slm.add %var, %eps : tensor<2x1xf32>, tensor<f32> -> tensor<2x1xf32>
  %s = slm.sqrt %v : tensor<2x1xf32>
  %n = slm.div %d, %s : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  %scaled = slm.mul %n, %g : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  %y = slm.add %scaled, %b : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// A mean over another axis is not a norm of rows.
// CHECK-LABEL: func @not_a_norm
// CHECK-NOT: slm.rms_norm
func.func @not_a_norm(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %eps = slm.constant dense<1.0e-5> : tensor<f32>
  %sq = slm.mul %x, %x : tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
  %m = slm.reduce_mean %sq axes = [0] : tensor<3x8xf32> -> tensor<1x8xf32>
  %v = slm.add %m, %eps : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
  %r = slm.rsqrt %v : tensor<1x8xf32>
  %y = slm.mul %x, %r : tensor<3x8xf32>, tensor<1x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
