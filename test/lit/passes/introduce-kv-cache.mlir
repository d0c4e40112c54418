// RUN: slmc-opt %s -split-input-file --slm-introduce-kv-cache --canonicalize -verify-diagnostics | FileCheck %s

// A fused graph-level decoder (token ids [1, tokens] -> logits) becomes a
// decoder step: tokens and position in, one key and one value cache per
// attention, rotary embeddings at the step's position, logits [tokens, vocab]
// and the updated caches out, and the contract records the decoder's shape.
// CHECK: slm.model = #slm.model<architecture = "decoder", source = "onnx", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 8, layers = 1, heads = 2, kv_heads = 1, head_dim = 4}>
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[TOKENS:.*]]: tensor<?xi64> {slm.name = "tokens"}, %[[POS:.*]]: tensor<i64> {slm.name = "position"}, %[[KC:.*]]: tensor<?x1x4xf32>, %[[VC:.*]]: tensor<?x1x4xf32>)
// CHECK-SAME: -> (tensor<?x16xf32> {slm.name = "logits"}, tensor<?x1x4xf32>, tensor<?x1x4xf32>)
// CHECK: slm.reshape %[[TOKENS]], %{{.*}} -> tensor<1x?xi64>
// CHECK: slm.rotary %{{.*}}, %[[POS]]
// CHECK: %{{.*}}, %[[CACHES:.*]]:2 = slm.attention %{{.*}}, %{{.*}}, %{{.*}} cache(%[[KC]], %[[VC]] at %[[POS]]) {causal, scale = 5.000000e-01 : f32}
// CHECK: return %{{.*}}, %[[CACHES]]#0, %[[CACHES]]#1
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x16xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %s8 = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %q = slm.reshape %emb, %s8 : tensor<1x?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %zero = slm.constant dense<0> : tensor<i64>
    %rq = slm.rotary %q, %zero {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x2x4xf32>, tensor<i64> -> tensor<?x2x4xf32>
    %wk = slm.constant dense<0.25> : tensor<4x8xf32>
    %k0 = slm.linear %emb, %wk : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %s4 = slm.constant dense<[-1, 1, 4]> : tensor<3xi64>
    %k = slm.reshape %k0, %s4 : tensor<1x?x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %rk = slm.rotary %k, %zero {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x1x4xf32>, tensor<i64> -> tensor<?x1x4xf32>
    %o = slm.attention %rq, %rk, %k {scale = 0.5 : f32, causal} : (tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>) -> tensor<?x2x4xf32>
    %sback = slm.constant dense<[1, -1, 8]> : tensor<3xi64>
    %flat = slm.reshape %o, %sback : tensor<?x2x4xf32>, tensor<3xi64> -> tensor<1x?x8xf32>
    %logits = slm.linear %flat, %table : tensor<1x?x8xf32>, tensor<16x8xf32> -> tensor<1x?x16xf32>
    return %logits : tensor<1x?x16xf32>
  }
}

// -----

// A graph that still builds positions from the sequence (here a learned
// position embedding looked up with range(0, tokens)) cannot be cached as it
// stands: it stays a graph, and a remark says why.
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2>} {
  // expected-remark @+1 {{stays a graph without KV cache: the graph still computes slm.shape from the sequence}}
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x16xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %positions = slm.constant dense<0.25> : tensor<8x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %i0 = slm.constant dense<0> : tensor<i64>
    %i1 = slm.constant dense<1> : tensor<i64>
    %n = slm.gather %shape[%i1] axis = 0 : tensor<2xi64>, tensor<i64> -> tensor<i64>
    %r = slm.range %i0, %n, %i1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %pe = slm.embedding %positions, %r : tensor<8x8xf32>, tensor<?xi64> -> tensor<?x8xf32>
    %x = slm.add %emb, %pe : tensor<1x?x8xf32>, tensor<?x8xf32> -> tensor<1x?x8xf32>
    %s8 = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %q = slm.reshape %x, %s8 : tensor<1x?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %o = slm.attention %q, %q, %q {scale = 0.5 : f32, causal} : (tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>) -> tensor<?x2x4xf32>
    %sback = slm.constant dense<[1, -1, 8]> : tensor<3xi64>
    %flat = slm.reshape %o, %sback : tensor<?x2x4xf32>, tensor<3xi64> -> tensor<1x?x8xf32>
    %logits = slm.linear %flat, %table : tensor<1x?x8xf32>, tensor<16x8xf32> -> tensor<1x?x16xf32>
    return %logits : tensor<1x?x16xf32>
  }
}
