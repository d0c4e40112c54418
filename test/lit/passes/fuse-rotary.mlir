// RUN: slmc-opt %s -split-input-file --slm-fuse-rotary --canonicalize | FileCheck %s

// rotate_half RoPE as torch exports a Llama: x * cos + rotate_half(x) * sin on
// [1, heads, tokens, head_dim], cos and sin sliced from tables for the
// sequence. The pass evaluates the tables for concrete sequences, finds theta
// 10000, and records the tables' 8 positions in the model contract; the
// rotary op works on [tokens, heads, head_dim], and the transposes around it
// cancel.

// CHECK: slm.model = #slm.model<{{.*}}max_positions = 8
// CHECK-LABEL: func @forward
// CHECK: %[[X:.*]] = slm.reshape %{{.*}} -> tensor<?x2x4xf32>
// CHECK: %[[R:.*]] = slm.rotary %[[X]], %{{.*}} {layout = #slm<rotary_layout rotate_half>, theta = 1.000000e+04 : f64} : tensor<?x2x4xf32>, tensor<i64> -> tensor<?x2x4xf32>
// CHECK-NOT: slm.concat
// CHECK-NOT: slm.neg
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x16xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %spec = slm.constant dense<[1, -1, 2, 4]> : tensor<4xi64>
    %heads = slm.reshape %emb, %spec : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x2x4xf32>
    %x = slm.transpose %heads permutation = [0, 2, 1, 3] : tensor<1x?x2x4xf32> -> tensor<1x2x?x4xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %c0 = slm.constant dense<0> : tensor<1xi64>
    %c1 = slm.constant dense<1> : tensor<1xi64>
    %c2 = slm.constant dense<2> : tensor<1xi64>
    %c3 = slm.constant dense<3> : tensor<1xi64>
    %c4 = slm.constant dense<4> : tensor<1xi64>
    %seq = slm.slice %shape[%c1, %c2, %c0, %c1] : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %cos_table = slm.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.5403022766113281, 0.9999499917030334, 0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786, -0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906, -0.9899924993515015, 0.9995500445365906], [-0.6536436080932617, 0.9992001056671143, -0.6536436080932617, 0.9992001056671143], [0.28366219997406006, 0.9987502694129944, 0.28366219997406006, 0.9987502694129944], [0.9601702690124512, 0.998200535774231, 0.9601702690124512, 0.998200535774231], [0.7539022564888, 0.9975510239601135, 0.7539022564888, 0.9975510239601135]]> : tensor<8x4xf32>
    %sin_table = slm.constant dense<[[0.0, 0.0, 0.0, 0.0], [0.8414709568023682, 0.009999833069741726, 0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315, 0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354, 0.14112000167369843, 0.029995501041412354], [-0.756802499294281, 0.03998933359980583, -0.756802499294281, 0.03998933359980583], [-0.9589242935180664, 0.04997916892170906, -0.9589242935180664, 0.04997916892170906], [-0.279415488243103, 0.059964004904031754, -0.279415488243103, 0.059964004904031754], [0.6569865942001343, 0.06994284689426422, 0.6569865942001343, 0.06994284689426422]]> : tensor<8x4xf32>
    %cos = slm.slice %cos_table[%c0, %seq, %c0, %c1] : (tensor<8x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %sin = slm.slice %sin_table[%c0, %seq, %c0, %c1] : (tensor<8x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %a = slm.mul %x, %cos : tensor<1x2x?x4xf32>, tensor<?x4xf32> -> tensor<1x2x?x4xf32>
    %x1 = slm.slice %x[%c0, %c2, %c3, %c1] : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %x2 = slm.slice %x[%c2, %c4, %c3, %c1] : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %n = slm.neg %x2 : tensor<1x2x?x2xf32>
    %h = slm.concat %n, %x1 axis = -1 : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    %b = slm.mul %h, %sin : tensor<1x2x?x4xf32>, tensor<?x4xf32> -> tensor<1x2x?x4xf32>
    %r = slm.add %a, %b : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
    %back = slm.transpose %r permutation = [0, 2, 1, 3] : tensor<1x2x?x4xf32> -> tensor<1x?x2x4xf32>
    %flat = slm.constant dense<[1, -1, 8]> : tensor<3xi64>
    %f = slm.reshape %back, %flat : tensor<1x?x2x4xf32>, tensor<3xi64> -> tensor<1x?x8xf32>
    %logits = slm.linear %f, %table : tensor<1x?x8xf32>, tensor<16x8xf32> -> tensor<1x?x16xf32>
    return %logits : tensor<1x?x16xf32>
  }
}

