// Code generation for quantized weights: packed codes (i8) and f16 scales are
// laid out at their own sizes, slm.dequantize gets no arena space (its readers
// take the packed form), and the linear and embedding ops that read it call the
// kernel for their format and target.

// RUN: slmc-opt %s -split-input-file --slm-select-kernels --slm-layout-weights --slm-plan-memory=max-tokens=4 | FileCheck %s --check-prefix=PLAN
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="w8a8=true" --slm-layout-weights --slm-plan-memory=max-tokens=4 | FileCheck %s --check-prefix=W8A8-PLAN
// RUN: slmc-opt %s -split-input-file --slm-select-kernels --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm --cse -verify-diagnostics | FileCheck %s --check-prefix=GENERIC
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+avx2,+avx512f,+avx512bw,+avx512vl" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=AVX512
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+avx2,+fma,+f16c" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=AVX2
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+avx2 w8a8=true" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=W8A8
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+avx2,+avx512f,+avx512bw,+avx512vl,+avx512vnni w8a8=true" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=VNNI
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+avx2,+avx512f,+avx512bw,+avx512vl,+avx512vnni,+amx-tile,+amx-int8 w8a8=true" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=AMX
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+avx2,+avx512f,+avx512bw,+avx512vl,+avx512vnni" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=VNNI-WEIGHTS
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+neon,+fp-armv8,+dotprod,+fullfp16 w8a8=true" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=DOTPROD
// RUN: slmc-opt %s -split-input-file --slm-select-kernels="target-features=+neon,+fp-armv8,+dotprod,+fullfp16,+i8mm,+bf16 w8a8=true" --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm -verify-diagnostics | FileCheck %s --check-prefix=I8MM

// Tied int4-g32 embedding (embedding and logits), an asymmetric int4 linear,
// an int8 per-channel linear, an int3 one and a 3-bit codebook one (cb3-g32). Weights: codes 8x32 i8 (256 B),
// scales 8x2 f16 (32 B -> 64), ...; every constant 64-byte aligned.

// PLAN: module attributes {slm.memory_plan = #slm.memory_plan<arena_size = 2048, kv_cache_size = 0, max_tokens = 1>, slm.weights_size = 10496 : i64}
// PLAN: slm.constant {slm.weight_offset = 0 : i64} dense<17> : tensor<8x32xi8>
// PLAN: slm.constant {slm.weight_offset = 256 : i64} dense<1.000000e+00> : tensor<8x2xf16>
// PLAN: slm.dequantize %{{.*}}, %{{.*}} {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>} : (tensor<8x32xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
// PLAN: slm.embedding {{.*}} {slm.arena_offset = array<i64: 0>, slm.kernel = #slm<kernel qany>}
// PLAN: slm.constant {slm.weight_offset = 320 : i64} dense<3> : tensor<64x32xi8>
// PLAN: slm.constant {slm.weight_offset = 2368 : i64}
// PLAN: slm.constant {slm.weight_offset = 2624 : i64}
// PLAN: slm.dequantize %{{.*}}, %{{.*}}, %{{.*}} {format = #slm.weight_format<bits = 4, group = 32, symmetric = false>} :
// PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel q4>} :
// PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel q8>} :
// PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel qany>} :
// PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel qany>} :

// With w8a8 the int8 linear and the symmetric int4 one (the tied logits), and
// only they, get scratch for their int8 input: W8A8 4 rows of 64 codes, 4
// scales, 4 sums (one unit of 256 columns per channel); the asymmetric int4
// linear keeps its weight-only kernel.
// W8A8-PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel q4>} :
// W8A8-PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel w8a8>, slm.scratch_offset = {{[0-9]+}} : i64} :
// W8A8-PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel qany>} :
// W8A8-PLAN: slm.linear %{{.*}}, %{{.*}} {slm.arena_offset = array<i64: {{[0-9]+}}>, slm.kernel = #slm<kernel w4a8>, slm.scratch_offset = {{[0-9]+}} : i64} :

