// RUN: slmc-opt %s -split-input-file --slm-fuse-activations | FileCheck %s

// CHECK-LABEL: func @silu
// CHECK-NEXT: %[[Y:.*]] = slm.silu %arg0 : tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @silu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %s = slm.sigmoid %x : tensor<2x8xf32>
  %y = slm.mul %s, %x : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Exact GELU as torch exports it: x * 0.5 * (1 + erf(x / sqrt 2)).
// CHECK-LABEL: func @gelu_erf
// CHECK-NEXT: %[[Y:.*]] = slm.gelu %arg0 : tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_erf(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = slm.constant dense<1.41421354> : tensor<f32>
  %one = slm.constant dense<1.0> : tensor<f32>
  %half = slm.constant dense<0.5> : tensor<f32>
  %a = slm.div %x, %sqrt2 : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %e = slm.erf %a : tensor<2x8xf32>
  %b = slm.add %e, %one : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %c = slm.mul %x, %b : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = slm.mul %c, %half : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// GPT-2's GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// CHECK-LABEL: func @gelu_tanh
// CHECK-NEXT: %[[Y:.*]] = slm.gelu %arg0 {approximation = #slm<gelu_approximation tanh>} : tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_tanh(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %three = slm.constant dense<3.0> : tensor<f32>
  %c = slm.constant dense<0.044715> : tensor<f32>
  %k = slm.constant dense<0.797884583> : tensor<f32>
  %one = slm.constant dense<1.0> : tensor<f32>
  %half = slm.constant dense<0.5> : tensor<f32>
  %x3 = slm.pow %x, %three : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %a = slm.mul %c, %x3 : tensor<f32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %b = slm.add %x, %a : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %d = slm.mul %b, %k : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %t = slm.tanh %d : tensor<2x8xf32>
  %e = slm.add %one, %t : tensor<f32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %f = slm.mul %half, %x : tensor<f32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = slm.mul %f, %e : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Another constant is another function: left alone.
// CHECK-LABEL: func @not_gelu
// CHECK: slm.erf
// CHECK-NOT: slm.gelu
func.func @not_gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %two = slm.constant dense<2.0> : tensor<f32>
  %one = slm.constant dense<1.0> : tensor<f32>
  %half = slm.constant dense<0.5> : tensor<f32>
  %a = slm.div %x, %two : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %e = slm.erf %a : tensor<2x8xf32>
  %b = slm.add %e, %one : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %c = slm.mul %x, %b : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = slm.mul %c, %half : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
