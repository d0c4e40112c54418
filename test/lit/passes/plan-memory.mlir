// RUN: slmc-opt %s --slm-plan-memory=max-tokens=4 | FileCheck %s

// Intermediates share the arena when their lifetimes do not overlap, sized
// for max-tokens tokens; reshapes alias their input; KV caches get their own
// regions; the decoder's int32 tokens get a widened i64 copy.

// CHECK: module attributes {slm.memory_plan = #slm.memory_plan<arena_size = 448, kv_cache_size = 512, max_tokens = 4>
// CHECK: func.func @forward(%{{.*}}: tensor<?xi64> {slm.arena_offset = array<i64: 0>}, %{{.*}}: tensor<i64>, %{{.*}}: tensor<8x2x4xf32> {slm.cache_offset = 0 : i64}, %{{.*}}: tensor<8x2x4xf32> {slm.cache_offset = 256 : i64})
// The embedding's 4x8 f32 (128 B) output follows the 64 B token buffer.
// CHECK: slm.embedding {{.*}} {slm.arena_offset = array<i64: 64>}
// CHECK: slm.rms_norm {{.*}} {epsilon = {{.*}}, slm.arena_offset = array<i64: 192>}
// The reshape aliases its input: no arena space.
// CHECK: slm.reshape {{.*}} {slm.arena_offset = array<i64: -1>}
// The token buffer and the embedding output are dead by then: the silu reuses
// their space, while the rms_norm output (read through the reshape) lives on.
// CHECK: slm.silu {{.*}} {slm.arena_offset = array<i64: 0>}
// CHECK: slm.attention {{.*}} {causal, scale = {{.*}}, slm.arena_offset = array<i64: 320, -1, -1>}
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 8, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 8, layers = 1, heads = 2, kv_heads = 2, head_dim = 4}>} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<8x2x4xf32>, %vc: tensor<8x2x4xf32>)
      -> (tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>) {
    %table = slm.constant dense<1.0> : tensor<8x8xf32>
    %w = slm.constant dense<1.0> : tensor<8xf32>
    %shape = slm.constant dense<[-1, 2, 4]> : tensor<3xi64>
    %x = slm.embedding %table, %tokens : tensor<8x8xf32>, tensor<?xi64> -> tensor<?x8xf32>
    %h = slm.rms_norm %x, %w {epsilon = 1.0e-5 : f32} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %k = slm.reshape %h, %shape : tensor<?x8xf32>, tensor<3xi64> -> tensor<?x2x4xf32>
    %s = slm.silu %h : tensor<?x8xf32>
    %o, %k2, %v2 = slm.attention %k, %k, %k cache(%kc, %vc at %pos) {scale = 0.5 : f32, causal}
        : (tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>, tensor<i64>)
        -> (tensor<?x2x4xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>)
    return %s, %k2, %v2 : tensor<?x8xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>
  }
}