// The kernels: bits, group, minimums (null for symmetric formats).
// GENERIC-LABEL: llvm.func @slm_graph
// GENERIC-DAG: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// GENERIC-DAG: %[[BITS4:.*]] = llvm.mlir.constant(4 : i32) : i32
// GENERIC-DAG: %[[G32:.*]] = llvm.mlir.constant(32 : i64) : i64
// GENERIC: llvm.call @slm_uk_embedding_q(%{{.*}}, %{{.*}}, %{{.*}}, %[[NULL]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BITS4]], %[[G32]])
// The asymmetric linear passes its minimums (and a null bias).
// GENERIC: llvm.call @slm_uk_linear_q4(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}},
// GENERIC-NOT: %[[NULL]]
// GENERIC-SAME: , %[[NULL]], %{{[0-9]+}}, %{{[0-9]+}}
// GENERIC: llvm.call @slm_uk_linear_q8(
// GENERIC: llvm.call @slm_uk_linear_qany(
// GENERIC: llvm.call @slm_uk_linear_qany(
// GENERIC: llvm.call @slm_uk_linear_q4(
// GENERIC-NOT: slm_uk_linear(
// GENERIC-NOT: slm.dequantize

// With AVX-512 the 3-bit codebook takes the table-lookup kernel (bits 3, group 32)
// and int8 the shuffle-free decode.
// AVX512: llvm.call @slm_uk_linear_q4_avx512(
// AVX512: llvm.call @slm_uk_linear_q8_avx512(
// AVX512: llvm.call @slm_uk_linear_qany(
// AVX512: %[[G32:[0-9]+]] = llvm.mlir.constant(32 : i64) : i64
// AVX512-NEXT: %[[BITS3:[0-9]+]] = llvm.mlir.constant(3 : i32) : i32
// AVX512: llvm.call @slm_uk_linear_table_avx512({{.*}}, %[[BITS3]], %[[G32]])
// AVX512: llvm.call @slm_uk_linear_q4_avx512(

// AVX2 without AVX-512 (Haswell to Zen 3): 4-bit integer codes take the
// eight-lane decode, int8 its own, the 3-bit codebook the AVX2 table lookup,
// int3 the generic kernel.
// AVX2: llvm.call @slm_uk_linear_q4_avx2(
// AVX2: llvm.call @slm_uk_linear_q8_avx2(
// AVX2: llvm.call @slm_uk_linear_qany(
// AVX2: %[[G32:[0-9]+]] = llvm.mlir.constant(32 : i64) : i64
// AVX2-NEXT: %[[BITS3:[0-9]+]] = llvm.mlir.constant(3 : i32) : i32
// AVX2: llvm.call @slm_uk_linear_table_avx2({{.*}}, %[[BITS3]], %[[G32]])
// AVX2: llvm.call @slm_uk_linear_q4_avx2(

// W8A8: llvm.call @slm_uk_linear_q4(
// W8A8: llvm.call @slm_uk_linear_w8a8(
// W8A8: llvm.call @slm_uk_linear_qany(
// W8A8: llvm.call @slm_uk_linear_w4a8(

// VNNI: llvm.call @slm_uk_linear_q4_vnni(
// VNNI: llvm.call @slm_uk_linear_w8a8_vnni(
// VNNI: llvm.call @slm_uk_linear_qany(
// VNNI: llvm.call @slm_uk_linear_table_avx512(
// VNNI: llvm.call @slm_uk_linear_w4a8_vnni(

// AMX-INT8 targets: W8A8 and W4A8 by AMX tiles (prefill), the rest as on VNNI ones.
// AMX: llvm.call @slm_uk_linear_q4_vnni(
// AMX: llvm.call @slm_uk_linear_w8a8_amx(
// AMX: llvm.call @slm_uk_linear_qany(
// AMX: llvm.call @slm_uk_linear_table_avx512(
// AMX: llvm.call @slm_uk_linear_w4a8_amx(

