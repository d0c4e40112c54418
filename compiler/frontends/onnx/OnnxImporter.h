//===- OnnxImporter.h - ONNX models to the slm dialect ----------*- C++ -*-===//
//
// Imports an ONNX model (default domain, opsets 13 to 21) as a module with one
// `func.func @forward` of slm ops. Initializers become `slm.constant` ops over
// dense_resource blobs named after them (zero-copy for external data files).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace slmc {

/// The model is valid ONNX but uses something slmc cannot express: operators,
/// element types or opsets. Callers that survey models (the conformance
/// tool) tell these apart from malformed models and importer bugs.
class OnnxUnsupportedError : public llvm::ErrorInfo<OnnxUnsupportedError> {
public:
  static char ID;
  /// `features` are short names of what is missing, for tallies: op types
  /// without a converter, or e.g. "opset 11", "element type double".
  OnnxUnsupportedError(std::string message, std::vector<std::string> features)
      : message_(std::move(message)), features_(std::move(features)) {}
  void log(llvm::raw_ostream &os) const override { os << message_; }
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }
  const std::vector<std::string> &features() const { return features_; }

private:
  std::string message_;
  std::vector<std::string> features_;
};

/// Imports the ONNX model at `path`. The module holds:
///   - `func.func @forward`: one argument per graph input that is not an
///     initializer (in order, named by the `slm.name` argument attribute) and
///     one result per graph output (`slm.name` result attribute); unknown
///     dimensions are dynamic (`?`), except that slmc runs one sequence at a
///     time: the unknown leading (batch) dimension of an input of rank 2 or
///     more is 1;
///   - the model contract `slm.model` (architecture "graph", source "onnx"),
///     with the vocabulary when the graph maps token ids to logits.
/// Loads the slm and func dialects into `context`. Errors name the file;
/// unsupported operators are all reported in one OnnxUnsupportedError.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importOnnx(mlir::MLIRContext &context,
                                                             llvm::StringRef path);

} // namespace slmc
