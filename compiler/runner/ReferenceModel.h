//===- ReferenceModel.h - a LanguageModel on the reference executor -*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>

namespace slmc {
namespace exec {
class Executor;
} // namespace exec

/// A LanguageModel whose executor calibration may observe and patch.
class ReferenceModel : public LanguageModel {
public:
  explicit ReferenceModel(std::unique_ptr<exec::Executor> executor);
  ~ReferenceModel() override;
  exec::Executor &executor() { return *executor_; }

protected:
  std::unique_ptr<exec::Executor> executor_;
};

/// Runs a module's @forward on the reference executor. Decoders with KV-cache
/// arguments decode incrementally; stateless graphs (input_ids -> logits, as
/// ONNX exports are) re-run the whole sequence on every call.
/// `capacity` is the number of positions to make room for.
llvm::Expected<std::unique_ptr<ReferenceModel>> createReferenceModel(mlir::ModuleOp module,
                                                                    int64_t capacity);

} // namespace slmc
