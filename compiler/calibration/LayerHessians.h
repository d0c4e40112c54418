//===- LayerHessians.h - second moments of linear-layer inputs --*- C++ -*-===//
#pragma once

#include "compiler/quant/WeightTensors.h"

#include <vector>

namespace slmc {
namespace exec {
class Executor;
} // namespace exec

/// H = sum over tokens of x x^T for the inputs x of the linear ops that read
/// each weight: GPTQ's Hessian of the layer's squared output error. Weights
/// whose linear ops read one input (q/k/v, gate/up) share one H, computed and
/// stored once; a weight that several linear ops read sums all their inputs.
class LayerHessians {
public:
  explicit LayerHessians(const std::vector<WeightTensor> &weights);

  /// Accumulates while `executor` runs, until detach(), which reports a
  /// product that failed on the way.
  void attach(exec::Executor &executor);
  llvm::Error detach(exec::Executor &executor);

  /// columns x columns, row-major; empty for weights no linear op reads (an
  /// embedding table that is not tied to the output head). Weights that share
  /// their input return the same memory.
  llvm::ArrayRef<double> of(size_t weight) const {
    if (slotOf_[weight] < 0)
      return {};
    return slots_[slotOf_[weight]];
  }

private:
  void accumulate(size_t slot, const float *x, int64_t tokens, int64_t columns);

  llvm::DenseMap<mlir::Operation *, size_t> accumulators_; // linear op -> the slot it adds to
  std::vector<int64_t> slotOf_;                            // weight -> slot (-1: none)
  std::vector<std::vector<double>> slots_;
  std::vector<float> scratch_;
  bool failed_ = false;
};

} // namespace slmc
