// RUN: slmc-opt %s -split-input-file --slm-select-kernels --slm-layout-weights --slm-plan-memory=max-tokens=4 --convert-slm-to-llvm --reconcile-unrealized-casts -verify-diagnostics | FileCheck %s

// A decoder step: the ABI fields are loaded from slm_step_args, int32 tokens
// are widened, each op becomes one micro-kernel call on arena/weight/cache
// pointers, the caches are updated in place and the logits copied out. With
// SLM_STEP_LAST_LOGITS in the flags (offset 4) the output head runs on the
// last row alone (rows R = 1, x and y advanced by N - R rows of 32 bytes) and
// that row is copied out.

// CHECK-LABEL: llvm.func @slm_forward(
// CHECK-SAME: !llvm.ptr) -> i32
// CHECK: %[[N:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK: %[[FLAGS_AT:.*]] = llvm.getelementptr %arg0[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[FLAGS:.*]] = llvm.load %[[FLAGS_AT]] : !llvm.ptr -> i32
// CHECK: %[[LAST:.*]] = llvm.and %[[FLAGS]], %{{.*}} : i32
// CHECK: %[[ASKED:.*]] = llvm.icmp "ne" %[[LAST]]
// CHECK: %[[ROWS:.*]] = llvm.select %[[ASKED]], %{{.*}}, %[[N]] : i1, i64
// CHECK: llvm.call @slm_uk_cast(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[N]])
// CHECK: llvm.call @slm_uk_embedding
// CHECK: llvm.call @slm_uk_rms_norm
// CHECK: llvm.call @slm_uk_rotary
// CHECK: llvm.call @slm_uk_attention
// CHECK: %[[SKIPPED:.*]] = llvm.sub %[[N]], %[[ROWS]] : i64
// CHECK: %[[X_SKIP:.*]] = llvm.mul %[[SKIPPED]], %{{.*}} : i64
// CHECK: %[[X:.*]] = llvm.getelementptr %{{.*}}[%[[X_SKIP]]]
// CHECK: %[[Y_SKIP:.*]] = llvm.mul %[[SKIPPED]], %{{.*}} : i64
// CHECK: %[[Y:.*]] = llvm.getelementptr %[[HEAD_OUT:.*]][%[[Y_SKIP]]]
// CHECK: llvm.call @slm_uk_linear(%{{.*}}, %[[X]], %{{.*}}, %{{.*}}, %[[Y]], %[[ROWS]],
// CHECK: %[[LOGITS:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[FROM:.*]] = llvm.getelementptr %[[HEAD_OUT]][
// CHECK: %[[BYTES:.*]] = llvm.mul %[[ROWS]],
// CHECK: "llvm.intr.memcpy"(%[[LOGITS]], %[[FROM]], %[[BYTES]])
// CHECK: llvm.return %{{.*}} : i32
// CHECK-NOT: func.func
// CHECK-NOT: unrealized_conversion_cast
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 8, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 8, layers = 1, heads = 2, kv_heads = 2, head_dim = 4}>} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<8x2x4xf32>, %vc: tensor<8x2x4xf32>)
      -> (tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>) {
    %table = slm.constant dense<1.0> : tensor<8x8xf32>
    %w = slm.constant dense<1.0> : tensor<8xf32>
    %shape = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %x = slm.embedding %table, %tokens : tensor<8x8xf32>, tensor<?xi64> -> tensor<?x8xf32>
    %h = slm.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %k = slm.reshape %h, %shape : tensor<?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %r = slm.rotary %k, %pos {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x2x4xf32>, tensor<i64> -> tensor<?x2x4xf32>
    %o, %k2, %v2 = slm.attention %r, %r, %k cache(%kc, %vc at %pos) {scale = 0.5 : f32, causal}
        : (tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>, tensor<i64>)
        -> (tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>)
    %oshape = slm.constant dense<[-1, 8]> : tensor<2xi64>
    %o2 = slm.reshape %o, %oshape : tensor<?x2x4xf32>, tensor<2xi64> -> tensor<?x8xf32>
    %logits = slm.linear %o2, %table : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    return %logits, %k2, %v2 : tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>
  }
}

// -----

// Logits through an op after the head (a soft cap): the head runs on every
// row, and the last row of the capped logits is copied out.

