// RUN: slmc-opt %s -split-input-file --slm-refine-shapes | FileCheck %s
// RUN: slmc-opt %s -split-input-file --slm-refine-shapes --canonicalize | FileCheck %s --check-prefix=CANON

// x.view(x.shape[:-1] + (-1, 2)) as torch exports it: the shape is computed at
// run time, so the importer types the result [?, ?, ?, ?]. Its first two
// elements are the input's own dims (1 and the token count), and the -1 is
// what is left of 8 per token once the token counts cancel: 4.
// CHECK-LABEL: func @forward
// CHECK-SAME: -> (tensor<1x?x4x2xf32>
// CHECK: slm.concat {{.*}} -> tensor<4xi64>
// CHECK: slm.reshape {{.*}} -> tensor<1x?x4x2xf32>
// The computed shape folds to a constant once the types say enough.
// CANON-LABEL: func @forward
// CANON: %[[SPEC:.*]] = slm.constant dense<[1, -1, 4, 2]> : tensor<4xi64>
// CANON: slm.reshape %{{.*}}, %[[SPEC]] : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x4x2xf32>
// CANON-NOT: slm.shape
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<?x?x?x?xf32> {slm.name = "logits"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %x = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %shape = slm.shape %x : tensor<1x?x8xf32> -> tensor<3xi64>
    %c0 = slm.constant dense<0> : tensor<1xi64>
    %c1 = slm.constant dense<1> : tensor<1xi64>
    %c2 = slm.constant dense<2> : tensor<1xi64>
    %head = slm.slice %shape[%c0, %c2, %c0, %c1] : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
    %tail = slm.constant dense<[-1, 2]> : tensor<2xi64>
    %spec = slm.concat %head, %tail axis = 0 : (tensor<2xi64>, tensor<2xi64>) -> tensor<?xi64>
    %r = slm.reshape %x, %spec : tensor<1x?x8xf32>, tensor<?xi64> -> tensor<?x?x?x?xf32>
    return %r : tensor<?x?x?x?xf32>
  }
}

// -----

// A dimension that depends on the token count in a way the symbols cannot
// cancel (all values flattened) stays dynamic; the known dims become static.
// CHECK-LABEL: func @forward
// CHECK: slm.reshape {{.*}} -> tensor<?xf32>
// CHECK: slm.transpose {{.*}} -> tensor<8x?x1xf32>
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 16, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<?xf32> {slm.name = "flat"}, tensor<?x?x?xf32> {slm.name = "moved"}) {
    %table = slm.constant dense<0.5> : tensor<16x8xf32>
    %x = slm.embedding %table, %ids : tensor<16x8xf32>, tensor<1x?xi64> -> tensor<1x?x8xf32>
    %all = slm.constant dense<[-1]> : tensor<1xi64>
    %flat = slm.reshape %x, %all : tensor<1x?x8xf32>, tensor<1xi64> -> tensor<?xf32>
    %moved = slm.transpose %x permutation = [2, 1, 0] : tensor<1x?x8xf32> -> tensor<?x?x?xf32>
    return %flat, %moved : tensor<?xf32>, tensor<?x?x?xf32>
  }
}
