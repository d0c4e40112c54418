//===- LinearAlgebra.cpp - gradients of linear, embedding and hadamard ----===//

#include "compiler/executor/gradients/GradientSupport.h"
#include "compiler/quant/Hadamard.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::exec {
namespace {

/// y = x Wᵀ + b: dx = dy W, dW = dyᵀ x, db = the column sums of dy.
llvm::Error linearGradient(ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                           ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) {
  if (auto error = requireFloat(in, wanted))
    return error;
  const Tensor &x = in[0], &w = in[1];
  Tensor dy = gradientOrZeros(dOut[0], out[0]);
  int64_t k = x.dim(-1), n = w.dim(0), m = k ? x.size() / k : 0;
  if (wanted[0]) {
    Tensor dx = Tensor::zeros(DType::F32, x.shape());
    if (auto error = gemm(false, false, m, k, n, dy.data<float>(), w.data<float>(),
                          dx.data<float>()))
      return error;
    dIn[0] = std::move(dx);
  }
  if (wanted[1]) {
    Tensor dw = Tensor::zeros(DType::F32, w.shape());
    if (auto error = gemm(true, false, n, k, m, dy.data<float>(), x.data<float>(),
                          dw.data<float>()))
      return error;
    dIn[1] = std::move(dw);
  }
  if (in.size() > 2 && wanted[2]) {
    Tensor db = Tensor::zeros(DType::F32, in[2].shape());
    for (int64_t row = 0; row < m; ++row)
      for (int64_t j = 0; j < n; ++j)
        db.data<float>()[j] += dy.data<float>()[row * n + j];
    dIn[2] = std::move(db);
  }
  return ok();
}

/// Rows of the table: each adds up the gradients of the positions that read it.
llvm::Error embeddingGradient(ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                              ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) {
  if (!wanted[0])
    return ok();
  if (auto error = requireFloat(in, {true}))
    return error;
  const Tensor &table = in[0], &ids = in[1];
  int64_t width = table.dim(1);
  Tensor dy = gradientOrZeros(dOut[0], out[0]);
  Tensor dt = Tensor::zeros(DType::F32, table.shape());
  for (int64_t i = 0, n = ids.size(); i < n; ++i) {
    float *row = dt.data<float>() + ids.intAt(i) * width; // ids were checked going forward
    const float *g = dy.data<float>() + i * width;
    for (int64_t j = 0; j < width; ++j)
      row[j] += g[j];
  }
  dIn[0] = std::move(dt);
  return ok();
}

/// The rotation is orthogonal and symmetric: the gradient goes back through
/// the same rotation.
llvm::Expected<Vjp> hadamardGradient(Operation *op) {
  int64_t block = llvm::cast<slm::HadamardOp>(op).getBlock();
  return Vjp([block](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                     ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (!wanted[0])
      return ok();
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    int64_t n = dy.dim(-1);
    Tensor dx = Tensor::zeros(DType::F32, in[0].shape());
    std::copy(dy.data<float>(), dy.data<float>() + dy.size(), dx.data<float>());
    rotateRowsHadamard(dx.data<float>(), n ? dx.size() / n : 0, n, block,
                       in[1].data<int8_t>());
    dIn[0] = std::move(dx);
    return ok();
  });
}

} // namespace

void addLinearAlgebraGradients(GradientTable &t) {
  t.addSimple<slm::LinearOp>(linearGradient);
  t.addSimple<slm::EmbeddingOp>(embeddingGradient);
  t.add<slm::HadamardOp>(hadamardGradient);
}

} // namespace slmc::exec
