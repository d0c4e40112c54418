// RUN: slmc-opt %s -split-input-file --slm-fuse-attention --canonicalize | FileCheck %s

// Grouped-query attention as torch exports a Llama: q·kᵀ / sqrt(d) over the
// keys repeated by unsqueeze/expand/reshape, the causal mask applied with
// `where` from a range of positions, softmax, ·v. The fused op reads the two
// key/value heads unrepeated and works on [tokens, heads, head_dim].
// CHECK-LABEL: func @forward
// CHECK: %[[Q:.*]] = slm.reshape %{{.*}} -> tensor<?x4x2xf32>
// CHECK-NEXT: %[[K:.*]] = slm.reshape %{{.*}} -> tensor<?x2x2xf32>
// CHECK-NEXT: %[[V:.*]] = slm.reshape %{{.*}} -> tensor<?x2x2xf32>
// CHECK-NEXT: %{{.*}} = slm.attention %[[Q]], %[[K]], %[[V]] {causal, scale = 0.707106769 : f32} : (tensor<?x4x2xf32>, tensor<?x2x2xf32>, tensor<?x2x2xf32>) -> tensor<?x4x2xf32>
// CHECK-NOT: slm.softmax
// CHECK-NOT: slm.expand
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x4x?x2xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %wq = slm.constant dense<0.25> : tensor<8x8xf32>
    %wkv = slm.constant dense<0.125> : tensor<4x8xf32>
    %q0 = slm.linear %emb, %wq : tensor<1x?x8xf32>, tensor<8x8xf32> -> tensor<1x?x8xf32>
    %k0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %v0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %sq = slm.constant dense<[1, -1, 4, 2]> : tensor<4xi64>
    %skv = slm.constant dense<[1, -1, 2, 2]> : tensor<4xi64>
    %q1 = slm.reshape %q0, %sq : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
    %k1 = slm.reshape %k0, %skv : tensor<1x?x4xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %v1 = slm.reshape %v0, %skv : tensor<1x?x4xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %q = slm.transpose %q1 permutation = [0, 2, 1, 3] : tensor<1x?x4x2xf32> -> tensor<1x4x?x2xf32>
    %k = slm.transpose %k1 permutation = [0, 2, 1, 3] : tensor<1x?x2x2xf32> -> tensor<1x2x?x2xf32>
    %v = slm.transpose %v1 permutation = [0, 2, 1, 3] : tensor<1x?x2x2xf32> -> tensor<1x2x?x2xf32>
    // repeat_kv: [1, 2, T, 2] -> [1, 2, 1, T, 2] -> [1, 2, 2, T, 2] -> [1, 4, T, 2]
    %s5 = slm.constant dense<[1, 2, 1, -1, 2]> : tensor<5xi64>
    %e5 = slm.constant dense<[1, 2, 2, 1, 2]> : tensor<5xi64>
    %s4 = slm.constant dense<[1, 4, -1, 2]> : tensor<4xi64>
    %k5 = slm.reshape %k, %s5 : tensor<1x2x?x2xf32>, tensor<5xi64> -> tensor<1x2x1x?x2xf32>
    %ke = slm.expand %k5, %e5 : tensor<1x2x1x?x2xf32>, tensor<5xi64> -> tensor<1x2x2x?x2xf32>
    %kr = slm.reshape %ke, %s4 : tensor<1x2x2x?x2xf32>, tensor<4xi64> -> tensor<1x4x?x2xf32>
    %v5 = slm.reshape %v, %s5 : tensor<1x2x?x2xf32>, tensor<5xi64> -> tensor<1x2x1x?x2xf32>
    %ve = slm.expand %v5, %e5 : tensor<1x2x1x?x2xf32>, tensor<5xi64> -> tensor<1x2x2x?x2xf32>
    %vr = slm.reshape %ve, %s4 : tensor<1x2x2x?x2xf32>, tensor<4xi64> -> tensor<1x4x?x2xf32>
    %kt = slm.transpose %kr permutation = [0, 1, 3, 2] : tensor<1x4x?x2xf32> -> tensor<1x4x2x?xf32>
    %scores = slm.matmul %q, %kt : tensor<1x4x?x2xf32>, tensor<1x4x2x?xf32> -> tensor<1x4x?x?xf32>
    %c = slm.constant dense<1.41421354> : tensor<f32>
    %scaled = slm.div %scores, %c : tensor<1x4x?x?xf32>, tensor<f32> -> tensor<1x4x?x?xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %i1 = slm.constant dense<1> : tensor<i64>
    %i0 = slm.constant dense<0> : tensor<i64>
    %n = slm.gather %shape[%i1] axis = 0 : tensor<2xi64>, tensor<i64> -> tensor<i64>
    %r = slm.range %i0, %n, %i1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %row = slm.unsqueeze %r axes = [0] : tensor<?xi64> -> tensor<1x?xi64>
    %col = slm.unsqueeze %r axes = [1] : tensor<?xi64> -> tensor<?x1xi64>
    %future = slm.greater %row, %col : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
    %fill = slm.constant dense<-3.40282347E+38> : tensor<f32>
    %masked = slm.where %future, %fill, %scaled : tensor<?x?xi1>, tensor<f32>, tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
    %p = slm.softmax %masked : tensor<1x4x?x?xf32>
    %o = slm.matmul %p, %vr : tensor<1x4x?x?xf32>, tensor<1x4x?x2xf32> -> tensor<1x4x?x2xf32>
    return %o : tensor<1x4x?x2xf32>
  }
}