// CHECK-LABEL: llvm.func @slm_forward(
// CHECK: %[[N:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK: %[[ROWS:.*]] = llvm.select %{{.*}}, %{{.*}}, %[[N]] : i1, i64
// CHECK: llvm.call @slm_uk_linear(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[N]],
// CHECK: llvm.call @slm_uk_unary
// CHECK: %[[SKIPPED:.*]] = llvm.sub %[[N]], %[[ROWS]] : i64
// CHECK: %[[BYTES:.*]] = llvm.mul %[[ROWS]],
// CHECK: "llvm.intr.memcpy"(%{{.*}}, %{{.*}}, %[[BYTES]])
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 8, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 8, layers = 1, heads = 2, kv_heads = 2, head_dim = 4}>} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<8x2x4xf32>, %vc: tensor<8x2x4xf32>)
      -> (tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>) {
    %table = slm.constant dense<1.0> : tensor<8x8xf32>
    %shape = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %x = slm.embedding %table, %tokens : tensor<8x8xf32>, tensor<?xi64> -> tensor<?x8xf32>
    %k = slm.reshape %x, %shape : tensor<?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %o, %k2, %v2 = slm.attention %k, %k, %k cache(%kc, %vc at %pos) {scale = 0.5 : f32, causal}
        : (tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>, tensor<i64>)
        -> (tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>)
    %oshape = slm.constant dense<[-1, 8]> : tensor<2xi64>
    %o2 = slm.reshape %o, %oshape : tensor<?x2x4xf32>, tensor<2xi64> -> tensor<?x8xf32>
    %head = slm.linear %o2, %table : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    %logits = slm.tanh %head : tensor<?x8xf32>
    return %logits, %k2, %v2 : tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>
  }
}

// -----

// An ONNX model's head on [1, tokens, 8], reshaped to [tokens, 8]: still the
// head, on the last row alone when asked.

// CHECK-LABEL: llvm.func @slm_forward(
// CHECK: %[[ROWS:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i64
// CHECK: llvm.call @slm_uk_linear(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ROWS]],
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 8, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 8, layers = 1, heads = 2, kv_heads = 2, head_dim = 4}>} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<8x2x4xf32>, %vc: tensor<8x2x4xf32>)
      -> (tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>) {
    %table = slm.constant dense<1.0> : tensor<8x8xf32>
    %shape = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %x = slm.embedding %table, %tokens : tensor<8x8xf32>, tensor<?xi64> -> tensor<?x8xf32>
    %k = slm.reshape %x, %shape : tensor<?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %o, %k2, %v2 = slm.attention %k, %k, %k cache(%kc, %vc at %pos) {scale = 0.5 : f32, causal}
        : (tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>, tensor<i64>)
        -> (tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>)
    %oshape = slm.constant dense<[1, -1, 8]> : tensor<3xi64>
    %o2 = slm.reshape %o, %oshape : tensor<?x2x4xf32>, tensor<3xi64> -> tensor<1x?x8xf32>
    %head = slm.linear %o2, %table : tensor<1x?x8xf32>, tensor<8x8xf32> -> tensor<1x?x8xf32>
    %lshape = slm.constant dense<[-1, 8]> : tensor<2xi64>
    %logits = slm.reshape %head, %lshape : tensor<1x?x8xf32>, tensor<2xi64> -> tensor<?x8xf32>
    return %logits, %k2, %v2 : tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>
  }
}

// -----

// A static graph: inputs come from slm_graph_args.inputs, broadcasting
// binaries pass shape and stride arrays, results are copied to the outputs.

// CHECK-LABEL: llvm.func @slm_graph(%{{.*}}: !llvm.ptr) -> i32
// CHECK: llvm.call @slm_uk_binary
// CHECK: llvm.call @slm_uk_reduce
// CHECK: llvm.call @slm_uk_softmax
// CHECK: llvm.call @slm_uk_copy
// CHECK-COUNT-2: "llvm.intr.memcpy"
func.func @forward(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x1xf32>, tensor<3x2xf32>) {
  %s = slm.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %r = slm.reduce_sum %s axes = [1] : tensor<2x3xf32> -> tensor<2x1xf32>
  %m = slm.softmax %s : tensor<2x3xf32>
  %t = slm.transpose %m permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %r, %t : tensor<2x1xf32>, tensor<3x2xf32>
}

// -----

func.func @forward(%a: tensor<3x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{'slm.trilu' op has no micro-kernel in the code generator yet}}
  %t = slm.trilu %a : tensor<3x3xf32> -> tensor<3x3xf32>
  return %t : tensor<3x3xf32>
}

// -----

func.func @forward(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'slm.relu' op has a dynamic shape; code generation needs static shapes (or a decoder with a KV cache)}}
  %t = slm.relu %a : tensor<?x3xf32>
  return %t : tensor<?x3xf32>
}

// -----

// A fused chain is one loop: a single-element input is loaded before it, the
// body's arith and math ops become LLVM's, one store per element.
// CHECK-LABEL: llvm.func @slm_graph
// CHECK: %[[C:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK: llvm.br ^[[HEADER:.*]](%{{.*}} : i64)
// CHECK: ^[[HEADER]](%[[I:.*]]: i64):
// CHECK: llvm.icmp "slt" %[[I]]
// CHECK: llvm.cond_br
// CHECK: llvm.fmul %{{.*}}, %[[C]]
// CHECK: llvm.intr.exp
// CHECK: llvm.store
// CHECK-NOT: llvm.call @slm_uk_unary
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c = slm.constant dense<1.702> : tensor<f32>
  %y = slm.elementwise %x, %c : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    %e = math.exp %m : f32
    slm.yield %e : f32
  }
  return %y : tensor<2x8xf32>
}
