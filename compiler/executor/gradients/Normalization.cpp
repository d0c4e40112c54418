//===- Normalization.cpp - gradients of RMSNorm ---------------------------===//

#include "compiler/executor/gradients/GradientSupport.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cmath>

using namespace mlir;

namespace slmc::exec {
namespace {

/// y = w ⊙ x r with r = 1 / sqrt(mean(x²) + eps), row by row: adds dw =
/// Σ dy ⊙ x r into `dw` (when given) and writes dx = r (w ⊙ dy) - x r³
/// (Σ w ⊙ dy ⊙ x) / n into `dx` (when given).
void rmsNormRowsGradient(const float *x, const float *w, const float *dy, float *dx, float *dw,
                         int64_t rows, int64_t n, float eps) {
  for (int64_t row = 0; row < rows; ++row) {
    const float *xr = x + row * n, *g = dy + row * n;
    double ss = 0, dot = 0;
    for (int64_t j = 0; j < n; ++j) {
      ss += double(xr[j]) * xr[j];
      dot += double(w[j]) * g[j] * xr[j];
    }
    double r = 1.0 / std::sqrt(ss / n + eps);
    if (dw)
      for (int64_t j = 0; j < n; ++j)
        dw[j] += static_cast<float>(g[j] * xr[j] * r);
    if (dx)
      for (int64_t j = 0; j < n; ++j)
        dx[row * n + j] = static_cast<float>(r * w[j] * g[j] - xr[j] * r * r * r * dot / n);
  }
}

llvm::Expected<Vjp> rmsNormGradient(Operation *op) {
  float eps = llvm::cast<slm::RmsNormOp>(op).getEpsilon().convertToFloat();
  return Vjp([eps](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                   ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (auto error = requireFloat(in, {true, true}))
      return error;
    const Tensor &x = in[0];
    int64_t n = x.dim(-1), rows = n ? x.size() / n : 0;
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    Tensor dx = wanted[0] ? Tensor::zeros(DType::F32, x.shape()) : Tensor();
    Tensor dw = wanted[1] ? Tensor::zeros(DType::F32, in[1].shape()) : Tensor();
    rmsNormRowsGradient(x.data<float>(), in[1].data<float>(), dy.data<float>(),
                        wanted[0] ? dx.data<float>() : nullptr,
                        wanted[1] ? dw.data<float>() : nullptr, rows, n, eps);
    dIn[0] = std::move(dx);
    dIn[1] = std::move(dw);
    return ok();
  });
}

/// (sum, y) = (input + residual, rms_norm(sum)): the sum's gradient is its
/// own plus what flows back from y, and goes to both addends.
llvm::Expected<Vjp> addRmsNormGradient(Operation *op) {
  float eps = llvm::cast<slm::AddRmsNormOp>(op).getEpsilon().convertToFloat();
  return Vjp([eps](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                   ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (auto error = requireFloat(in, {true, true, true}))
      return error;
    const Tensor &sum = out[0];
    int64_t n = sum.dim(-1), rows = n ? sum.size() / n : 0;
    Tensor dy = gradientOrZeros(dOut[1], out[1]);
    Tensor dSum = Tensor::zeros(DType::F32, sum.shape());
    Tensor dw = wanted[2] ? Tensor::zeros(DType::F32, in[2].shape()) : Tensor();
    rmsNormRowsGradient(sum.data<float>(), in[2].data<float>(), dy.data<float>(),
                        dSum.data<float>(), wanted[2] ? dw.data<float>() : nullptr, rows, n,
                        eps);
    if (dOut[0].valid() && dOut[0].size() == sum.size())
      for (int64_t i = 0; i < sum.size(); ++i)
        dSum.data<float>()[i] += dOut[0].data<float>()[i];
    dIn[0] = dSum;
    dIn[1] = dSum;
    dIn[2] = std::move(dw);
    return ok();
  });
}

} // namespace

void addNormalizationGradients(GradientTable &t) {
  t.add<slm::RmsNormOp>(rmsNormGradient);
  t.add<slm::AddRmsNormOp>(addRmsNormGradient);
}

} // namespace slmc::exec
