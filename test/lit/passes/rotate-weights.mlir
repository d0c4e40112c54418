// RUN: slmc-opt %s -split-input-file --slm-rotate-weights | FileCheck %s

// Linears that read one value share one rotation (signs per row width); a
// tied table is rotated once, and the rows an embedding gathers are rotated
// back. The 48-wide linear rotates in blocks of 16, the largest power of two
// dividing 48.
// CHECK-LABEL: func @forward
// CHECK-DAG: %[[S16:.*]] = slm.constant dense<{{.*}}> : tensor<16xi8>
// CHECK-DAG: %[[S48:.*]] = slm.constant dense<{{.*}}> : tensor<48xi8>
// CHECK: %[[TABLE:.*]] = slm.constant dense_resource<{{.*}}> : tensor<32x16xf32>
// CHECK: %[[ROWS:.*]] = slm.embedding %[[TABLE]], %{{.*}}
// CHECK: %[[X:.*]] = slm.hadamard %[[ROWS]], %[[S16]] {block = 16 : i64}
// CHECK: %[[N:.*]] = slm.rms_norm %[[X]]
// CHECK: %[[R:.*]] = slm.hadamard %[[N]], %[[S16]] {block = 16 : i64}
// CHECK-NOT: slm.hadamard %[[N]]
// CHECK: slm.linear %[[R]], %{{.*}} : tensor<?x16xf32>, tensor<48x16xf32>
// CHECK: slm.linear %[[R]], %{{.*}} : tensor<?x16xf32>, tensor<48x16xf32>
// CHECK: %[[M:.*]] = slm.mul
// CHECK: %[[RM:.*]] = slm.hadamard %[[M]], %[[S48]] {block = 16 : i64}
// CHECK: %[[D:.*]] = slm.linear %[[RM]], %{{.*}} : tensor<?x48xf32>, tensor<16x48xf32>
// CHECK: %[[Y:.*]] = slm.add %[[X]], %[[D]]
// CHECK: %[[RY:.*]] = slm.hadamard %[[Y]], %[[S16]] {block = 16 : i64}
// CHECK: slm.linear %[[RY]], %[[TABLE]] : tensor<?x16xf32>, tensor<32x16xf32>
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 32, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
func.func @forward(%ids: tensor<?xi64> {slm.name = "input_ids"}) -> (tensor<?x32xf32> {slm.name = "logits"}) {
  %table = slm.constant dense<0.5> : tensor<32x16xf32>
  %norm = slm.constant dense<1.0> : tensor<16xf32>
  %gate = slm.constant dense<0.25> : tensor<48x16xf32>
  %up = slm.constant dense<0.125> : tensor<48x16xf32>
  %down = slm.constant dense<2.0> : tensor<16x48xf32>
  %x = slm.embedding %table, %ids : tensor<32x16xf32>, tensor<?xi64> -> tensor<?x16xf32>
  %n = slm.rms_norm %x, %norm {epsilon = 1.0e-6 : f32} : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %g = slm.linear %n, %gate : tensor<?x16xf32>, tensor<48x16xf32> -> tensor<?x48xf32>
  %u = slm.linear %n, %up : tensor<?x16xf32>, tensor<48x16xf32> -> tensor<?x48xf32>
  %m = slm.mul %g, %u : tensor<?x48xf32>, tensor<?x48xf32> -> tensor<?x48xf32>
  %d = slm.linear %m, %down : tensor<?x48xf32>, tensor<16x48xf32> -> tensor<?x16xf32>
  %y = slm.add %x, %d : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  %logits = slm.linear %y, %table : tensor<?x16xf32>, tensor<32x16xf32> -> tensor<?x32xf32>
  return %logits : tensor<?x32xf32>
}
}

// -----

// Left alone: rows of 12 (a power-of-two block of 4, too small to spread a
// group's outliers), and a weight that something other than a linear or an
// embedding reads.
// CHECK-LABEL: func @forward
// CHECK-NOT: slm.hadamard
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 32, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
func.func @forward(%x: tensor<?x12xf32> {slm.name = "x"}, %y: tensor<4x16xf32> {slm.name = "y"}) -> (tensor<?x4xf32> {slm.name = "a"}, tensor<4x16xf32> {slm.name = "b"}) {
  %w = slm.constant dense<1.0> : tensor<4x12xf32>
  %v = slm.constant dense<1.0> : tensor<4x16xf32>
  %a = slm.linear %x, %w : tensor<?x12xf32>, tensor<4x12xf32> -> tensor<?x4xf32>
  %b = slm.add %y, %v : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %a, %b : tensor<?x4xf32>, tensor<4x16xf32>
}
}
