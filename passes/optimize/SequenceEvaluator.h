//===- SequenceEvaluator.h - position-only values, evaluated ----*- C++ -*-===//
//
// Exported graphs compute their causal masks and rotary tables from the
// sequence: from the shape of the token ids, a range of positions, an
// attention mask of ones, the length of the past. The forms vary from one
// exporter to the next, so the fusion patterns match the arithmetic around
// these values structurally but check the values themselves by evaluating
// them, on the reference executor, for concrete sequence lengths, with the
// inputs a generating runtime would pass: token ids, a mask of ones over every
// position, positions past .. past+tokens-1, and past keys and values. A value
// that changes with the token ids or the past's contents is not a function of
// the sequence alone and is refused.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "passes/optimize/GraphInputs.h"

#include <map>
#include <memory>

namespace slmc {

/// Also a rewrite listener: values of erased ops are forgotten, so that a
/// value created later at the same address is evaluated afresh.
class SequenceEvaluator : public mlir::RewriterBase::Listener {
public:
  SequenceEvaluator(mlir::func::FuncOp forward, GraphInputs inputs);
  ~SequenceEvaluator();

  /// `value` of @forward for `tokens` new tokens after `past` cached ones
  /// (past must be 0 for graphs without past inputs); nullopt when it cannot
  /// be evaluated or depends on more than the sequence.
  std::optional<exec::Tensor> evaluate(mlir::Value value, int64_t tokens, int64_t past);

  const GraphInputs &inputs() const { return inputs_; }

  void notifyOperationErased(mlir::Operation *op) override;

private:
  struct Slice;
  Slice *sliceFor(mlir::Value value);
  std::vector<exec::Tensor> arguments(int64_t tokens, int64_t past, int64_t fill);

  mlir::func::FuncOp forward_;
  GraphInputs inputs_;
  llvm::DenseMap<mlir::Value, std::unique_ptr<Slice>> slices_;
  std::map<std::tuple<void *, int64_t, int64_t>, std::optional<exec::Tensor>> results_;
};

} // namespace slmc