// Weight-only on AVX-512 VNNI targets, 4- and 8-bit integer codes take the integer-dot
// decodes (x as int8 digits), the 3-bit codebook the table lookups.
// VNNI-WEIGHTS: llvm.call @slm_uk_linear_q4_vnni(
// VNNI-WEIGHTS: llvm.call @slm_uk_linear_q8_vnni(
// VNNI-WEIGHTS: llvm.call @slm_uk_linear_qany(
// VNNI-WEIGHTS: llvm.call @slm_uk_linear_table_avx512(
// VNNI-WEIGHTS: llvm.call @slm_uk_linear_q4_vnni(

// An AArch64 target with the dot product: W8A8 and W4A8 by sdot, the rest generic.
// DOTPROD: llvm.call @slm_uk_linear_q4(
// DOTPROD: llvm.call @slm_uk_linear_w8a8_sdot(
// DOTPROD: llvm.call @slm_uk_linear_qany(
// DOTPROD: llvm.call @slm_uk_linear_w4a8_sdot(

// With the matrix multiply too: W8A8 by smmla (sdot for decode inside).
// I8MM: llvm.call @slm_uk_linear_q4(
// I8MM: llvm.call @slm_uk_linear_w8a8_smmla(
// I8MM: llvm.call @slm_uk_linear_qany(
// I8MM: llvm.call @slm_uk_linear_w4a8_sdot(
module {
  func.func @forward(%tokens: tensor<4xi64>) -> tensor<4x8xf32> {
    %table_codes = slm.constant dense<17> : tensor<8x32xi8>
    %table_scales = slm.constant dense<1.0> : tensor<8x2xf16>
    %table = slm.dequantize %table_codes, %table_scales {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>}
        : (tensor<8x32xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
    %x = slm.embedding %table, %tokens : tensor<8x64xf32>, tensor<4xi64> -> tensor<4x64xf32>
    %a_codes = slm.constant dense<3> : tensor<64x32xi8>
    %a_scales = slm.constant dense<0.5> : tensor<64x2xf16>
    %a_mins = slm.constant dense<-1.0> : tensor<64x2xf16>
    %a = slm.dequantize %a_codes, %a_scales, %a_mins {format = #slm.weight_format<bits = 4, group = 32, symmetric = false>}
        : (tensor<64x32xi8>, tensor<64x2xf16>, tensor<64x2xf16>) -> tensor<64x64xf32>
    %h1 = slm.linear %x, %a : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
    %b_codes = slm.constant dense<-2> : tensor<64x64xi8>
    %b_scales = slm.constant dense<0.25> : tensor<64x1xf16>
    %b = slm.dequantize %b_codes, %b_scales {format = #slm.weight_format<bits = 8, group = 0, symmetric = true>}
        : (tensor<64x64xi8>, tensor<64x1xf16>) -> tensor<64x64xf32>
    %h2 = slm.linear %h1, %b : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
    %c_codes = slm.constant dense<5> : tensor<64x24xi8>
    %c_scales = slm.constant dense<0.125> : tensor<64x2xf16>
    %c = slm.dequantize %c_codes, %c_scales {format = #slm.weight_format<bits = 3, group = 32, symmetric = true>}
        : (tensor<64x24xi8>, tensor<64x2xf16>) -> tensor<64x64xf32>
    %h3 = slm.linear %h2, %c : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
    %d_codes = slm.constant dense<7> : tensor<64x24xi8>
    %d_scales = slm.constant dense<0.5> : tensor<64x2xf16>
    %d_book = slm.constant dense<[-1.0, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1.0]> : tensor<8xf32>
    %d = slm.dequantize %d_codes, %d_scales codebook(%d_book : tensor<8xf32>) {format = #slm.weight_format<bits = 3, group = 32, symmetric = true, codebook = true>}
        : (tensor<64x24xi8>, tensor<64x2xf16>) -> tensor<64x64xf32>
    %h4 = slm.linear %h3, %d : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
    %logits = slm.linear %h4, %table : tensor<4x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
    return %logits : tensor<4x8xf32>
  }
}

// -----

// Wide integer codes: int6-g64 and asymmetric int5-g32 take the AVX-512 kernel for 5- to
// 8-bit codes (bits and group passed), its AVX2 port on AVX2 targets, the generic one elsewhere.
// GENERIC: llvm.call @slm_uk_linear_qany(
// GENERIC: llvm.call @slm_uk_linear_qany(
// AVX2: %[[BITS6:[0-9]+]] = llvm.mlir.constant(6 : i32) : i32
// AVX2-NEXT: llvm.call @slm_uk_linear_wide_avx2({{.*}}, %[[BITS6]], %{{[0-9]+}})
// AVX2: %[[BITS5:[0-9]+]] = llvm.mlir.constant(5 : i32) : i32
// AVX2-NEXT: llvm.call @slm_uk_linear_wide_avx2({{.*}}, %[[BITS5]], %{{[0-9]+}})
// AVX2-NOT: slm_uk_linear_qany
// AVX512: %[[BITS6:[0-9]+]] = llvm.mlir.constant(6 : i32) : i32
// AVX512-NEXT: llvm.call @slm_uk_linear_wide_avx512({{.*}}, %[[BITS6]], %{{[0-9]+}})
// AVX512: %[[BITS5:[0-9]+]] = llvm.mlir.constant(5 : i32) : i32
// AVX512-NEXT: llvm.call @slm_uk_linear_wide_avx512({{.*}}, %[[BITS5]], %{{[0-9]+}})
// AVX512-NOT: slm_uk_linear_qany
func.func @forward(%x: tensor<2x128xf32>) -> tensor<2x64xf32> {
  %a_codes = slm.constant dense<9> : tensor<64x96xi8>
  %a_scales = slm.constant dense<0.5> : tensor<64x2xf16>
  %a = slm.dequantize %a_codes, %a_scales {format = #slm.weight_format<bits = 6, group = 64, symmetric = true>}
      : (tensor<64x96xi8>, tensor<64x2xf16>) -> tensor<64x128xf32>
  %h = slm.linear %x, %a : tensor<2x128xf32>, tensor<64x128xf32> -> tensor<2x64xf32>
  %b_codes = slm.constant dense<3> : tensor<64x40xi8>
  %b_scales = slm.constant dense<0.25> : tensor<64x2xf16>
  %b_mins = slm.constant dense<-1.0> : tensor<64x2xf16>
  %b = slm.dequantize %b_codes, %b_scales, %b_mins {format = #slm.weight_format<bits = 5, group = 32, symmetric = false>}
      : (tensor<64x40xi8>, tensor<64x2xf16>, tensor<64x2xf16>) -> tensor<64x64xf32>
  %y = slm.linear %h, %b : tensor<2x64xf32>, tensor<64x64xf32> -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// Code generation fuses slm.dequantize into linear weights and embedding
// tables only; any other reader would need the float matrix.
func.func @forward(%a: tensor<2x64xf32>) -> tensor<64x64xf32> {
  %codes = slm.constant dense<1> : tensor<64x32xi8>
  %scales = slm.constant dense<1.0> : tensor<64x2xf16>
  // expected-error @+1 {{'slm.dequantize' op feeds an op other than an slm.linear weight or an slm.embedding table; code generation fuses it only into those}}
  %w = slm.dequantize %codes, %scales {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>}
      : (tensor<64x32xi8>, tensor<64x2xf16>) -> tensor<64x64xf32>
  %t = slm.transpose %w permutation = [1, 0] : tensor<64x64xf32> -> tensor<64x64xf32>
  return %t : tensor<64x64xf32>
}