// -----

// Tables of positions scaled by 1/2 (linear RoPE scaling) are no rotary
// embedding of consecutive positions: left alone.
// CHECK-LABEL: func @forward
// CHECK-NOT: slm.rotary
// CHECK: slm.concat
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x2x4xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %spec = slm.constant dense<[1, -1, 2, 4]> : tensor<4xi64>
    %x = slm.reshape %emb, %spec : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x2x4xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %c0 = slm.constant dense<0> : tensor<1xi64>
    %c1 = slm.constant dense<1> : tensor<1xi64>
    %c2 = slm.constant dense<2> : tensor<1xi64>
    %c3 = slm.constant dense<3> : tensor<1xi64>
    %c4 = slm.constant dense<4> : tensor<1xi64>
    %seq = slm.slice %shape[%c1, %c2, %c0, %c1] : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %cos_table = slm.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.8775825500488281, 0.9999874830245972, 0.8775825500488281, 0.9999874830245972], [0.5403022766113281, 0.9999499917030334, 0.5403022766113281, 0.9999499917030334], [0.07073719799518585, 0.9998875260353088, 0.07073719799518585, 0.9998875260353088], [-0.416146844625473, 0.9998000264167786, -0.416146844625473, 0.9998000264167786], [-0.8011435866355896, 0.9996874928474426, -0.8011435866355896, 0.9996874928474426], [-0.9899924993515015, 0.9995500445365906, -0.9899924993515015, 0.9995500445365906], [-0.9364566802978516, 0.9993875622749329, -0.9364566802978516, 0.9993875622749329]]> : tensor<8x4xf32>
    %sin_table = slm.constant dense<[[0.0, 0.0, 0.0, 0.0], [0.4794255495071411, 0.0049999793991446495, 0.4794255495071411, 0.0049999793991446495], [0.8414709568023682, 0.009999833069741726, 0.8414709568023682, 0.009999833069741726], [0.9974949955940247, 0.014999437145888805, 0.9974949955940247, 0.014999437145888805], [0.9092974066734314, 0.019998665899038315, 0.9092974066734314, 0.019998665899038315], [0.5984721183776855, 0.024997396394610405, 0.5984721183776855, 0.024997396394610405], [0.14112000167369843, 0.029995501041412354, 0.14112000167369843, 0.029995501041412354], [-0.35078322887420654, 0.03499285504221916, -0.35078322887420654, 0.03499285504221916]]> : tensor<8x4xf32>
    %cos0 = slm.slice %cos_table[%c0, %seq, %c0, %c1] : (tensor<8x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %sin0 = slm.slice %sin_table[%c0, %seq, %c0, %c1] : (tensor<8x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %s3 = slm.constant dense<[-1, 1, 4]> : tensor<3xi64>
    %cos = slm.reshape %cos0, %s3 : tensor<?x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %sin = slm.reshape %sin0, %s3 : tensor<?x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %a = slm.mul %x, %cos : tensor<1x?x2x4xf32>, tensor<?x1x4xf32> -> tensor<1x?x2x4xf32>
    %x1 = slm.slice %x[%c0, %c2, %c3, %c1] : (tensor<1x?x2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x2x2xf32>
    %x2 = slm.slice %x[%c2, %c4, %c3, %c1] : (tensor<1x?x2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x2x2xf32>
    %n = slm.neg %x2 : tensor<1x?x2x2xf32>
    %h = slm.concat %n, %x1 axis = -1 : (tensor<1x?x2x2xf32>, tensor<1x?x2x2xf32>) -> tensor<1x?x2x4xf32>
    %b = slm.mul %h, %sin : tensor<1x?x2x4xf32>, tensor<?x1x4xf32> -> tensor<1x?x2x4xf32>
    %r = slm.add %a, %b : tensor<1x?x2x4xf32>, tensor<1x?x2x4xf32> -> tensor<1x?x2x4xf32>
    return %r : tensor<1x?x2x4xf32>
  }
}
// -----

// The same tables in [1, tokens, heads, head_dim] layout (cos [tokens, 1, dim]):
// the token axis is found from the tables' shape.
// CHECK-LABEL: func @forward
// CHECK: %[[X:.*]] = slm.reshape %{{.*}} -> tensor<?x2x4xf32>
// CHECK: slm.rotary %[[X]]
// CHECK-NOT: slm.concat
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x2x4xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %spec = slm.constant dense<[1, -1, 2, 4]> : tensor<4xi64>
    %x = slm.reshape %emb, %spec : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x2x4xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %c0 = slm.constant dense<0> : tensor<1xi64>
    %c1 = slm.constant dense<1> : tensor<1xi64>
    %c2 = slm.constant dense<2> : tensor<1xi64>
    %c3 = slm.constant dense<3> : tensor<1xi64>
    %c4 = slm.constant dense<4> : tensor<1xi64>
    %seq = slm.slice %shape[%c1, %c2, %c0, %c1] : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %cos_table = slm.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.5403022766113281, 0.9999499917030334, 0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786, -0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906, -0.9899924993515015, 0.9995500445365906], [-0.6536436080932617, 0.9992001056671143, -0.6536436080932617, 0.9992001056671143], [0.28366219997406006, 0.9987502694129944, 0.28366219997406006, 0.9987502694129944], [0.9601702690124512, 0.998200535774231, 0.9601702690124512, 0.998200535774231], [0.7539022564888, 0.9975510239601135, 0.7539022564888, 0.9975510239601135]]> : tensor<8x4xf32>
    %sin_table = slm.constant dense<[[0.0, 0.0, 0.0, 0.0], [0.8414709568023682, 0.009999833069741726, 0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315, 0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354, 0.14112000167369843, 0.029995501041412354], [-0.756802499294281, 0.03998933359980583, -0.756802499294281, 0.03998933359980583], [-0.9589242935180664, 0.04997916892170906, -0.9589242935180664, 0.04997916892170906], [-0.279415488243103, 0.059964004904031754, -0.279415488243103, 0.059964004904031754], [0.6569865942001343, 0.06994284689426422, 0.6569865942001343, 0.06994284689426422]]> : tensor<8x4xf32>
    %cos0 = slm.slice %cos_table[%c0, %seq, %c0, %c1] : (tensor<8x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %sin0 = slm.slice %sin_table[%c0, %seq, %c0, %c1] : (tensor<8x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %s3 = slm.constant dense<[-1, 1, 4]> : tensor<3xi64>
    %cos = slm.reshape %cos0, %s3 : tensor<?x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %sin = slm.reshape %sin0, %s3 : tensor<?x4xf32>, tensor<3xi64> -> tensor<?x1x4xf32>
    %a = slm.mul %x, %cos : tensor<1x?x2x4xf32>, tensor<?x1x4xf32> -> tensor<1x?x2x4xf32>
    %x1 = slm.slice %x[%c0, %c2, %c3, %c1] : (tensor<1x?x2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x2x2xf32>
    %x2 = slm.slice %x[%c2, %c4, %c3, %c1] : (tensor<1x?x2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x2x2xf32>
    %n = slm.neg %x2 : tensor<1x?x2x2xf32>
    %h = slm.concat %n, %x1 axis = -1 : (tensor<1x?x2x2xf32>, tensor<1x?x2x2xf32>) -> tensor<1x?x2x4xf32>
    %b = slm.mul %h, %sin : tensor<1x?x2x4xf32>, tensor<?x1x4xf32> -> tensor<1x?x2x4xf32>
    %r = slm.add %a, %b : tensor<1x?x2x4xf32>, tensor<1x?x2x4xf32> -> tensor<1x?x2x4xf32>
    return %r : tensor<1x?x2x4xf32>
  }
}

// -----

// Interleaved RoPE as llama2.c's model.py writes it: x viewed as [.., pairs, 2],
// split into real and imaginary parts, (re*cos - im*sin, re*sin + im*cos) stacked
// back, cos and sin one column per pair, stored for 8 positions.
// CHECK-LABEL: func @forward
// CHECK: %[[X:.*]] = slm.reshape %{{.*}} -> tensor<?x2x4xf32>
// CHECK: slm.rotary %[[X]], %{{.*}} {layout = #slm<rotary_layout interleaved>, theta = 1.000000e+04 : f64}
// CHECK-NOT: slm.concat
// CHECK-NOT: slm.split
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x2x4xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %emb = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %shape = slm.shape %ids : tensor<1x?xi64> -> tensor<2xi64>
    %c0 = slm.constant dense<0> : tensor<1xi64>
    %c1 = slm.constant dense<1> : tensor<1xi64>
    %c2 = slm.constant dense<2> : tensor<1xi64>
    %seq = slm.slice %shape[%c1, %c2, %c0, %c1] : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %cos_table = slm.constant dense<[[1.0, 1.0], [0.540302306, 0.99995], [-0.416146837, 0.999800007], [-0.989992497, 0.999550034], [-0.653643621, 0.999200107], [0.283662185, 0.99875026], [0.960170287, 0.99820054], [0.753902254, 0.997551]]> : tensor<8x2xf32>
    %sin_table = slm.constant dense<[[0.0, 0.0], [0.841470985, 0.00999983333], [0.909297427, 0.0199986667], [0.141120008, 0.0299955002], [-0.756802495, 0.0399893342], [-0.958924275, 0.0499791693], [-0.279415498, 0.0599640065], [0.656986599, 0.0699428473]]> : tensor<8x2xf32>
    %cos0 = slm.slice %cos_table[%c0, %seq, %c0, %c1] : (tensor<8x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2xf32>
    %sin0 = slm.slice %sin_table[%c0, %seq, %c0, %c1] : (tensor<8x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2xf32>
    %s4 = slm.constant dense<[1, -1, 1, 2]> : tensor<4xi64>
    %cos = slm.reshape %cos0, %s4 : tensor<?x2xf32>, tensor<4xi64> -> tensor<1x?x1x2xf32>
    %sin = slm.reshape %sin0, %s4 : tensor<?x2xf32>, tensor<4xi64> -> tensor<1x?x1x2xf32>
    %pairs_shape = slm.constant dense<[1, -1, 2, 2, 2]> : tensor<5xi64>
    %pairs = slm.reshape %emb, %pairs_shape : tensor<1x?x8xf32>, tensor<5xi64> -> tensor<1x?x2x2x2xf32>
    %parts:2 = slm.split %pairs axis = 4 sizes = [1, 1] : tensor<1x?x2x2x2xf32> -> tensor<1x?x2x2x1xf32>, tensor<1x?x2x2x1xf32>
    %part_shape = slm.constant dense<[1, -1, 2, 2]> : tensor<4xi64>
    %re = slm.reshape %parts#0, %part_shape : tensor<1x?x2x2x1xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %im = slm.reshape %parts#1, %part_shape : tensor<1x?x2x2x1xf32>, tensor<4xi64> -> tensor<1x?x2x2xf32>
    %a = slm.mul %re, %cos : tensor<1x?x2x2xf32>, tensor<1x?x1x2xf32> -> tensor<1x?x2x2xf32>
    %b = slm.mul %im, %sin : tensor<1x?x2x2xf32>, tensor<1x?x1x2xf32> -> tensor<1x?x2x2xf32>
    %out_re = slm.sub %a, %b : tensor<1x?x2x2xf32>, tensor<1x?x2x2xf32> -> tensor<1x?x2x2xf32>
    %c = slm.mul %re, %sin : tensor<1x?x2x2xf32>, tensor<1x?x1x2xf32> -> tensor<1x?x2x2xf32>
    %d = slm.mul %im, %cos : tensor<1x?x2x2xf32>, tensor<1x?x1x2xf32> -> tensor<1x?x2x2xf32>
    %out_im = slm.add %c, %d : tensor<1x?x2x2xf32>, tensor<1x?x2x2xf32> -> tensor<1x?x2x2xf32>
    %unit = slm.constant dense<[1, -1, 2, 2, 1]> : tensor<5xi64>
    %re1 = slm.reshape %out_re, %unit : tensor<1x?x2x2xf32>, tensor<5xi64> -> tensor<1x?x2x2x1xf32>
    %im1 = slm.reshape %out_im, %unit : tensor<1x?x2x2xf32>, tensor<5xi64> -> tensor<1x?x2x2x1xf32>
    %stacked = slm.concat %re1, %im1 axis = -1 : (tensor<1x?x2x2x1xf32>, tensor<1x?x2x2x1xf32>) -> tensor<1x?x2x2x2xf32>
    %heads_shape = slm.constant dense<[1, -1, 2, 4]> : tensor<4xi64>
    %r = slm.reshape %stacked, %heads_shape : tensor<1x?x2x2x2xf32>, tensor<4xi64> -> tensor<1x?x2x4xf32>
    return %r : tensor<1x?x2x4xf32>
  }
}
