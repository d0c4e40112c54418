// RUN: slmc-opt %s --slm-layout-weights -verify-diagnostics

// slm-select-kernels gives the f32_panels kernel to every reader of a matrix or
// to none; slm-layout-weights refuses a matrix that one reader wants as panels
// and another in its own order, rather than store it wrong for either.
func.func @forward(%x: tensor<4x64xf32>) -> (tensor<4x8xf32>, tensor<8x64xf32>) {
  // expected-error @+1 {{'slm.constant' op is read both as panels (f32_panels) and in its own order}}
  %w = slm.constant dense<0.5> : tensor<8x64xf32>
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32_panels>} : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  %s = slm.add %w, %w : tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>
  return %y, %s : tensor<4x8xf32>, tensor<8x64xf32>
}