// -----

// An additive mask sliced from a stored table (as llama2.c's model does), the
// scale multiplied in.
// CHECK-LABEL: func @forward
// CHECK: slm.attention {{.*}} {causal, scale = 0.707106769 : f32}
// CHECK-NOT: slm.softmax
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x4x?x2xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %wq = slm.constant dense<0.25> : tensor<8x8xf32>
    %wkv = slm.constant dense<0.125> : tensor<4x8xf32>
    %q0 = slm.linear %emb, %wq : tensor<1x?x8xf32>, tensor<8x8xf32> -> tensor<1x?x8xf32>
    %k0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %v0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %sq = slm.constant dense<[1, -1, 4, 2]> : tensor<4xi64>
    %skv = slm.constant dense<[1, -1, 2, 2]> : tensor<4xi64>
    %q1 = slm.reshape %q0, %sq : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
    %k1 = slm.reshape %k0, %skv : tensor<1x?x4xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %v1 = slm.reshape %v0, %skv : tensor<1x?x4xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %q = slm.transpose %q1 permutation = [0, 2, 1, 3] : tensor<1x?x4x2xf32> -> tensor<1x4x?x2xf32>
    %k = slm.transpose %k1 permutation = [0, 2, 1, 3] : tensor<1x?x2x2xf32> -> tensor<1x2x?x2xf32>
    %v = slm.transpose %v1 permutation = [0, 2, 1, 3] : tensor<1x?x2x2xf32> -> tensor<1x2x?x2xf32>
    // repeat_kv: [1, 2, T, 2] -> [1, 2, 1, T, 2] -> [1, 2, 2, T, 2] -> [1, 4, T, 2]
    %s5 = slm.constant dense<[1, 2, 1, -1, 2]> : tensor<5xi64>
    %e5 = slm.constant dense<[1, 2, 2, 1, 2]> : tensor<5xi64>
    %s4 = slm.constant dense<[1, 4, -1, 2]> : tensor<4xi64>
    %k5 = slm.reshape %k, %s5 : tensor<1x2x?x2xf32>, tensor<5xi64> -> tensor<1x2x1x?x2xf32>
    %ke = slm.expand %k5, %e5 : tensor<1x2x1x?x2xf32>, tensor<5xi64> -> tensor<1x2x2x?x2xf32>
    %kr = slm.reshape %ke, %s4 : tensor<1x2x2x?x2xf32>, tensor<4xi64> -> tensor<1x4x?x2xf32>
    %v5 = slm.reshape %v, %s5 : tensor<1x2x?x2xf32>, tensor<5xi64> -> tensor<1x2x1x?x2xf32>
    %ve = slm.expand %v5, %e5 : tensor<1x2x1x?x2xf32>, tensor<5xi64> -> tensor<1x2x2x?x2xf32>
    %vr = slm.reshape %ve, %s4 : tensor<1x2x2x?x2xf32>, tensor<4xi64> -> tensor<1x4x?x2xf32>
    %kt = slm.transpose %kr permutation = [0, 1, 3, 2] : tensor<1x4x?x2xf32> -> tensor<1x4x2x?xf32>
    %scores = slm.matmul %q, %kt : tensor<1x4x?x2xf32>, tensor<1x4x2x?xf32> -> tensor<1x4x?x?xf32>
    %c = slm.constant dense<0.707106769> : tensor<f32>
    %scaled = slm.mul %scores, %c : tensor<1x4x?x?xf32>, tensor<f32> -> tensor<1x4x?x?xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %c0 = slm.constant dense<0> : tensor<2xi64>
    %c1 = slm.constant dense<1> : tensor<2xi64>
    %axes = slm.constant dense<[0, 1]> : tensor<2xi64>
    %one = slm.constant dense<1> : tensor<1xi64>
    %two = slm.constant dense<2> : tensor<1xi64>
    %zero = slm.constant dense<0> : tensor<1xi64>
    %n1 = slm.slice %shape[%one, %two, %zero, %one] : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %ends = slm.concat %n1, %n1 axis = 0 : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
    %full = slm.constant dense<[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, 0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<6x6xf32>
    %mask = slm.slice %full[%c0, %ends, %axes, %c1] : (tensor<6x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
    %masked = slm.add %scaled, %mask : tensor<1x4x?x?xf32>, tensor<?x?xf32> -> tensor<1x4x?x?xf32>
    %p = slm.softmax %masked : tensor<1x4x?x?xf32>
    %o = slm.matmul %p, %vr : tensor<1x4x?x?xf32>, tensor<1x4x?x2xf32> -> tensor<1x4x?x2xf32>
    return %o : tensor<1x4x?x2xf32>
  }
}

