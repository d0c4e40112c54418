//===- ReferenceModel.h - a LanguageModel on the reference executor -*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>
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

  /// The gradient of a loss with respect to the logits [tokens, vocab].
  using LogitsGradient = std::function<llvm::Expected<exec::Tensor>(const exec::Tensor &logits)>;
  /// Reverse mode over one window: the logits of `tokens` read from position
  /// 0 (fresh KV caches; the model's own state is untouched), `loss`'s
  /// gradient of them, and the loss's gradients with respect to `constants`
  /// (slm.constant ops of @forward). Several windows may run at once.
  virtual llvm::Expected<std::vector<exec::Tensor>>
  gradient(llvm::ArrayRef<int32_t> tokens, const LogitsGradient &loss,
           llvm::ArrayRef<mlir::Operation *> constants) const = 0;

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
