// RUN: slmc-opt %s | slmc-opt | FileCheck %s

// The dialect's attributes print back as they parse: the model contract
// (a decoder's, checked against @forward) and the memory plan.

// CHECK: module attributes {slm.memory_plan = #slm.memory_plan<arena_size = 448, kv_cache_size = 512, max_tokens = 4>, slm.model = #slm.model<architecture = "qwen3", source = "huggingface", vocab_size = 16, max_positions = 8, bos_token_id = 0, eos_token_id = 15, decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4}>, slm.weights_size = 128 : i64}
module attributes {slm.model = #slm.model<architecture = "qwen3", source = "huggingface", vocab_size = 16, max_positions = 8, bos_token_id = 0, eos_token_id = 15, decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4}>,
                   slm.memory_plan = #slm.memory_plan<arena_size = 448, kv_cache_size = 512, max_tokens = 4>,
                   slm.weights_size = 128 : i64} {
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<8x2x4xf32>, %vc: tensor<8x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>) {
    %l = slm.constant dense<0.0> : tensor<1x16xf32>
    %s = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %l, %s : tensor<1x16xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %kc, %vc : tensor<?x16xf32>, tensor<8x2x4xf32>, tensor<8x2x4xf32>
  }
}
