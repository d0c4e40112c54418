// RUN: slmc-opt %s --slm-specialize-shapes=max-context=32 | FileCheck %s
// RUN: slmc-opt %s --slm-specialize-shapes | FileCheck %s --check-prefix=DEFAULT
// RUN: not slmc-opt %s --slm-specialize-shapes=max-context=65 2>&1 | FileCheck %s --check-prefix=TOOBIG

// The KV caches of a decoder get a static capacity, threaded through the
// attention op and the function's results; the model contract records it.

// CHECK: max_positions = 32
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %{{.*}}: tensor<32x2x4xf32>, %{{.*}}: tensor<32x2x4xf32>) -> (tensor<?x16xf32>, tensor<32x2x4xf32>, tensor<32x2x4xf32>)
// CHECK: slm.attention {{.*}} -> (tensor<?x4x4xf32>, tensor<32x2x4xf32>, tensor<32x2x4xf32>)
// DEFAULT: tensor<64x2x4xf32>
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
