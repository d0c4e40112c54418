// RUN: slmc-opt %s -split-input-file --canonicalize | FileCheck %s

// Shapes computed at run time become constants once the result type pins them
// down; reshape chains collapse; transposes compose, vanish or become reshapes.

// CHECK-LABEL: func @computed_reshape
// CHECK: %[[SPEC:.*]] = slm.constant dense<[1, -1, 2, 4]> : tensor<4xi64>
// CHECK: slm.reshape %arg0, %[[SPEC]] : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x2x4xf32>
// CHECK-NOT: slm.shape
func.func @computed_reshape(%x: tensor<1x?x8xf32>) -> tensor<1x?x2x4xf32> {
  %shape = slm.shape %x : tensor<1x?x8xf32> -> tensor<3xi64>
  %i1 = slm.constant dense<1> : tensor<i64>
  %seq = slm.gather %shape[%i1] axis = 0 : tensor<3xi64>, tensor<i64> -> tensor<i64>
  %seq1 = slm.unsqueeze %seq axes = [0] : tensor<i64> -> tensor<1xi64>
  %one = slm.constant dense<1> : tensor<1xi64>
  %rest = slm.constant dense<[2, 4]> : tensor<2xi64>
  %spec = slm.concat %one, %seq1, %rest axis = 0 : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = slm.reshape %x, %spec : tensor<1x?x8xf32>, tensor<4xi64> -> tensor<1x?x2x4xf32>
  return %y : tensor<1x?x2x4xf32>
}

// -----

// Two dynamic dimensions: the computed shape stays.
// CHECK-LABEL: func @two_dynamic
// CHECK: slm.concat
func.func @two_dynamic(%x: tensor<?x?x8xf32>) -> tensor<?x?x2x4xf32> {
  %s = slm.shape %x : tensor<?x?x8xf32> -> tensor<3xi64>
  %head = slm.constant dense<[2, 4]> : tensor<2xi64>
  %c0 = slm.constant dense<0> : tensor<1xi64>
  %c1 = slm.constant dense<1> : tensor<1xi64>
  %c2 = slm.constant dense<2> : tensor<1xi64>
  %d = slm.slice %s[%c0, %c2, %c0, %c1] : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %all = slm.concat %d, %head axis = 0 : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = slm.reshape %x, %all : tensor<?x?x8xf32>, tensor<4xi64> -> tensor<?x?x2x4xf32>
  return %y : tensor<?x?x2x4xf32>
}

// -----

// reshape(unsqueeze(reshape(x))) is one reshape; an identity reshape vanishes.
// CHECK-LABEL: func @chain
// CHECK-NEXT: %[[SPEC:.*]] = slm.constant dense<[-1, 4]>
// CHECK-NEXT: %[[Y:.*]] = slm.reshape %arg0, %[[SPEC]] : tensor<?x2x2xf32>, tensor<2xi64> -> tensor<?x4xf32>
// CHECK-NEXT: return %[[Y]], %arg0
func.func @chain(%x: tensor<?x2x2xf32>) -> (tensor<?x4xf32>, tensor<?x2x2xf32>) {
  %s1 = slm.constant dense<[-1, 2, 2, 1]> : tensor<4xi64>
  %a = slm.reshape %x, %s1 : tensor<?x2x2xf32>, tensor<4xi64> -> tensor<?x2x2x1xf32>
  %b = slm.unsqueeze %a axes = [0] : tensor<?x2x2x1xf32> -> tensor<1x?x2x2x1xf32>
  %s2 = slm.constant dense<[-1, 4]> : tensor<2xi64>
  %c = slm.reshape %b, %s2 : tensor<1x?x2x2x1xf32>, tensor<2xi64> -> tensor<?x4xf32>
  %s3 = slm.constant dense<[-1, 2, 2]> : tensor<3xi64>
  %same = slm.reshape %x, %s3 : tensor<?x2x2xf32>, tensor<3xi64> -> tensor<?x2x2xf32>
  return %c, %same : tensor<?x4xf32>, tensor<?x2x2xf32>
}

// -----

// Transposes compose; one that returns to the start vanishes; one that only
// moves size-1 dimensions is a reshape.
// CHECK-LABEL: func @transposes
// CHECK-DAG: %[[T:.*]] = slm.transpose %arg0 permutation = [2, 0, 1]
// CHECK-DAG: %[[R:.*]] = slm.reshape %arg1
// CHECK: return %[[T]], %arg0, %[[R]]
func.func @transposes(%x: tensor<2x3x4xf32>, %y: tensor<1x?x4xf32>)
    -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>, tensor<?x1x4xf32>) {
  %a = slm.transpose %x permutation = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %b = slm.transpose %a permutation = [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  %c = slm.transpose %a permutation = [1, 0, 2] : tensor<3x2x4xf32> -> tensor<2x3x4xf32>
  %d = slm.transpose %y permutation = [1, 0, 2] : tensor<1x?x4xf32> -> tensor<?x1x4xf32>
  return %b, %c, %d : tensor<4x2x3xf32>, tensor<2x3x4xf32>, tensor<?x1x4xf32>
}

// -----

// An expand whose target is computed: the dynamic dimension is the input's own.
// CHECK-LABEL: func @computed_expand
// CHECK: %[[SHAPE:.*]] = slm.constant dense<[1, 4, 2, 1, 16]> : tensor<5xi64>
// CHECK: slm.expand %arg0, %[[SHAPE]]
func.func @computed_expand(%x: tensor<1x4x1x?x16xf32>) -> tensor<1x4x2x?x16xf32> {
  %s = slm.shape %x : tensor<1x4x1x?x16xf32> -> tensor<5xi64>
  %c3 = slm.constant dense<3> : tensor<1xi64>
  %c4 = slm.constant dense<4> : tensor<1xi64>
  %c0 = slm.constant dense<0> : tensor<1xi64>
  %c1 = slm.constant dense<1> : tensor<1xi64>
  %t = slm.slice %s[%c3, %c4, %c0, %c1] : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %head = slm.constant dense<[1, 4, 2]> : tensor<3xi64>
  %tail = slm.constant dense<16> : tensor<1xi64>
  %target = slm.concat %head, %t, %tail axis = 0 : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %y = slm.expand %x, %target : tensor<1x4x1x?x16xf32>, tensor<5xi64> -> tensor<1x4x2x?x16xf32>
  return %y : tensor<1x4x2x?x16xf32>
}
