//===- OnnxConverters.h - ONNX op type -> converter -------------*- C++ -*-===//
#pragma once

#include "compiler/frontends/onnx/OnnxNode.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace slmc::onnx_import {

/// Builds the slm ops of one node and sets its outputs.
using Converter = llvm::Error (*)(Node &node);

struct OpConverter {
  llvm::StringLiteral opType;
  Converter convert;
  /// How many leading inputs the operator requires (checked before converting).
  unsigned requiredInputs;
};

// Each group lives in its own OnnxOps*.cpp.
llvm::ArrayRef<OpConverter> elementwiseConverters();
llvm::ArrayRef<OpConverter> activationConverters();
llvm::ArrayRef<OpConverter> reductionConverters();
llvm::ArrayRef<OpConverter> shapeConverters();
llvm::ArrayRef<OpConverter> dataConverters();
llvm::ArrayRef<OpConverter> generatorConverters();
llvm::ArrayRef<OpConverter> neuralConverters();
llvm::ArrayRef<OpConverter> lossConverters();

// Building blocks that several groups share; all fold known integers.

enum class Arith { Add, Sub, Mul, Div };
/// Elementwise integer or float arithmetic (OnnxOpsElementwise.cpp).
llvm::Expected<mlir::Value> arith(Node &node, Arith kind, mlir::Value lhs, mlir::Value rhs);
/// slm.concat (OnnxOpsShape.cpp).
llvm::Expected<mlir::Value> concat(Node &node, llvm::ArrayRef<mlir::Value> inputs, int64_t axis);
/// ONNX Slice along one axis with constant bounds (OnnxOpsShape.cpp).
llvm::Expected<mlir::Value> sliceAxis(Node &node, mlir::Value input, int64_t axis, int64_t start,
                                      int64_t end, int64_t step = 1);
/// ONNX Expand, typed from what is known of `shape` (OnnxOpsShape.cpp).
llvm::Expected<mlir::Value> expand(Node &node, mlir::Value input, mlir::Value shape);
/// The shape of `input` with dimension `axis` replaced by `size`.
llvm::Expected<mlir::Value> shapeWithDim(Node &node, mlir::Value input, int64_t axis, int64_t size);

/// The converter of a default-domain op type; null when unsupported.
const OpConverter *findConverter(llvm::StringRef opType);

} // namespace slmc::onnx_import
