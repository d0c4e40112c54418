// RUN: slmc-opt %s -split-input-file -verify-diagnostics

func.func @linear_feature_mismatch(%x: tensor<?x64xf32>, %w: tensor<32x128xf32>) {
  // expected-error @+2 {{linear input has 64 features but the weight expects 128}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.linear %x, %w : tensor<?x64xf32>, tensor<32x128xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @linear_bias_mismatch(%x: tensor<?x128xf32>, %w: tensor<32x128xf32>, %b: tensor<16xf32>) {
  // expected-error @+2 {{linear bias must be 1-d with one entry per output}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.linear %x, %w, %b : tensor<?x128xf32>, tensor<32x128xf32>, tensor<16xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @wrong_result_type(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.add %x, %y : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @no_broadcast(%x: tensor<2x3xf32>, %y: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.add %x, %y : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @mixed_element_types(%x: tensor<2xf32>, %y: tensor<2xi64>) {
  // expected-error @+1 {{all of {lhs, rhs} have same element type}}
  %0 = slm.add %x, %y : tensor<2xf32>, tensor<2xi64> -> tensor<2xf32>
  return
}

// -----

func.func @rms_norm_weight(%x: tensor<?x128xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{weight must be 1-d with one entry per feature of the last dimension (128)}}
  %0 = slm.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : tensor<?x128xf32>, tensor<64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = slm.layer_norm %x, %s {axis = 2, epsilon = 1.0e-5 : f32} : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @rotary_rank(%x: tensor<?x16xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{input must be [tokens, heads, head_dim]}}
  %0 = slm.rotary %x, %p {theta = 10000.0 : f64, layout = #slm<rotary_layout interleaved>} : tensor<?x16xf32>, tensor<i64> -> tensor<?x16xf32>
  return
}

// -----

func.func @rotary_odd_dim(%x: tensor<?x4x16xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{rotary_dim 7 must be even, positive and <= head_dim 16}}
  %0 = slm.rotary %x, %p {theta = 10000.0 : f64, layout = #slm<rotary_layout interleaved>, rotary_dim = 7 : i64} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  return
}

// -----

func.func @rotary_frequencies_per_pair(%x: tensor<?x4x16xf32>, %p: tensor<i64>, %f: tensor<16xf32>) {
  // expected-error @+1 {{frequencies must be a tensor<8xf32> (one per pair)}}
  %0 = slm.rotary %x, %p frequencies %f : tensor<16xf32> {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  return
}

// -----

func.func @rotary_scale_positive(%x: tensor<?x4x16xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{scale must be positive}}
  %0 = slm.rotary %x, %p {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>, scale = 0.0 : f32} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  return
}

// -----

