//===- LayerHessians.h - second moments of linear-layer inputs --*- C++ -*-===//
#pragma once

#include "compiler/quant/WeightTensors.h"

#include <vector>

namespace slmc {
namespace exec {
class Executor;
} // namespace exec

/// H = sum over tokens of x x^T for the inputs x of the linear ops that read
/// each weight: GPTQ's Hessian of the layer's squared output error.
class LayerHessians {
public:
  explicit LayerHessians(const std::vector<WeightTensor> &weights);

  /// Accumulates while `executor` runs, until detach().
  void attach(exec::Executor &executor);
  void detach(exec::Executor &executor);

  /// columns x columns, row-major; empty for weights no linear op reads (an
  /// embedding table that is not tied to the output head).
  llvm::ArrayRef<double> of(size_t weight) const { return hessians_[weight]; }

private:
  void accumulate(size_t weight, const float *x, int64_t tokens, int64_t columns);

  llvm::DenseMap<mlir::Operation *, size_t> index_; // constant -> weight
  std::vector<std::vector<double>> hessians_;
  std::vector<float> scratch_;
};

} // namespace slmc