// -----

// A mask that also hides each token from itself is not causal attention.
// CHECK-LABEL: func @forward
// CHECK-NOT: slm.attention
// CHECK: slm.softmax
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x4x?x2xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %wq = slm.constant dense<0.25> : tensor<8x8xf32>
    %wkv = slm.constant dense<0.125> : tensor<4x8xf32>
    %q0 = slm.linear %emb, %wq : tensor<1x?x8xf32>, tensor<8x8xf32> -> tensor<1x?x8xf32>
    %k0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %v0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %sq = slm.constant dense<[1, -1, 4, 2]> : tensor<4xi64>
    %skv = slm.constant dense<[1, -1, 2, 2]> : tensor<4xi64>
    %q1 = slm.reshape %q0, %sq : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
    %k1 = slm.reshape %k0, %skv : tensor<1x?x4xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %v1 = slm.reshape %v0, %skv : tensor<1x?x4xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %q = slm.transpose %q1 permutation = [0, 2, 1, 3] : tensor<1x?x4x2xf32> -> tensor<1x4x?x2xf32>
    %k = slm.transpose %k1 permutation = [0, 2, 1, 3] : tensor<1x?x2x2xf32> -> tensor<1x2x?x2xf32>
    %v = slm.transpose %v1 permutation = [0, 2, 1, 3] : tensor<1x?x2x2xf32> -> tensor<1x2x?x2xf32>
    // repeat_kv: [1, 2, T, 2] -> [1, 2, 1, T, 2] -> [1, 2, 2, T, 2] -> [1, 4, T, 2]
    %s5 = slm.constant dense<[1, 2, 1, -1, 2]> : tensor<5xi64>
    %e5 = slm.constant dense<[1, 2, 2, 1, 2]> : tensor<5xi64>
    %s4 = slm.constant dense<[1, 4, -1, 2]> : tensor<4xi64>
    %k5 = slm.reshape %k, %s5 : tensor<1x2x?x2xf32>, tensor<5xi64> -> tensor<1x2x1x?x2xf32>
    %ke = slm.expand %k5, %e5 : tensor<1x2x1x?x2xf32>, tensor<5xi64> -> tensor<1x2x2x?x2xf32>
    %kr = slm.reshape %ke, %s4 : tensor<1x2x2x?x2xf32>, tensor<4xi64> -> tensor<1x4x?x2xf32>
    %v5 = slm.reshape %v, %s5 : tensor<1x2x?x2xf32>, tensor<5xi64> -> tensor<1x2x1x?x2xf32>
    %ve = slm.expand %v5, %e5 : tensor<1x2x1x?x2xf32>, tensor<5xi64> -> tensor<1x2x2x?x2xf32>
    %vr = slm.reshape %ve, %s4 : tensor<1x2x2x?x2xf32>, tensor<4xi64> -> tensor<1x4x?x2xf32>
    %kt = slm.transpose %kr permutation = [0, 1, 3, 2] : tensor<1x4x?x2xf32> -> tensor<1x4x2x?xf32>
    %scores = slm.matmul %q, %kt : tensor<1x4x?x2xf32>, tensor<1x4x2x?xf32> -> tensor<1x4x?x?xf32>
    %c = slm.constant dense<1.41421354> : tensor<f32>
    %scaled = slm.div %scores, %c : tensor<1x4x?x?xf32>, tensor<f32> -> tensor<1x4x?x?xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %i1 = slm.constant dense<1> : tensor<i64>
    %i0 = slm.constant dense<0> : tensor<i64>
    %n = slm.gather %shape[%i1] axis = 0 : tensor<2xi64>, tensor<i64> -> tensor<i64>
    %r = slm.range %i0, %n, %i1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %row = slm.unsqueeze %r axes = [0] : tensor<?xi64> -> tensor<1x?xi64>
    %col = slm.unsqueeze %r axes = [1] : tensor<?xi64> -> tensor<?x1xi64>
    %future = slm.greater_equal %row, %col : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
    %fill = slm.constant dense<-3.40282347E+38> : tensor<f32>
    %masked = slm.where %future, %fill, %scaled : tensor<?x?xi1>, tensor<f32>, tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
    %p = slm.softmax %masked : tensor<1x4x?x?xf32>
    %o = slm.matmul %p, %vr : tensor<1x4x?x?xf32>, tensor<1x4x?x2xf32> -> tensor<1x4x?x2xf32>
    return %o : tensor<1x4x?x2xf32>
  }
}

