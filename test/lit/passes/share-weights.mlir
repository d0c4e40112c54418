// RUN: slmc-opt %s --slm-share-weights | FileCheck %s

// A tied model as exporters write it: the embedding table and the output
// projection's weight are two blobs with the same bytes. They become one
// constant; a weight of the same type with other bytes stays its own.
// CHECK-LABEL: func @forward
// CHECK: %[[TABLE:.*]] = slm.constant dense_resource<table> : tensor<4x2xf32>
// CHECK: slm.embedding %[[TABLE]]
// CHECK-NOT: dense_resource<head>
// CHECK: %[[OTHER:.*]] = slm.constant dense_resource<other> : tensor<4x2xf32>
// CHECK: slm.linear %{{.*}}, %[[TABLE]]
// CHECK: slm.linear %{{.*}}, %[[OTHER]]
module attributes {slm.model = #slm.model<architecture = "graph", source = "onnx", vocab_size = 4, max_positions = 0, bos_token_id = 1, eos_token_id = 2>} {
  func.func @forward(%ids: tensor<1x?xi64> {slm.name = "input_ids"}) -> (tensor<1x?x4xf32> {slm.name = "logits"}, tensor<1x?x4xf32> {slm.name = "other"}) {
    %table = slm.constant dense_resource<table> : tensor<4x2xf32>
    %x = slm.embedding %table, %ids : tensor<4x2xf32>, tensor<1x?xi64> -> tensor<1x?x2xf32>
    %head = slm.constant dense_resource<head> : tensor<4x2xf32>
    %other = slm.constant dense_resource<other> : tensor<4x2xf32>
    %logits = slm.linear %x, %head : tensor<1x?x2xf32>, tensor<4x2xf32> -> tensor<1x?x4xf32>
    %y = slm.linear %x, %other : tensor<1x?x2xf32>, tensor<4x2xf32> -> tensor<1x?x4xf32>
    return %logits, %y : tensor<1x?x4xf32>, tensor<1x?x4xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      table: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C0",
      head: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C0",
      other: "0x040000000000803F000000400000404000008040000080BF000000C0000040C00000803F"
    }
  }
#-}