func.func @window_needs_causal(%q: tensor<?x4x16xf32>, %k: tensor<?x4x16xf32>) {
  // expected-error @+1 {{a window needs causal attention}}
  %0 = slm.attention %q, %k, %k {scale = 0.25 : f32, window = 4 : i64} : (tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @window_positive(%q: tensor<?x4x16xf32>, %k: tensor<?x4x16xf32>) {
  // expected-error @+1 {{window must be positive}}
  %0 = slm.attention %q, %k, %k {scale = 0.25 : f32, causal, window = 0 : i64} : (tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @softcap_positive(%q: tensor<?x4x16xf32>, %k: tensor<?x4x16xf32>) {
  // expected-error @+1 {{softcap must be positive}}
  %0 = slm.attention %q, %k, %k {scale = 0.25 : f32, causal, softcap = -30.0 : f32} : (tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<?x6x16xf32>, %k: tensor<?x4x16xf32>) {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %0 = slm.attention %q, %k, %k {scale = 0.25 : f32} : (tensor<?x6x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x6x16xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<?x8x32xf32>, %k: tensor<?x4x16xf32>) {
  // expected-error @+1 {{query and key head_dim differ: 32 vs 16}}
  %0 = slm.attention %q, %k, %k {scale = 0.25 : f32} : (tensor<?x8x32xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x8x16xf32>
  return
}

// -----

func.func @int8_cache_row(%q: tensor<?x8x16xf32>, %k: tensor<?x4x16xf32>, %c: tensor<?x4x16xi8>, %p: tensor<i64>) {
  // expected-error @+1 {{key cache must be [capacity, kv_heads, 4 + head_dim] matching the key}}
  %0:3 = slm.attention %q, %k, %k cache(%c, %c at %p) {scale = 0.25 : f32}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xi8>, tensor<?x4x16xi8>, tensor<i64>)
      -> (tensor<?x8x16xf32>, tensor<?x4x16xi8>, tensor<?x4x16xi8>)
  return
}

// -----

func.func @mixed_caches(%q: tensor<?x8x16xf32>, %k: tensor<?x4x16xf32>, %c: tensor<?x4x20xi8>, %d: tensor<?x4x16xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{the key and value caches must both be f32 or both int8}}
  %0:3 = slm.attention %q, %k, %k cache(%c, %d at %p) {scale = 0.25 : f32}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x20xi8>, tensor<?x4x16xf32>, tensor<i64>)
      -> (tensor<?x8x16xf32>, tensor<?x4x20xi8>, tensor<?x4x16xf32>)
  return
}

// -----

func.func @attention_cache(%q: tensor<?x8x16xf32>, %k: tensor<?x4x16xf32>, %c: tensor<?x2x16xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{key cache must be [capacity, kv_heads, head_dim] matching the key}}
  %0:3 = slm.attention %q, %k, %k cache(%c, %c at %p) {scale = 0.25 : f32}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<i64>)
      -> (tensor<?x8x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>)
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{cannot reshape 'tensor<2x3xf32>' (6 elements) to 'tensor<4x2xf32>' (8 elements)}}
  %0 = slm.reshape %x, %s : tensor<2x3xf32>, tensor<2xi64> -> tensor<4x2xf32>
  return
}

// -----

func.func @reshape_rank(%x: tensor<2x3xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{shape has 3 entries but the result has rank 2}}
  %0 = slm.reshape %x, %s : tensor<2x3xf32>, tensor<3xi64> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation is not a permutation of 0..rank-1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.transpose %x permutation = [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.reduce_sum %x axes = [2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_repeat(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis -1 is listed twice}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.reduce_sum %x axes = [1, -1] : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 3 is out of range for rank 2}}
  %0 = slm.softmax %x {axis = 3} : tensor<2x3xf32>
  return
}

// -----

func.func @concat_dims(%x: tensor<2x3xf32>, %y: tensor<4x4xf32>) {
  // expected-error @+2 {{concat inputs differ in dimension 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.concat %x, %y axis = 0 : (tensor<2x3xf32>, tensor<4x4xf32>) -> tensor<6x3xf32>
  return
}

// -----

