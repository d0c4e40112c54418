//===- LayerHessians.cpp - second moments of linear-layer inputs ----------===//

#include "compiler/calibration/LayerHessians.h"

#include "compiler/executor/Executor.h"
#include "dialects/slm/IR/SlmOps.h"

#include <algorithm>

namespace slmc {

LayerHessians::LayerHessians(const std::vector<WeightTensor> &weights)
    : slotOf_(weights.size(), -1) {
  llvm::DenseMap<mlir::Value, size_t> byInput;
  for (auto [i, w] : llvm::enumerate(weights)) {
    mlir::Value weight = w.constant->getResult(0);
    llvm::SmallVector<slm::LinearOp> readers;
    for (mlir::Operation *user : weight.getUsers())
      if (auto linear = llvm::dyn_cast<slm::LinearOp>(user); linear && linear.getWeight() == weight)
        readers.push_back(linear);
    if (readers.empty())
      continue;
    if (readers.size() == 1) {
      // One reader: the slot of its input, the first such reader adding to it.
      auto [it, inserted] = byInput.try_emplace(readers[0].getInput(), slots_.size());
      if (inserted) {
        slots_.emplace_back();
        accumulators_[readers[0]] = it->second;
      }
      slotOf_[i] = static_cast<int64_t>(it->second);
      continue;
    }
    slotOf_[i] = static_cast<int64_t>(slots_.size());
    for (slm::LinearOp reader : readers)
      accumulators_[reader] = slots_.size();
    slots_.emplace_back();
  }
}

void LayerHessians::attach(exec::Executor &executor) {
  executor.setObserver([this](mlir::Operation *op, llvm::ArrayRef<exec::Tensor> operands) {
    auto it = accumulators_.find(op);
    if (it == accumulators_.end())
      return;
    const exec::Tensor &x = operands[0];
    int64_t columns = x.dim(-1);
    accumulate(it->second, x.data<float>(), x.size() / columns, columns);
  });
}

void LayerHessians::detach(exec::Executor &executor) { executor.setObserver(nullptr); }

void LayerHessians::accumulate(size_t slot, const float *x, int64_t tokens, int64_t columns) {
  std::vector<double> &h = slots_[slot];
  if (h.empty())
    h.assign(columns * columns, 0.0);
  // One call's x^T x in f32 (rank-1 updates of the upper triangle; the inner
  // loop vectorizes), summed into f64 across calls. A plain loop rather than
  // oneDNN: its OpenMP threads spin-wait badly on a shared machine.
  // Rows of the result in blocks that stay in cache while every token passes
  // (token by token over the whole triangle streamed it from memory once per
  // token: 19 MB for a 3072-wide input); each element still sums its tokens
  // in order, so the result is the same bit for bit.
  constexpr int64_t kRowBlock = 16;
  scratch_.assign(columns * columns, 0.0f);
  for (int64_t i0 = 0; i0 < columns; i0 += kRowBlock) {
    int64_t i1 = std::min(columns, i0 + kRowBlock);
    for (int64_t t = 0; t < tokens; ++t) {
      const float *row = x + t * columns;
      for (int64_t i = i0; i < i1; ++i) {
        float xi = row[i];
        float *out = scratch_.data() + i * columns;
        for (int64_t j = i; j < columns; ++j)
          out[j] += xi * row[j];
      }
    }
  }
  for (int64_t i = 0; i < columns; ++i)
    for (int64_t j = i; j < columns; ++j) {
      h[i * columns + j] += scratch_[i * columns + j];
      if (j != i)
        h[j * columns + i] += scratch_[i * columns + j];
    }
}

} // namespace slmc