// -----

// llama2.c's layout: keys and values repeated while tokens come first
// ([1, T, 2, 2] -> [1, T, 2, 1, 2] -> [1, T, 2, 2, 2] -> [1, T, 4, 2]), kᵀ as one
// [0, 2, 3, 1] transpose, the mask added. The fused op reads the unrepeated
// tokens-first keys and values without a transpose.
// CHECK-LABEL: func @forward
// CHECK: %[[K:.*]] = slm.linear %{{.*}} -> tensor<1x?x4xf32>
// CHECK: %[[V:.*]] = slm.linear %{{.*}} -> tensor<1x?x4xf32>
// CHECK-DAG: %[[K3:.*]] = slm.reshape %[[K]], %{{.*}} -> tensor<?x2x2xf32>
// CHECK-DAG: %[[V3:.*]] = slm.reshape %[[V]], %{{.*}} -> tensor<?x2x2xf32>
// CHECK: slm.attention %{{.*}}, %[[K3]], %[[V3]] {causal, scale = 0.707106769 : f32} : (tensor<?x4x2xf32>, tensor<?x2x2xf32>, tensor<?x2x2xf32>) -> tensor<?x4x2xf32>
// CHECK-NOT: slm.expand
// CHECK-NOT: slm.softmax
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x4x?x2xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %wq = slm.constant dense<0.25> : tensor<8x8xf32>
    %wkv = slm.constant dense<0.125> : tensor<4x8xf32>
    %q0 = slm.linear %emb, %wq : tensor<1x?x8xf32>, tensor<8x8xf32> -> tensor<1x?x8xf32>
    %k0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %v0 = slm.linear %emb, %wkv : tensor<1x?x8xf32>, tensor<4x8xf32> -> tensor<1x?x4xf32>
    %sq = slm.constant dense<[1, -1, 4, 2]> : tensor<4xi64>
    %s5 = slm.constant dense<[1, -1, 2, 1, 2]> : tensor<5xi64>
    %e5 = slm.constant dense<[1, 1, 2, 2, 2]> : tensor<5xi64>
    %q1 = slm.reshape %q0, %sq : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
    %k5 = slm.reshape %k0, %s5 : tensor<1x?x4xf32>, tensor<5xi64> -> tensor<1x?x2x1x2xf32>
    %ke = slm.expand %k5, %e5 : tensor<1x?x2x1x2xf32>, tensor<5xi64> -> tensor<1x?x2x2x2xf32>
    %kr = slm.reshape %ke, %sq : tensor<1x?x2x2x2xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
    %v5 = slm.reshape %v0, %s5 : tensor<1x?x4xf32>, tensor<5xi64> -> tensor<1x?x2x1x2xf32>
    %ve = slm.expand %v5, %e5 : tensor<1x?x2x1x2xf32>, tensor<5xi64> -> tensor<1x?x2x2x2xf32>
    %vr = slm.reshape %ve, %sq : tensor<1x?x2x2x2xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
    %q = slm.transpose %q1 permutation = [0, 2, 1, 3] : tensor<1x?x4x2xf32> -> tensor<1x4x?x2xf32>
    %kt = slm.transpose %kr permutation = [0, 2, 3, 1] : tensor<1x?x4x2xf32> -> tensor<1x4x2x?xf32>
    %v = slm.transpose %vr permutation = [0, 2, 1, 3] : tensor<1x?x4x2xf32> -> tensor<1x4x?x2xf32>
    %scores = slm.matmul %q, %kt : tensor<1x4x?x2xf32>, tensor<1x4x2x?xf32> -> tensor<1x4x?x?xf32>
    %c = slm.constant dense<1.41421354> : tensor<f32>
    %scaled = slm.div %scores, %c : tensor<1x4x?x?xf32>, tensor<f32> -> tensor<1x4x?x?xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %c0 = slm.constant dense<0> : tensor<2xi64>
    %c1 = slm.constant dense<1> : tensor<2xi64>
    %axes = slm.constant dense<[0, 1]> : tensor<2xi64>
    %one = slm.constant dense<1> : tensor<1xi64>
    %two = slm.constant dense<2> : tensor<1xi64>
    %zero = slm.constant dense<0> : tensor<1xi64>
    %n1 = slm.slice %shape[%one, %two, %zero, %one] : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %ends = slm.concat %n1, %n1 axis = 0 : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
    %full = slm.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<6x6xf32>
    %mask = slm.slice %full[%c0, %ends, %axes, %c1] : (tensor<6x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
    %masked = slm.add %scaled, %mask : tensor<1x4x?x?xf32>, tensor<?x?xf32> -> tensor<1x4x?x?xf32>
    %p = slm.softmax %masked : tensor<1x4x?x?xf32>
    %o = slm.matmul %p, %v : tensor<1x4x?x?xf32>, tensor<1x4x?x2xf32> -> tensor<1x4x?x2xf32>
    return %o : tensor<1x4x?x2xf32>
  }
}