func.func @split_sizes(%x: tensor<2x6xf32>) {
  // expected-error @+2 {{split sizes add up to 5 but the dimension is 6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = slm.split %x axis = 1 sizes = [2, 3] : tensor<2x6xf32> -> tensor<2x2xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @squeeze_non_unit(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{squeeze axis 1 has size 3, not 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.squeeze %x axes = [1] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @embedding_table(%t: tensor<2048xf32>, %ids: tensor<?xi64>) {
  // expected-error @+2 {{embedding table must be 2-d [vocab, hidden]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.embedding %t, %ids : tensor<2048xf32>, tensor<?xi64> -> tensor<?x128xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{matmul contraction dimensions differ: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = slm.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @fill_type(%s: tensor<2xi64>) {
  // expected-error @+1 {{value type 'i64' differs from the element type 'f32'}}
  %0 = slm.fill %s, 0 : i64 : tensor<2xi64> -> tensor<2x2xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{input must have rank >= 2}}
  %0 = slm.trilu %x : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_rank(%x: tensor<2x3xf32>, %i: tensor<1xi64>) {
  // expected-error @+1 {{result rank 1 differs from the input rank 2}}
  %0 = slm.slice %x[%i, %i, %i, %i] : (tensor<2x3xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @unary_on_ints(%x: tensor<2xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = slm.exp %x : tensor<2xi64>
  return
}

// -----

func.func @format_bits(%c: tensor<4x16xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{weight formats have 2 to 8 bits per code, not 9}}
  %0 = slm.dequantize %c, %s {format = #slm.weight_format<bits = 9, group = 32, symmetric = true>} : (tensor<4x16xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @format_group(%c: tensor<4x16xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{a group of 3 3-bit codes does not fill whole bytes}}
  %0 = slm.dequantize %c, %s {format = #slm.weight_format<bits = 3, group = 3, symmetric = true>} : (tensor<4x16xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @dequantize_codes(%c: tensor<4x16xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{packed codes must be [4, 8] for #slm.weight_format<bits = 4, group = 16, symmetric = true> and 'tensor<4x16xf32>', got 'tensor<4x16xi8>'}}
  %0 = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 16, symmetric = true>} : (tensor<4x16xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @dequantize_scales(%c: tensor<4x8xi8>, %s: tensor<4x2xf16>) {
  // expected-error @+1 {{scales must be [4, 1]}}
  %0 = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 16, symmetric = true>} : (tensor<4x8xi8>, tensor<4x2xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @dequantize_minimums(%c: tensor<4x8xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{asymmetric formats need minimums}}
  %0 = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 16, symmetric = false>} : (tensor<4x8xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @codebook_missing(%c: tensor<4x8xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{codebook formats need a codebook}}
  %0 = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 16, symmetric = true, codebook = true>} : (tensor<4x8xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @codebook_for_integers(%c: tensor<4x8xi8>, %s: tensor<4x1xf16>, %t: tensor<16xf32>) {
  // expected-error @+1 {{integer formats take no codebook}}
  %0 = slm.dequantize %c, %s codebook(%t : tensor<16xf32>) {format = #slm.weight_format<bits = 4, group = 16, symmetric = true>} : (tensor<4x8xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @codebook_entries(%c: tensor<4x6xi8>, %s: tensor<4x1xf16>, %t: tensor<16xf32>) {
  // expected-error @+1 {{codebook must be [8] for #slm.weight_format<bits = 3, group = 16, symmetric = true, codebook = true>, got 'tensor<16xf32>'}}
  %0 = slm.dequantize %c, %s codebook(%t : tensor<16xf32>) {format = #slm.weight_format<bits = 3, group = 16, symmetric = true, codebook = true>} : (tensor<4x6xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @codebook_with_minimums(%c: tensor<4x8xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{codebook formats have no minimums: they must be symmetric}}
  %0 = slm.dequantize %c, %s, %s {format = #slm.weight_format<bits = 4, group = 16, symmetric = false, codebook = true>} : (tensor<4x8xi8>, tensor<4x1xf16>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @codebook_bits(%c: tensor<4x10xi8>, %s: tensor<4x1xf16>, %t: tensor<32xf32>) {
  // expected-error @+1 {{codebook formats have 2 to 4 bits per code, not 5}}
  %0 = slm.dequantize %c, %s codebook(%t : tensor<32xf32>) {format = #slm.weight_format<bits = 5, group = 16, symmetric = true, codebook = true>} : (tensor<4x10xi8>, tensor<4x1xf16>) -> tensor<4x16xf32>
  return
}

// -----

func.func @q4_on_codebook(%x: tensor<2x64xf32>, %t: tensor<16xf32>) {
  %codes = slm.constant dense<3> : tensor<4x32xi8>
  %scales = slm.constant dense<0.5> : tensor<4x2xf16>
  %w = slm.dequantize %codes, %scales codebook(%t : tensor<16xf32>) {format = #slm.weight_format<bits = 4, group = 32, symmetric = true, codebook = true>}
      : (tensor<4x32xi8>, tensor<4x2xf16>) -> tensor<4x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel q4 needs a linear with 4-bit integer codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q4>} : tensor<2x64xf32>, tensor<4x64xf32> -> tensor<2x4xf32>
  return
}

// -----

// Nor can the AVX2 decode.
func.func @q4_avx2_on_codebook(%x: tensor<2x64xf32>, %t: tensor<16xf32>) {
  %codes = slm.constant dense<3> : tensor<4x32xi8>
  %scales = slm.constant dense<0.5> : tensor<4x2xf16>
  %w = slm.dequantize %codes, %scales codebook(%t : tensor<16xf32>) {format = #slm.weight_format<bits = 4, group = 32, symmetric = true, codebook = true>}
      : (tensor<4x32xi8>, tensor<4x2xf16>) -> tensor<4x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel q4_avx2 needs a linear with 4-bit integer codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q4_avx2>} : tensor<2x64xf32>, tensor<4x64xf32> -> tensor<2x4xf32>
  return
}

// -----

// The integer-dot decode cannot read a codebook either.
func.func @q4_vnni_on_codebook(%x: tensor<2x64xf32>, %t: tensor<16xf32>) {
  %codes = slm.constant dense<3> : tensor<4x32xi8>
  %scales = slm.constant dense<0.5> : tensor<4x2xf16>
  %w = slm.dequantize %codes, %scales codebook(%t : tensor<16xf32>) {format = #slm.weight_format<bits = 4, group = 32, symmetric = true, codebook = true>}
      : (tensor<4x32xi8>, tensor<4x2xf16>) -> tensor<4x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel q4_vnni needs a linear with 4-bit integer codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q4_vnni>} : tensor<2x64xf32>, tensor<4x64xf32> -> tensor<2x4xf32>
  return
}

// -----

// The model contract: facts that contradict each other.
// expected-error @+1 {{invalid model contract: 8 heads are not a multiple of 3 kv_heads}}
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 1, heads = 8, kv_heads = 3, head_dim = 2}>} {}

// -----

// expected-error @+1 {{invalid model contract: bos_token_id 1 and eos_token_id 20 must be tokens of the vocabulary of 16}}
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 20>} {}

// -----

// @forward against a decoder contract.
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 2, heads = 4, kv_heads = 2, head_dim = 4}>} {
  // expected-error @+1 {{'func.func' op does not match the model contract: a decoder of 2 layers takes 6 arguments and returns 5 results}}
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<?x2x4xf32>, %vc: tensor<?x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>) {
    %l = slm.constant dense<0.0> : tensor<1x16xf32>
    %c = slm.constant dense<0.0> : tensor<1x2x4xf32>
    %s = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %l, %s : tensor<1x16xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %kc, %vc : tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>
  }
}

// -----

module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4}>} {
  // expected-error @+1 {{'func.func' op does not match the model contract: argument 2 must be a KV cache [capacity, 2, 4] f32}}
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<?x4x4xf32>, %vc: tensor<?x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<?x4x4xf32>, tensor<?x2x4xf32>) {
    %l = slm.constant dense<0.0> : tensor<1x16xf32>
    %s = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %l, %s : tensor<1x16xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %kc, %vc : tensor<?x16xf32>, tensor<?x4x4xf32>, tensor<?x2x4xf32>
  }
}

