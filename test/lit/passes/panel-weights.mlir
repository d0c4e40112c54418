// f32 matrices stored as the GEMM's panels (AVX-512 targets): slm-select-kernels
// picks f32_panels for every reader of a matrix that a linear reads and that is
// otherwise only a linear weight or an embedding table (a tied table too),
// slm-layout-weights stores it as #slm.weight_layout<panels16> sized to whole
// stripes of 16 rows (a bias stays as it is), and the lowering calls the
// panels kernels. A matrix another op reads, an embedding-only table and every
// matrix of a target without AVX-512 stay in their own order.

// RUN: slmc-opt %s --slm-select-kernels=target-features=+avx2,+fma,+avx512f,+avx512bw,+avx512vl --slm-layout-weights | FileCheck %s --check-prefix=PLAN
// RUN: slmc-opt %s --slm-select-kernels=target-features=+avx2,+fma,+avx512f,+avx512bw,+avx512vl --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: slmc-opt %s --slm-select-kernels=target-features=+avx2,+fma --slm-layout-weights | FileCheck %s --check-prefix=AVX2

// The tied table, 20 x 64: two stripes of 16 rows (8192 B, not 5120).
// PLAN: module attributes {slm.weights_size = 29952 : i64}
// PLAN: slm.constant {slm.weight_layout = #slm<weight_layout panels16>, slm.weight_offset = 0 : i64} dense<1.000000e+00> : tensor<20x64xf32>
// PLAN: slm.embedding {{.*}} {slm.kernel = #slm<kernel f32_panels>}
// PLAN: slm.constant {slm.weight_layout = #slm<weight_layout panels16>, slm.weight_offset = 8192 : i64} dense<5.000000e-01> : tensor<64x64xf32>
// PLAN: slm.constant {slm.weight_offset = 24576 : i64} dense<1.250000e-01> : tensor<64xf32>
// PLAN: slm.linear {{.*}} {slm.kernel = #slm<kernel f32_panels>}
// PLAN: slm.constant {slm.weight_offset = 24832 : i64} dense<2.500000e-01> : tensor<4x64xf32>
// PLAN: slm.linear {{.*}} {slm.kernel = #slm<kernel f32>}
// PLAN: slm.add
// PLAN: slm.constant {slm.weight_offset = 25856 : i64} dense<2.000000e+00> : tensor<16x64xf32>
// PLAN: slm.embedding {{.*}} {slm.kernel = #slm<kernel f32>}
// PLAN: slm.linear {{.*}} {slm.kernel = #slm<kernel f32_panels>}

// LLVM-LABEL: llvm.func @slm_graph
// LLVM: llvm.call @slm_uk_embedding_panels(
// LLVM: llvm.call @slm_uk_linear_panels(
// LLVM: llvm.call @slm_uk_linear(
// LLVM: llvm.call @slm_uk_embedding(
// LLVM: llvm.call @slm_uk_linear_panels(

// AVX2: module attributes {slm.weights_size = 26880 : i64}
// AVX2-NOT: weight_layout
// AVX2-NOT: f32_panels
module {
  func.func @forward(%tokens: tensor<4xi64>) -> (tensor<4x20xf32>, tensor<4x64xf32>, tensor<4x64xf32>) {
    %table = slm.constant dense<1.0> : tensor<20x64xf32>
    %x = slm.embedding %table, %tokens : tensor<20x64xf32>, tensor<4xi64> -> tensor<4x64xf32>
    %a = slm.constant dense<0.5> : tensor<64x64xf32>
    %bias = slm.constant dense<0.125> : tensor<64xf32>
    %h = slm.linear %x, %a, %bias : tensor<4x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<4x64xf32>
    %b = slm.constant dense<0.25> : tensor<4x64xf32>
    %g = slm.linear %h, %b : tensor<4x64xf32>, tensor<4x64xf32> -> tensor<4x4xf32>
    %s = slm.add %b, %b : tensor<4x64xf32>, tensor<4x64xf32> -> tensor<4x64xf32>
    %e = slm.constant dense<2.0> : tensor<16x64xf32>
    %y = slm.embedding %e, %tokens : tensor<16x64xf32>, tensor<4xi64> -> tensor<4x64xf32>
    %logits = slm.linear %h, %table : tensor<4x64xf32>, tensor<20x64xf32> -> tensor<4x20xf32>
    return %logits, %y, %s : tensor<4x20xf32>, tensor<4x64xf32>, tensor<4x64xf32>
  }
}
