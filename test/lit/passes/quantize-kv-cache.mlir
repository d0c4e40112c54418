// RUN: slmc-opt %s --split-input-file --slm-quantize-kv-cache | FileCheck %s
// RUN: slmc-opt %s --split-input-file --slm-quantize-kv-cache --slm-quantize-kv-cache | FileCheck %s
// RUN: slmc-opt %s --split-input-file --slm-quantize-kv-cache --slm-specialize-shapes=max-context=32 | FileCheck %s --check-prefix=PLANNED

// A decoder's caches become int8 rows of the f32 scale's 4 bytes and the
// head's codes: [capacity, kv_heads, 4 + head_dim] i8, threaded through the
// attention op and the function's results; the contract records it. Running
// the pass twice changes nothing more.

// CHECK: decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4, kv_cache = int8}
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %{{.*}}: tensor<?x2x8xi8>, %{{.*}}: tensor<?x2x8xi8>) -> (tensor<?x16xf32>, tensor<?x2x8xi8>, tensor<?x2x8xi8>)
// CHECK: slm.attention {{.*}} -> (tensor<?x4x4xf32>, tensor<?x2x8xi8>, tensor<?x2x8xi8>)
// PLANNED: tensor<32x2x8xi8>, %{{.*}}: tensor<32x2x8xi8>) -> (tensor<?x16xf32>, tensor<32x2x8xi8>, tensor<32x2x8xi8>)
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 16, max_positions = 64, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4}>} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<?x2x4xf32>, %vc: tensor<?x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>) {
    %q = slm.constant dense<1.0> : tensor<1x4x4xf32>
    %k = slm.constant dense<1.0> : tensor<1x2x4xf32>
    %o, %k2, %v2 = slm.attention %q, %k, %k cache(%kc, %vc at %pos) {scale = 0.5 : f32, causal}
        : (tensor<1x4x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<i64>)
        -> (tensor<?x4x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>)
    %shape = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %o, %shape : tensor<?x4x4xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %k2, %v2 : tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>
  }
}

// -----

// A graph without a cache is left alone.

// CHECK-LABEL: func.func @forward(%{{.*}}: tensor<1x4xf32>) -> tensor<1x4xf32>
module attributes {slm.model = #slm.model<architecture = "graph", source = "test", vocab_size = 0, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    return %x : tensor<1x4xf32>
  }
}
