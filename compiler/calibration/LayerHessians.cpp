//===- LayerHessians.cpp - second moments of linear-layer inputs ----------===//

#include "compiler/calibration/LayerHessians.h"

#include "compiler/executor/Executor.h"
#include "dialects/slm/IR/SlmOps.h"

#include <oneapi/dnnl/dnnl.h>

namespace slmc {

LayerHessians::LayerHessians(const std::vector<WeightTensor> &weights)
    : hessians_(weights.size()) {
  for (auto [i, w] : llvm::enumerate(weights))
    index_[w.constant] = i;
}

void LayerHessians::attach(exec::Executor &executor) {
  executor.setObserver([this](mlir::Operation *op, llvm::ArrayRef<exec::Tensor> operands) {
    auto linear = llvm::dyn_cast<slm::LinearOp>(op);
    if (!linear)
      return;
    auto it = index_.find(linear.getWeight().getDefiningOp());
    if (it == index_.end())
      return;
    const exec::Tensor &x = operands[0];
    int64_t columns = x.dim(-1);
    accumulate(it->second, x.data<float>(), x.size() / columns, columns);
  });
}

void LayerHessians::detach(exec::Executor &executor) { executor.setObserver(nullptr); }

void LayerHessians::accumulate(size_t weight, const float *x, int64_t tokens, int64_t columns) {
  std::vector<double> &h = hessians_[weight];
  if (h.empty())
    h.assign(columns * columns, 0.0);
  // One window's x^T x in f32 (oneDNN), summed into f64 across windows.
  scratch_.resize(columns * columns);
  dnnl_sgemm('T', 'N', columns, columns, tokens, 1.0f, x, columns, x, columns, 0.0f,
             scratch_.data(), columns);
  for (int64_t i = 0; i < columns * columns; ++i)
    h[i] += scratch_[i];
}

} // namespace slmc