// -----

module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4}>} {
  // expected-error @+1 {{'func.func' op does not match the model contract: a KV cache of 9 positions exceeds the model's 8}}
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<9x2x4xf32>, %vc: tensor<9x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<9x2x4xf32>, tensor<9x2x4xf32>) {
    %l = slm.constant dense<0.0> : tensor<1x16xf32>
    %s = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %l, %s : tensor<1x16xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %kc, %vc : tensor<?x16xf32>, tensor<9x2x4xf32>, tensor<9x2x4xf32>
  }
}

// -----

// What the planning passes record: typed, and only where it belongs.
// expected-error @+1 {{'builtin.module' op may not carry slm.weight_offset: it belongs on slm.constant}}
module attributes {slm.weight_offset = 0 : i64} {}

// -----

func.func @unaligned_weight() {
  // expected-error @+1 {{'slm.constant' op slm.weight_offset must be a non-negative multiple of 64}}
  %w = slm.constant {slm.weight_offset = 8 : i64} dense<1.0> : tensor<4xf32>
  return
}

// -----

func.func @arena_offsets(%x: tensor<4xf32>) {
  // expected-error @+1 {{'slm.split' op slm.arena_offset must list one offset per result}}
  %a, %b = slm.split %x axis = 0 sizes = [2, 2] {slm.arena_offset = array<i64: 0>} : tensor<4xf32> -> tensor<2xf32>, tensor<2xf32>
  return
}

