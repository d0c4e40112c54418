//===- LayerHessians.cpp - second moments of linear-layer inputs ----------===//

#include "compiler/calibration/LayerHessians.h"

#include "compiler/executor/Executor.h"
#include "compiler/support/Error.h"
#include "dialects/slm/IR/SlmOps.h"

#include <algorithm>
#include <oneapi/dnnl/dnnl.h>

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

llvm::Error LayerHessians::detach(exec::Executor &executor) {
  executor.setObserver(nullptr);
  if (failed_)
    return makeError("layer Hessians: oneDNN's sgemm failed");
  return llvm::Error::success();
}

void LayerHessians::accumulate(size_t slot, const float *x, int64_t tokens, int64_t columns) {
  std::vector<double> &h = slots_[slot];
  if (h.empty())
    h.assign(columns * columns, 0.0);
  // One call's x^T x in f32 by oneDNN's sgemm (the same threaded GEMM the
  // executor's linear ops run on; the full square costs twice the triangle's
  // arithmetic but runs an order of magnitude faster than a plain loop: a
  // 0.5B model's inputs took 5.6 s per 128-token window that way), summed
  // into f64 across calls so that long calibrations do not lose precision.
  scratch_.resize(columns * columns);
  dnnl_status_t status = dnnl_sgemm('T', 'N', columns, columns, tokens, 1.0f, x, columns, x,
                                    columns, 0.0f, scratch_.data(), columns);
  if (status != dnnl_success) {
    failed_ = true;
    return;
  }
  for (int64_t i = 0; i < columns * columns; ++i)
    h[i] += scratch_[i];
}

} // namespace slmc
