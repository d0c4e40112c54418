// RUN: slmc-opt %s --split-input-file --slm-specialize-shapes=max-context=32 | FileCheck %s
// RUN: slmc-opt %s --split-input-file --slm-specialize-shapes | FileCheck %s --check-prefix=DEFAULT
// RUN: slmc-opt %s --split-input-file --slm-specialize-shapes=max-context=4 | FileCheck %s --check-prefix=SHORT
// RUN: not slmc-opt %s --split-input-file --slm-specialize-shapes=max-context=65 2>&1 | FileCheck %s --check-prefix=TOOBIG

// The KV caches of a decoder get a static capacity, threaded through the
// attention op and the function's results; the model contract records it.

// CHECK: max_positions = 32
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %{{.*}}: tensor<32x2x4xf32>, %{{.*}}: tensor<32x2x4xf32>) -> (tensor<?x16xf32>, tensor<32x2x4xf32>, tensor<32x2x4xf32>)
// CHECK: slm.attention {{.*}} -> (tensor<?x4x4xf32>, tensor<32x2x4xf32>, tensor<32x2x4xf32>)
// DEFAULT: tensor<64x2x4xf32>
// SHORT-LABEL: func.func @forward
// SHORT-SAME: tensor<4x2x4xf32>
// TOOBIG: max-context 65 is outside the model's 1..64 positions
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

// A windowed layer's caches are a ring of the window's rows (8), the other
// layer's hold every position (32); a context shorter than the window needs
// no more rows than positions.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: %{{.*}}: tensor<8x2x4xf32>, %{{.*}}: tensor<8x2x4xf32>, %{{.*}}: tensor<32x2x4xf32>, %{{.*}}: tensor<32x2x4xf32>)
// DEFAULT: tensor<8x2x4xf32>, %{{.*}}: tensor<8x2x4xf32>, %{{.*}}: tensor<64x2x4xf32>
// SHORT-LABEL: func.func @forward
// SHORT-SAME: %{{.*}}: tensor<4x2x4xf32>, %{{.*}}: tensor<4x2x4xf32>, %{{.*}}: tensor<4x2x4xf32>, %{{.*}}: tensor<4x2x4xf32>)
module attributes {slm.model = #slm.model<architecture = "gemma2", source = "test", vocab_size = 16, max_positions = 64, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 2, heads = 4, kv_heads = 2, head_dim = 4}>} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc0: tensor<?x2x4xf32>, %vc0: tensor<?x2x4xf32>,
                     %kc1: tensor<?x2x4xf32>, %vc1: tensor<?x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>) {
    %q = slm.constant dense<1.0> : tensor<1x4x4xf32>
    %k = slm.constant dense<1.0> : tensor<1x2x4xf32>
    %o0, %k0, %v0 = slm.attention %q, %k, %k cache(%kc0, %vc0 at %pos) {scale = 0.5 : f32, causal, window = 8 : i64}
        : (tensor<1x4x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<i64>)
        -> (tensor<?x4x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>)
    %o1, %k1, %v1 = slm.attention %q, %k, %k cache(%kc1, %vc1 at %pos) {scale = 0.5 : f32, causal}
        : (tensor<1x4x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<i64>)
        -> (tensor<?x4x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>)
    %sum = slm.add %o0, %o1 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %shape = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %sum, %shape : tensor<?x4x4xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %k0, %v0, %k1, %v1 : tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>
  }
}