// -----

// expected-error @+1 {{arena_size 100 must be a non-negative multiple of 64}}
module attributes {slm.memory_plan = #slm.memory_plan<arena_size = 100, kv_cache_size = 0, max_tokens = 1>} {}

// -----

func.func @panels_of_a_computed_weight(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{'slm.linear' op kernel f32_panels needs a static f32 matrix that an slm.constant holds}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32_panels>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @panels_of_a_vector() {
  // expected-error @+1 {{'slm.constant' op slm.weight_layout panels16 needs a static f32 matrix, not 'tensor<8xf32>'}}
  %w = slm.constant {slm.weight_layout = #slm<weight_layout panels16>} dense<1.0> : tensor<8xf32>
  return
}

// -----

func.func @panels_kernel_on_a_row_major_weight(%x: tensor<2x4xf32>) {
  %w = slm.constant {slm.weight_offset = 0 : i64} dense<1.0> : tensor<3x4xf32>
  // expected-error @+1 {{'slm.linear' op kernel f32_panels needs its weight stored as #slm.weight_layout<panels16>}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32_panels>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @row_major_kernel_on_panels(%x: tensor<2x4xf32>) {
  %w = slm.constant {slm.weight_offset = 0 : i64, slm.weight_layout = #slm<weight_layout panels16>} dense<1.0> : tensor<3x4xf32>
  // expected-error @+1 {{'slm.linear' op kernel f32 reads a weight in its own order, which is stored as #slm.weight_layout<panels16>}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @layout_on_a_linear(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{'slm.linear' op may not carry slm.weight_layout: it belongs on slm.constant}}
  %y = slm.linear %x, %w {slm.weight_layout = #slm<weight_layout panels16>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @kernel_for_float_weights(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{'slm.linear' op kernel q4 needs quantized weights (an slm.dequantize)}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q4>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @w4a8_on_asymmetric_codes(%x: tensor<2x64xf32>) {
  %codes = slm.constant dense<3> : tensor<4x32xi8>
  %scales = slm.constant dense<0.5> : tensor<4x2xf16>
  %mins = slm.constant dense<-1.0> : tensor<4x2xf16>
  %w = slm.dequantize %codes, %scales, %mins {format = #slm.weight_format<bits = 4, group = 32, symmetric = false>}
      : (tensor<4x32xi8>, tensor<4x2xf16>, tensor<4x2xf16>) -> tensor<4x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel w4a8_vnni needs a linear with symmetric 4-bit codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel w4a8_vnni>} : tensor<2x64xf32>, tensor<4x64xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @table_kernel_for_integer_codes(%x: tensor<2x64xf32>, %c: tensor<8x24xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 3, group = 32, symmetric = true>} : (tensor<8x24xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel table_avx512 needs a linear with 2- or 3-bit codebook codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel table_avx512>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @wide_kernel_for_a_codebook(%x: tensor<2x64xf32>, %c: tensor<8x24xi8>, %s: tensor<8x2xf16>, %b: tensor<8xf32>) {
  %w = slm.dequantize %c, %s codebook(%b : tensor<8xf32>) {format = #slm.weight_format<bits = 3, group = 32, symmetric = true, codebook = true>} : (tensor<8x24xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel wide_avx512 needs a linear with 5- to 7-bit or asymmetric 8-bit integer codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel wide_avx512>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @wide_kernel_for_symmetric_int8(%x: tensor<2x64xf32>, %c: tensor<8x64xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 8, group = 32, symmetric = true>} : (tensor<8x64xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel wide_avx512 needs a linear with 5- to 7-bit or asymmetric 8-bit integer codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel wide_avx512>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @wide_avx2_kernel_for_int4(%x: tensor<2x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>} : (tensor<8x32xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel wide_avx2 needs a linear with 5- to 7-bit or asymmetric 8-bit integer codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel wide_avx2>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @table_avx2_kernel_for_integer_codes(%x: tensor<2x64xf32>, %c: tensor<8x24xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 3, group = 32, symmetric = true>} : (tensor<8x24xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel table_avx2 needs a linear with 2- to 4-bit codebook codes in groups of 32, 64 or 128}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel table_avx2>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @kernel_for_the_wrong_format(%x: tensor<2x64xf32>, %c: tensor<8x24xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 3, group = 32, symmetric = true>} : (tensor<8x24xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel q8 needs a linear with symmetric 8-bit codes per channel or in groups of a multiple of 32}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q8>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

// The int8 integer-dot decode reads symmetric 8-bit codes only.
func.func @q8_vnni_on_4_bit_codes(%x: tensor<2x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>} : (tensor<8x32xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel q8_vnni needs a linear with symmetric 8-bit codes per channel or in groups of a multiple of 32}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q8_vnni>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

// Nor does the AVX2 one.
func.func @q8_avx2_on_4_bit_codes(%x: tensor<2x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>) {
  %w = slm.dequantize %c, %s {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>} : (tensor<8x32xi8>, tensor<8x2xf16>) -> tensor<8x64xf32>
  // expected-error @+1 {{'slm.linear' op kernel q8_avx2 needs a linear with symmetric 8-bit codes per channel or in groups of a multiple of 32}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel q8_avx2>} : tensor<2x64xf32>, tensor<8x64xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @scratch_without_w8a8(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{'slm.linear' op slm.scratch_offset belongs on ops whose kernel needs scratch}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32>, slm.scratch_offset = 0 : i64} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

// expected-error @+1 {{'builtin.module' op unknown slm attribute slm.arena_size}}
module attributes {slm.arena_size = 64 : i64} {}

// -----

func.func @gated_odd_width(%x: tensor<2x7xf32>) {
  // expected-error @+2 {{gated_activation of one operand needs an even last dimension (gate and up halves), got 7}}
  // expected-error @+1 {{failed to infer returned types}}
  %h = slm.gated_activation %x {activation = #slm<activation silu>} : tensor<2x7xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @gated_shapes_differ(%g: tensor<2x6xf32>, %u: tensor<2x4xf32>) {
  // expected-error @+2 {{gated_activation gate 'tensor<2x6xf32>' and up 'tensor<2x4xf32>' differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %h = slm.gated_activation %g, %u {activation = #slm<activation gelu>} : tensor<2x6xf32>, tensor<2x4xf32> -> tensor<2x6xf32>
  return
}

// -----

func.func @add_rms_norm_weight(%x: tensor<2x8xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{weight must be 1-d with one entry per feature of the last dimension (8), got 'tensor<4xf32>'}}
  %s, %n = slm.add_rms_norm %x, %x, %w {epsilon = 1.0e-6 : f32} : tensor<2x8xf32>, tensor<4xf32> -> tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @widen_of_f32(%w: tensor<3x4xf32>) {
  // expected-error @+1 {{'slm.widen' op operand #0 must be ranked tensor of bfloat16 type or 16-bit float values}}
  %y = slm.widen %w : tensor<3x4xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @widen_changes_shape(%w: tensor<3x4xbf16>) {
  // expected-error @+1 {{'slm.widen' op requires the same shape for all operands and results}}
  %y = slm.widen %w : tensor<3x4xbf16> -> tensor<4x3xf32>
  return
}

// -----

func.func @bf16_kernel_for_f32_weights(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{'slm.linear' op kernel bf16 needs weights stored as bf16 (an slm.widen)}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel bf16>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @f32_kernel_for_bf16_table(%i: tensor<2xi64>, %s: tensor<3x4xbf16>) {
  %w = slm.widen %s : tensor<3x4xbf16> -> tensor<3x4xf32>
  // expected-error @+1 {{'slm.embedding' op kernel f32 needs f32 weights}}
  %e = slm.embedding %w, %i {slm.kernel = #slm<kernel f32>} : tensor<3x4xf32>, tensor<2xi64> -> tensor<2x4xf32>
  return
}

// -----

func.func @f16_kernel_for_bf16_weights(%x: tensor<2x4xf32>, %s: tensor<3x4xbf16>) {
  %w = slm.widen %s : tensor<3x4xbf16> -> tensor<3x4xf32>
  // expected-error @+1 {{'slm.linear' op kernel f16 needs weights stored as f16 (an slm.widen)}}
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f16>} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

// The contract says the cache is int8: [capacity, kv_heads, 4 + head_dim] i8.
module attributes {slm.model = #slm.model<architecture = "llama", source = "test", vocab_size = 16, max_positions = 8, bos_token_id = 1, eos_token_id = 2, decoder = {hidden_size = 16, layers = 1, heads = 4, kv_heads = 2, head_dim = 4, kv_cache = int8}>} {
  // expected-error @+1 {{'func.func' op does not match the model contract: argument 2 must be a KV cache [capacity, 2, 8] i8}}
  func.func @forward(%tokens: tensor<?xi64>, %pos: tensor<i64>, %kc: tensor<?x2x4xf32>, %vc: tensor<?x2x4xf32>)
      -> (tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>) {
    %l = slm.constant dense<0.0> : tensor<1x16xf32>
    %s = slm.constant dense<[-1, 16]> : tensor<2xi64>
    %logits = slm.reshape %l, %s : tensor<1x16xf32>, tensor<2xi64> -> tensor<?x16xf32>
    return %logits, %kc, %vc : tensor<?x16xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>
  }
}

// -----

func.func @hadamard_block_not_power_of_two(%x: tensor<2x12xf32>, %s: tensor<12xi8>) {
  // expected-error @+1 {{'slm.hadamard' op block must be a power of two >= 2, got 12}}
  %y = slm.hadamard %x, %s {block = 12 : i64} : tensor<2x12xf32>, tensor<12xi8> -> tensor<2x12xf32>
  return
}

// -----

func.func @hadamard_block_does_not_divide(%x: tensor<2x12xf32>, %s: tensor<12xi8>) {
  // expected-error @+1 {{'slm.hadamard' op the last dimension (12) is not a multiple of block (8)}}
  %y = slm.hadamard %x, %s {block = 8 : i64} : tensor<2x12xf32>, tensor<12xi8> -> tensor<2x12xf32>
  return
}

// -----

func.func @hadamard_signs_per_feature(%x: tensor<2x8xf32>, %s: tensor<4xi8>) {
  // expected-error @+1 {{'slm.hadamard' op signs must have one entry per feature of the last dimension (8), got 'tensor<4xi8>'}}
  %y = slm.hadamard %x, %s {block = 8 : i64} : tensor<2x8xf32>, tensor<4xi8> -> tensor<2x8xf32>
  return
}
