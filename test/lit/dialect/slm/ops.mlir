// RUN: slmc-opt %s | slmc-opt | FileCheck %s
// RUN: slmc-opt %s --mlir-print-op-generic | slmc-opt | FileCheck %s

// Every slm op parses, verifies and prints back to the same form.

// CHECK-LABEL: func @decoder_layer
func.func @decoder_layer(%tokens: tensor<?xi64>, %position: tensor<i64>,
                         %kc: tensor<?x4x16xf32>, %vc: tensor<?x4x16xf32>)
    -> (tensor<?x2048xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) {
  // CHECK: slm.constant dense_resource<embed> : tensor<2048x128xf32>
  %embed = slm.constant dense_resource<embed> : tensor<2048x128xf32>
  %norm = slm.constant dense<1.0> : tensor<128xf32>
  %wq = slm.constant dense<0.5> : tensor<128x128xf32>
  %wk = slm.constant dense<0.5> : tensor<64x128xf32>
  %bias = slm.constant dense<0.0> : tensor<64xf32>
  %qshape = slm.constant dense<[-1, 8, 16]> : tensor<3xi64>
  %kshape = slm.constant dense<[-1, 4, 16]> : tensor<3xi64>
  %oshape = slm.constant dense<[-1, 128]> : tensor<2xi64>
  // CHECK: slm.embedding %{{.*}}, %{{.*}} : tensor<2048x128xf32>, tensor<?xi64> -> tensor<?x128xf32>
  %x = slm.embedding %embed, %tokens : tensor<2048x128xf32>, tensor<?xi64> -> tensor<?x128xf32>
  // CHECK: slm.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
  %h = slm.rms_norm %x, %norm {epsilon = 1.0e-6 : f32} : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  // CHECK: slm.linear %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<128x128xf32> -> tensor<?x128xf32>
  %q = slm.linear %h, %wq : tensor<?x128xf32>, tensor<128x128xf32> -> tensor<?x128xf32>
  // CHECK: slm.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<64x128xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %k = slm.linear %h, %wk, %bias : tensor<?x128xf32>, tensor<64x128xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: slm.reshape %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<3xi64> -> tensor<?x8x16xf32>
  %q3 = slm.reshape %q, %qshape : tensor<?x128xf32>, tensor<3xi64> -> tensor<?x8x16xf32>
  %k3 = slm.reshape %k, %kshape : tensor<?x64xf32>, tensor<3xi64> -> tensor<?x4x16xf32>
  // CHECK: slm.rotary %{{.*}}, %{{.*}} {layout = #slm<rotary_layout rotate_half>, theta = 1.000000e+04 : f64}
  %qr = slm.rotary %q3, %position {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x8x16xf32>, tensor<i64> -> tensor<?x8x16xf32>
  // CHECK: slm.rotary %{{.*}}, %{{.*}} {layout = #slm<rotary_layout interleaved>, rotary_dim = 8 : i64, theta = 5.000000e+05 : f64}
  %kr = slm.rotary %k3, %position {theta = 500000.0 : f64, layout = #slm<rotary_layout interleaved>, rotary_dim = 8 : i64} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  // CHECK: slm.attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}} at %{{.*}}) {causal, scale = 2.500000e-01 : f32}
  %o, %kc2, %vc2 = slm.attention %qr, %kr, %k3 cache(%kc, %vc at %position) {scale = 0.25 : f32, causal}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<i64>)
      -> (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>)
  // CHECK: slm.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32} : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x8x16xf32>
  %o2 = slm.attention %qr, %kr, %k3 {scale = 0.25 : f32} : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x8x16xf32>
  %o3 = slm.reshape %o, %oshape : tensor<?x8x16xf32>, tensor<2xi64> -> tensor<?x128xf32>
  // CHECK: slm.silu
  %s = slm.silu %o3 : tensor<?x128xf32>
  // CHECK: slm.gelu %{{.*}} {approximation = #slm<gelu_approximation tanh>}
  %g = slm.gelu %s {approximation = #slm<gelu_approximation tanh>} : tensor<?x128xf32>
  // CHECK: slm.mul %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %m = slm.mul %g, %s : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  // CHECK: slm.add %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  %a = slm.add %m, %norm : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  %logits = slm.linear %a, %embed : tensor<?x128xf32>, tensor<2048x128xf32> -> tensor<?x2048xf32>
  return %logits, %kc2, %vc2 : tensor<?x2048xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%x: tensor<2x3xf32>, %y: tensor<3xf32>, %i: tensor<2x3xi64>, %b: tensor<2x3xi1>) {
  // CHECK-COUNT-29: slm.{{[a-z_]+}} %{{.*}} : tensor<2x3xf32>
  %0 = slm.neg %x : tensor<2x3xf32>
  %1 = slm.abs %x : tensor<2x3xf32>
  %2 = slm.sign %x : tensor<2x3xf32>
  %3 = slm.exp %x : tensor<2x3xf32>
  %4 = slm.log %x : tensor<2x3xf32>
  %5 = slm.sqrt %x : tensor<2x3xf32>
  %6 = slm.rsqrt %x : tensor<2x3xf32>
  %7 = slm.reciprocal %x : tensor<2x3xf32>
  %8 = slm.tanh %x : tensor<2x3xf32>
  %9 = slm.erf %x : tensor<2x3xf32>
  %10 = slm.sigmoid %x : tensor<2x3xf32>
  %11 = slm.silu %x : tensor<2x3xf32>
  %12 = slm.relu %x : tensor<2x3xf32>
  %13 = slm.sin %x : tensor<2x3xf32>
  %14 = slm.cos %x : tensor<2x3xf32>
  %15 = slm.tan %x : tensor<2x3xf32>
  %16 = slm.asin %x : tensor<2x3xf32>
  %17 = slm.acos %x : tensor<2x3xf32>
  %18 = slm.atan %x : tensor<2x3xf32>
  %19 = slm.sinh %x : tensor<2x3xf32>
  %20 = slm.cosh %x : tensor<2x3xf32>
  %21 = slm.asinh %x : tensor<2x3xf32>
  %22 = slm.acosh %x : tensor<2x3xf32>
  %23 = slm.atanh %x : tensor<2x3xf32>
  %24 = slm.ceil %x : tensor<2x3xf32>
  %25 = slm.floor %x : tensor<2x3xf32>
  %26 = slm.round %x : tensor<2x3xf32>
  %27 = slm.softplus %x : tensor<2x3xf32>
  %28 = slm.softsign %x : tensor<2x3xf32>
  // CHECK: slm.hard_swish
  %29 = slm.hard_swish %x : tensor<2x3xf32>
  // CHECK: slm.gelu %{{.*}} : tensor<2x3xf32>
  %30 = slm.gelu %x : tensor<2x3xf32>
  // CHECK: slm.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32}
  %31 = slm.leaky_relu %x {alpha = 0.1 : f32} : tensor<2x3xf32>
  // CHECK: slm.elu
  %32 = slm.elu %x {alpha = 1.0 : f32} : tensor<2x3xf32>
  // CHECK: slm.celu
  %33 = slm.celu %x {alpha = 1.0 : f32} : tensor<2x3xf32>
  // CHECK: slm.selu
  %34 = slm.selu %x {alpha = 1.67 : f32, gamma = 1.05 : f32} : tensor<2x3xf32>
  // CHECK: slm.hard_sigmoid
  %35 = slm.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x3xf32>
  // CHECK: slm.thresholded_relu
  %36 = slm.thresholded_relu %x {alpha = 1.0 : f32} : tensor<2x3xf32>
  // CHECK: slm.not %{{.*}} : tensor<2x3xi1>
  %37 = slm.not %b : tensor<2x3xi1>
  // CHECK: slm.sub %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %40 = slm.sub %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.div
  %41 = slm.div %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.pow
  %42 = slm.pow %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.max
  %43 = slm.max %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.min
  %44 = slm.min %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.mod %{{.*}}, %{{.*}} {fmod}
  %45 = slm.mod %x, %y {fmod} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.mod %{{.*}}, %{{.*}} : tensor<2x3xi64>
  %46 = slm.mod %i, %i : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  // CHECK: slm.equal %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %47 = slm.equal %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: slm.less
  %48 = slm.less %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: slm.less_equal
  %49 = slm.less_equal %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: slm.greater
  %50 = slm.greater %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: slm.greater_equal
  %51 = slm.greater_equal %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: slm.and
  %52 = slm.and %b, %b : tensor<2x3xi1>, tensor<2x3xi1> -> tensor<2x3xi1>
  // CHECK: slm.or
  %53 = slm.or %b, %b : tensor<2x3xi1>, tensor<2x3xi1> -> tensor<2x3xi1>
  // CHECK: slm.xor
  %54 = slm.xor %b, %b : tensor<2x3xi1>, tensor<2x3xi1> -> tensor<2x3xi1>
  // CHECK: slm.where %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %55 = slm.where %b, %x, %y : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: slm.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xi64>
  %56 = slm.cast %x : tensor<2x3xf32> -> tensor<2x3xi64>
  return
}

// CHECK-LABEL: func @reductions_and_shapes
func.func @reductions_and_shapes(%x: tensor<2x3x4xf32>, %idx: tensor<5xi64>, %d: tensor<?x4xf32>) {
  // CHECK: slm.reduce_sum %{{.*}} axes = [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  %0 = slm.reduce_sum %x axes = [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  // CHECK: slm.reduce_mean %{{.*}} axes = [-1] {keepdims = false} : tensor<2x3x4xf32> -> tensor<2x3xf32>
  %1 = slm.reduce_mean %x axes = [-1] {keepdims = false} : tensor<2x3x4xf32> -> tensor<2x3xf32>
  // CHECK: slm.reduce_max
  %2 = slm.reduce_max %x axes = [0, 2] : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  // CHECK: slm.reduce_min
  %3 = slm.reduce_min %x axes = [0] : tensor<2x3x4xf32> -> tensor<1x3x4xf32>
  // CHECK: slm.reduce_prod
  %4 = slm.reduce_prod %x axes = [2] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  // CHECK: slm.argmax %{{.*}} axis = 2 {keepdims = false, select_last_index} : tensor<2x3x4xf32> -> tensor<2x3xi64>
  %5 = slm.argmax %x axis = 2 {keepdims = false, select_last_index} : tensor<2x3x4xf32> -> tensor<2x3xi64>
  // CHECK: slm.argmin
  %6 = slm.argmin %x axis = 0 : tensor<2x3x4xf32> -> tensor<1x3x4xi64>
  // CHECK: slm.softmax %{{.*}} {axis = 1 : i64}
  %7 = slm.softmax %x {axis = 1} : tensor<2x3x4xf32>
  // CHECK: slm.log_softmax %{{.*}} : tensor<2x3x4xf32>
  %8 = slm.log_softmax %x : tensor<2x3x4xf32>
  %scale = slm.constant dense<1.0> : tensor<4xf32>
  // CHECK: slm.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
  %9 = slm.layer_norm %x, %scale, %scale {epsilon = 1.0e-5 : f32} : tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  // CHECK: slm.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64
  %10 = slm.layer_norm %x, %scale {axis = 1, epsilon = 1.0e-5 : f32} : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  // CHECK: slm.matmul %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %w = slm.constant dense<1.0> : tensor<4x5xf32>
  %11 = slm.matmul %x, %w : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  // CHECK: slm.transpose %{{.*}} permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %12 = slm.transpose %x permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK: slm.concat %{{.*}}, %{{.*}} axis = 1 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %13 = slm.concat %x, %x axis = 1 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: slm.split %{{.*}} axis = 2 sizes = [1, 3] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>, tensor<2x3x3xf32>
  %14:2 = slm.split %x axis = 2 sizes = [1, 3] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>, tensor<2x3x3xf32>
  %s = slm.constant dense<[0]> : tensor<1xi64>
  %e = slm.constant dense<[2]> : tensor<1xi64>
  %a = slm.constant dense<[2]> : tensor<1xi64>
  %st = slm.constant dense<[1]> : tensor<1xi64>
  // CHECK: slm.slice %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
  %15 = slm.slice %x[%s, %e, %a, %st] : (tensor<2x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x2xf32>
  // CHECK: slm.gather %{{.*}}[%{{.*}}] axis = 2 : tensor<2x3x4xf32>, tensor<5xi64> -> tensor<2x3x5xf32>
  %16 = slm.gather %x[%idx] axis = 2 : tensor<2x3x4xf32>, tensor<5xi64> -> tensor<2x3x5xf32>
  %ei = slm.constant dense<0> : tensor<2x3x1xi64>
  // CHECK: slm.gather_elements %{{.*}}[%{{.*}}] axis = 2
  %17 = slm.gather_elements %x[%ei] axis = 2 : tensor<2x3x4xf32>, tensor<2x3x1xi64> -> tensor<2x3x1xf32>
  // CHECK: slm.unsqueeze %{{.*}} axes = [0, 4] : tensor<2x3x4xf32> -> tensor<1x2x3x4x1xf32>
  %18 = slm.unsqueeze %x axes = [0, 4] : tensor<2x3x4xf32> -> tensor<1x2x3x4x1xf32>
  // CHECK: slm.squeeze %{{.*}} axes = [0] : tensor<1x2x3x4x1xf32> -> tensor<2x3x4x1xf32>
  %19 = slm.squeeze %18 axes = [0] : tensor<1x2x3x4x1xf32> -> tensor<2x3x4x1xf32>
  %shape = slm.constant dense<[3, 2, 3, 4]> : tensor<4xi64>
  // CHECK: slm.expand %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<4xi64> -> tensor<3x2x3x4xf32>
  %20 = slm.expand %x, %shape : tensor<2x3x4xf32>, tensor<4xi64> -> tensor<3x2x3x4xf32>
  // CHECK: slm.shape %{{.*}} {start = 1 : i64} : tensor<?x4xf32> -> tensor<1xi64>
  %21 = slm.shape %d {start = 1} : tensor<?x4xf32> -> tensor<1xi64>
  %r0 = slm.constant dense<0> : tensor<i64>
  %r1 = slm.constant dense<5> : tensor<i64>
  %r2 = slm.constant dense<1> : tensor<i64>
  // CHECK: slm.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %22 = slm.range %r0, %r1, %r2 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  // CHECK: slm.fill %{{.*}}, 0.000000e+00 : f32 : tensor<4xi64> -> tensor<3x2x3x4xf32>
  %23 = slm.fill %shape, 0.0 : f32 : tensor<4xi64> -> tensor<3x2x3x4xf32>
  // CHECK: slm.trilu %{{.*}}, %{{.*}} : tensor<i64> {upper} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %24 = slm.trilu %x, %r2 : tensor<i64> {upper} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // CHECK: slm.trilu %{{.*}} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %25 = slm.trilu %x : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return
}

// CHECK-LABEL: func @quantized_weights
func.func @quantized_weights(%codes4: tensor<384x64xi8>, %scales4: tensor<384x4xf16>,
                             %codes3: tensor<172x24xi8>, %scales3: tensor<172x2xf16>, %mins3: tensor<172x2xf16>,
                             %codes8: tensor<64x172xi8>, %scales8: tensor<64x1xf16>) {
  // CHECK: slm.dequantize %{{.*}}, %{{.*}} {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>} : (tensor<384x64xi8>, tensor<384x4xf16>) -> tensor<384x128xf32>
  %w4 = slm.dequantize %codes4, %scales4 {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>}
      : (tensor<384x64xi8>, tensor<384x4xf16>) -> tensor<384x128xf32>
  // A ragged row: 40 inputs in 2 groups of 32 (the second padded), 3 bits each.
  // CHECK: slm.dequantize %{{.*}}, %{{.*}}, %{{.*}} {format = #slm.weight_format<bits = 3, group = 32, symmetric = false>}
  %w3 = slm.dequantize %codes3, %scales3, %mins3 {format = #slm.weight_format<bits = 3, group = 32, symmetric = false>}
      : (tensor<172x24xi8>, tensor<172x2xf16>, tensor<172x2xf16>) -> tensor<172x40xf32>
  // Per output channel int8: group 0.
  // CHECK: #slm.weight_format<bits = 8, group = 0, symmetric = true>
  %w8 = slm.dequantize %codes8, %scales8 {format = #slm.weight_format<bits = 8, group = 0, symmetric = true>}
      : (tensor<64x172xi8>, tensor<64x1xf16>) -> tensor<64x172xf32>
  return
}

// CHECK-LABEL: func @codebook_weights
func.func @codebook_weights(%codes: tensor<172x24xi8>, %scales: tensor<172x2xf16>, %table: tensor<8xf32>) {
  // A 3-bit codebook: codes index 8 fitted values, times the group's scale.
  // CHECK: slm.dequantize %{{.*}}, %{{.*}} codebook(%{{.*}} : tensor<8xf32>) {format = #slm.weight_format<bits = 3, group = 32, symmetric = true, codebook = true>} : (tensor<172x24xi8>, tensor<172x2xf16>) -> tensor<172x40xf32>
  %w = slm.dequantize %codes, %scales codebook(%table : tensor<8xf32>)
      {format = #slm.weight_format<bits = 3, group = 32, symmetric = true, codebook = true>}
      : (tensor<172x24xi8>, tensor<172x2xf16>) -> tensor<172x40xf32>
  return
}

// CHECK-LABEL: func @half_width_weights
func.func @half_width_weights(%b: tensor<384x128xbf16>, %h: tensor<64x172xf16>) {
  // CHECK: slm.widen %{{.*}} : tensor<384x128xbf16> -> tensor<384x128xf32>
  %wb = slm.widen %b : tensor<384x128xbf16> -> tensor<384x128xf32>
  // CHECK: slm.widen %{{.*}} : tensor<64x172xf16> -> tensor<64x172xf32>
  %wh = slm.widen %h : tensor<64x172xf16> -> tensor<64x172xf32>
  return
}

// CHECK-LABEL: func @fused_blocks
func.func @fused_blocks(%x: tensor<?x8xf32>, %r: tensor<?x8xf32>, %w: tensor<8xf32>,
                        %gu: tensor<?x12xf32>, %g: tensor<?x6xf32>, %u: tensor<?x6xf32>) {
  // CHECK: slm.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>, tensor<?x8xf32>
  %sum, %n = slm.add_rms_norm %x, %r, %w {epsilon = 1.0e-6 : f32} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>, tensor<?x8xf32>
  // CHECK: slm.hadamard %{{.*}}, %{{.*}} {block = 4 : i64} : tensor<?x8xf32>, tensor<8xi8> -> tensor<?x8xf32>
  %signs = slm.constant dense<[1, -1, 1, 1, -1, -1, 1, -1]> : tensor<8xi8>
  %rotated = slm.hadamard %x, %signs {block = 4 : i64} : tensor<?x8xf32>, tensor<8xi8> -> tensor<?x8xf32>
  // CHECK: slm.gated_activation %{{.*}} {activation = #slm<activation silu>} : tensor<?x12xf32> -> tensor<?x6xf32>
  %h = slm.gated_activation %gu {activation = #slm<activation silu>} : tensor<?x12xf32> -> tensor<?x6xf32>
  // CHECK: slm.gated_activation %{{.*}}, %{{.*}} {activation = #slm<activation gelu_tanh>} : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  %h2 = slm.gated_activation %g, %u {activation = #slm<activation gelu_tanh>} : tensor<?x6xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  return
}

// The facts that passes record, round-tripped in their typed form.
// CHECK-LABEL: func @planned
// CHECK-SAME: {slm.arena_offset = array<i64: 0>, slm.name = "tokens"}
// CHECK-SAME: {slm.cache_offset = 128 : i64}
// CHECK: slm.constant {slm.weight_offset = 64 : i64}
// CHECK: slm.linear {{.*}} {slm.arena_offset = array<i64: 192>, slm.kernel = #slm<kernel f32>}
func.func @planned(%tokens: tensor<4xi64> {slm.name = "tokens", slm.arena_offset = array<i64: 0>},
                   %cache: tensor<2x4xf32> {slm.cache_offset = 128 : i64}, %x: tensor<4x8xf32>)
    -> (tensor<4x2xf32> {slm.name = "logits"}) {
  %w = slm.constant {slm.weight_offset = 64 : i64} dense<1.0> : tensor<2x8xf32>
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32>, slm.arena_offset = array<i64: 192>}
      : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// CHECK-LABEL: func @planned_panels
// CHECK: slm.constant {slm.weight_layout = #slm<weight_layout panels16>, slm.weight_offset = 0 : i64}
// CHECK: slm.linear {{.*}} {slm.kernel = #slm<kernel f32_panels>}
func.func @planned_panels(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %w = slm.constant {slm.weight_offset = 0 : i64, slm.weight_layout = #slm<weight_layout panels16>} dense<1.0> : tensor<2x8xf32>
  %y = slm.linear %x, %w {slm.kernel = #slm<kernel f32_panels>} : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      embed: "0x04000000"
    }
  }
#-}

// CHECK-LABEL: func @scaled_rotary
func.func @scaled_rotary(%q: tensor<?x4x16xf32>, %p: tensor<i64>, %f: tensor<8xf32>, %g: tensor<4xf32>) {
  // CHECK: slm.rotary %{{.*}}, %{{.*}} frequencies %{{.*}} : tensor<8xf32> {layout = #slm<rotary_layout rotate_half>, theta = 5.000000e+05 : f64}
  %0 = slm.rotary %q, %p frequencies %f : tensor<8xf32> {theta = 500000.0 : f64, layout = #slm<rotary_layout rotate_half>} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  // CHECK: slm.rotary %{{.*}}, %{{.*}} frequencies %{{.*}} : tensor<4xf32> {{.*}}rotary_dim = 8 : i64
  %1 = slm.rotary %q, %p frequencies %g : tensor<4xf32> {theta = 10000.0 : f64, layout = #slm<rotary_layout interleaved>, rotary_dim = 8 : i64} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  // CHECK: slm.rotary %{{.*}}, %{{.*}} frequencies %{{.*}} : tensor<4xf32> {{.*}}scale = 1.154700e+00 : f32
  %2 = slm.rotary %q, %p frequencies %g : tensor<4xf32> {theta = 10000.0 : f64, layout = #slm<rotary_layout rotate_half>, rotary_dim = 8 : i64, scale = 1.1547 : f32} : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
  return
}

// CHECK-LABEL: func @sliding_window_attention
func.func @sliding_window_attention(%q: tensor<?x8x16xf32>, %k: tensor<?x4x16xf32>, %kc: tensor<64x4x16xf32>, %vc: tensor<64x4x16xf32>, %p: tensor<i64>) {
  // CHECK: slm.attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}} at %{{.*}}) {causal, scale = 2.500000e-01 : f32, window = 4096 : i64}
  %o, %kc2, %vc2 = slm.attention %q, %k, %k cache(%kc, %vc at %p) {scale = 0.25 : f32, causal, window = 4096 : i64}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<64x4x16xf32>, tensor<64x4x16xf32>, tensor<i64>)
      -> (tensor<?x8x16xf32>, tensor<64x4x16xf32>, tensor<64x4x16xf32>)
  return
}

// CHECK-LABEL: func @int8_cache_attention
func.func @int8_cache_attention(%q: tensor<?x8x16xf32>, %k: tensor<?x4x16xf32>, %kc: tensor<64x4x20xi8>, %vc: tensor<64x4x20xi8>, %p: tensor<i64>) {
  // int8 cache rows: the f32 scale's 4 bytes, then 16 codes.
  // CHECK: slm.attention {{.*}} -> (tensor<?x8x16xf32>, tensor<64x4x20xi8>, tensor<64x4x20xi8>)
  %o, %kc2, %vc2 = slm.attention %q, %k, %k cache(%kc, %vc at %p) {scale = 0.25 : f32, causal}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<64x4x20xi8>, tensor<64x4x20xi8>, tensor<i64>)
      -> (tensor<?x8x16xf32>, tensor<64x4x20xi8>, tensor<64x4x20xi8>)
  return
}

// CHECK-LABEL: func @softcapped_attention
func.func @softcapped_attention(%q: tensor<?x8x16xf32>, %k: tensor<?x4x16xf32>) {
  // CHECK: slm.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 6.250000e-02 : f32, softcap = 5.000000e+01 : f32, window = 4096 : i64}
  %o = slm.attention %q, %k, %k {scale = 0.0625 : f32, causal, window = 4096 : i64, softcap = 50.0 : f32}
      : (tensor<?x8x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x8x16xf32>
  return
}
