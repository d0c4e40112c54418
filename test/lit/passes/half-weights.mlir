// Code generation for weights stored at half width (slmc compile --weights):
// the bf16 and f16 constants are laid out at 2 bytes per weight, slm.widen
// gets no arena space (its readers take the stored form), and the linear and
// embedding ops that read it call the bf16 or f16 kernel.

// RUN: slmc-opt %s -split-input-file --slm-select-kernels --slm-layout-weights --slm-plan-memory=max-tokens=4 | FileCheck %s --check-prefix=PLAN
// RUN: slmc-opt %s -split-input-file --slm-select-kernels --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=LLVM

// A tied bf16 table (embedding and logits) of 8x64 (1024 B) and an f16 linear
// of 64x64 (8192 B) after it.
// PLAN: module attributes {slm.memory_plan = #slm.memory_plan<arena_size = {{[0-9]+}}, kv_cache_size = 0, max_tokens = 1>, slm.weights_size = 9216 : i64}
// PLAN: slm.constant {slm.weight_offset = 0 : i64} dense<1.000000e+00> : tensor<8x64xbf16>
// PLAN: slm.widen %{{.*}} : tensor<8x64xbf16> -> tensor<8x64xf32>
// PLAN-NOT: slm.arena_offset
// PLAN: slm.embedding {{.*}} {slm.arena_offset = array<i64: 0>, slm.kernel = #slm<kernel bf16>}
// PLAN: slm.constant {slm.weight_offset = 1024 : i64} dense<5.000000e-01> : tensor<64x64xf16>
// PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel f16>} :
// PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel bf16>} :

// LLVM-LABEL: llvm.func @slm_graph
// LLVM: llvm.call @slm_uk_embedding_bf16(
// LLVM: llvm.call @slm_uk_linear_f16(
// LLVM: llvm.call @slm_uk_linear_bf16(
// LLVM-NOT: slm.widen
module {
  func.func @forward(%tokens: tensor<4xi64>) -> tensor<4x8xf32> {
    %stored_table = slm.constant dense<1.0> : tensor<8x64xbf16>
    %table = slm.widen %stored_table : tensor<8x64xbf16> -> tensor<8x64xf32>
    %x = slm.embedding %table, %tokens : tensor<8x64xf32>, tensor<4xi64> -> tensor<4x64xf32>
    %stored_a = slm.constant dense<0.5> : tensor<64x64xf16>
    %a = slm.widen %stored_a : tensor<64x64xf16> -> tensor<64x64xf32>
    %h = slm.linear %x, %a : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
    %logits = slm.linear %h, %table : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
    return %logits : tensor<4x8xf32>
  }
}

// -----

// Code generation fuses slm.widen into linear weights and embedding tables
// only; any other reader would need the f32 matrix.
func.func @forward(%a: tensor<2x64xf32>) -> tensor<64x64xf32> {
  %stored = slm.constant dense<1.0> : tensor<64x64xbf16>
  // expected-error @+1 {{'slm.widen' op feeds an op other than an slm.linear weight or an slm.embedding table; code generation fuses it only into those}}
  %w = slm.widen %stored : tensor<64x64xbf16> -> tensor<64x64xf32>
  %t = slm.transpose %w permutation = [1, 0] : tensor<64x64xf32> -> tensor<64x64xf32>
  return %t : tensor<64x64xf32>
}
