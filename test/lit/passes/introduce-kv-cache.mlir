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

// -----

// Exported "with past": the caller holds the cache. Attention reads
// concat(past, new) and the graph returns it as present.0.*; the rotary
// embeddings start at the first position id; the attention mask was taken in
// by slm-fuse-attention. The same decoder step comes out: the attention takes
// the new keys and values and slmc's caches, the rotary embeddings the step's
// position, and the mask, position and past inputs and the presents are gone.
// CHECK: architecture = "decoder"
// CHECK-SAME: layers = 1, heads = 2, kv_heads = 1, head_dim = 4
// CHECK-NEXT: func.func @forward(
// CHECK-SAME: %[[TOKENS:.*]]: tensor<?xi64> {slm.name = "tokens"}, %[[POS:.*]]: tensor<i64> {slm.name = "position"}, %[[KC:.*]]: tensor<?x1x4xf32>, %[[VC:.*]]: tensor<?x1x4xf32>)
// CHECK-SAME: -> (tensor<?x16xf32> {slm.name = "logits"}, tensor<?x1x4xf32>, tensor<?x1x4xf32>)
// CHECK-NOT: slm.gather
// CHECK: %[[K:.*]] = slm.reshape %{{.*}} -> tensor<?x1x4xf32>
// CHECK: %[[RK:.*]] = slm.rotary %[[K]], %[[POS]]
// CHECK-NOT: slm.concat
// CHECK: %{{.*}}, %[[CACHES:.*]]:2 = slm.attention %{{.*}}, %[[RK]], %{{.*}} cache(%[[KC]], %[[VC]] at %[[POS]]) {causal, scale = 5.000000e-01 : f32}
// CHECK: return %{{.*}}, %[[CACHES]]#0, %[[CACHES]]#1
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}, %mask: tensor<1x?xi64> {slm.name = "attention_mask"},
                     %positions: tensor<1x?xi64> {slm.name = "position_ids"},
                     %past_k: tensor<1x1x?x4xf32> {slm.name = "past_key_values.0.key"}, %past_v: tensor<1x1x?x4xf32> {slm.name = "past_key_values.0.value"})
      -> (tensor<1x?x16xf32> {slm.name = "logits"}, tensor<1x1x?x4xf32> {slm.name = "present.0.key"}, tensor<1x1x?x4xf32> {slm.name = "present.0.value"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %i0 = slm.constant dense<0> : tensor<i64>
    %column = slm.gather %positions[%i0] axis = 1 : tensor<1x?xi64>, tensor<i64> -> tensor<1xi64>
    %start = slm.gather %column[%i0] axis = 0 : tensor<1xi64>, tensor<i64> -> tensor<i64>
    %s8 = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %q = slm.reshape %emb, %s8 : tensor<1x?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %rq = slm.rotary %q, %start {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x2x4xf32>, tensor<i64> -> tensor<?x2x4xf32>
    %wk = slm.constant dense<0.25> : tensor<4x8xf32>
    %k0 = slm.linear %emb, %wk : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %s4 = slm.constant dense<[-1, 1, 4]> : tensor<3xi64>
    %k = slm.reshape %k0, %s4 : tensor<1x?x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %rk = slm.rotary %k, %start {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x1x4xf32>, tensor<i64> -> tensor<?x1x4xf32>
    // [tokens, 1, 4] -> [1, 1, tokens, 4], appended to the past, and back.
    %s1 = slm.constant dense<[1, -1, 1, 4]> : tensor<4xi64>
    %rk4 = slm.reshape %rk, %s1 : tensor<?x1x4xf32>, tensor<4xi64> -> tensor<1x?x1x4xf32>
    %rkh = slm.transpose %rk4 permutation = [0, 2, 1, 3] : tensor<1x?x1x4xf32> -> tensor<1x1x?x4xf32>
    %v4 = slm.reshape %k, %s1 : tensor<?x1x4xf32>, tensor<4xi64> -> tensor<1x?x1x4xf32>
    %vh = slm.transpose %v4 permutation = [0, 2, 1, 3] : tensor<1x?x1x4xf32> -> tensor<1x1x?x4xf32>
    %all_k = slm.concat %past_k, %rkh axis = 2 : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
    %all_v = slm.concat %past_v, %vh axis = 2 : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
    %kt = slm.transpose %all_k permutation = [0, 2, 1, 3] : tensor<1x1x?x4xf32> -> tensor<1x?x1x4xf32>
    %kb = slm.reshape %kt, %s4 : tensor<1x?x1x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %vt = slm.transpose %all_v permutation = [0, 2, 1, 3] : tensor<1x1x?x4xf32> -> tensor<1x?x1x4xf32>
    %vb = slm.reshape %vt, %s4 : tensor<1x?x1x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %o = slm.attention %rq, %kb, %vb {scale = 0.5 : f32, causal} : (tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>) -> tensor<?x2x4xf32>
    %sback = slm.constant dense<[1, -1, 8]> : tensor<3xi64>
    %flat = slm.reshape %o, %sback : tensor<?x2x4xf32>, tensor<3xi64> -> tensor<1x?x8xf32>
    %logits = slm.linear %flat, %table : tensor<1x?x8xf32>, tensor<16x8xf32> -> tensor<1x?x16xf32>
    return %logits, %all_k, %all_v : tensor<1x?x16xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>
  }
}
