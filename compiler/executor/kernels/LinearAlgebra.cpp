//===- LinearAlgebra.cpp - matmul, linear, embedding, hadamard kernels ----===//
//
// Matrix products go through gemm (KernelSupport.h): oneDNN's sgemm when
// large; everything else is plain loops.
//
//===----------------------------------------------------------------------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "compiler/quant/Hadamard.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cstring>

using namespace mlir;

namespace slmc::exec {
namespace {

llvm::Error matmul(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  Shape a(in[0].shape()), b(in[1].shape());
  bool aVector = a.size() == 1, bVector = b.size() == 1;
  if (aVector)
    a.insert(a.begin(), 1);
  if (bVector)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  if (b[b.size() - 2] != k)
    return makeError("contraction dimensions differ: {0} vs {1}", k, b[b.size() - 2]);
  auto batch = broadcast({ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2)});
  if (!batch)
    return batch.takeError();
  Shape shape = batch->shape;
  if (!aVector)
    shape.push_back(m);
  if (!bVector)
    shape.push_back(n);
  Tensor y = Tensor::zeros(DType::F32, shape);
  llvm::Error error = ok();
  forEachBroadcast<2>(*batch, [&](int64_t i, const std::array<int64_t, 2> &o) {
    if (!error)
      error = gemm(false, false, m, n, k, in[0].data<float>() + o[0] * m * k,
                   in[1].data<float>() + o[1] * k * n, y.data<float>() + i * m * n);
  });
  if (error)
    return error;
  out[0] = std::move(y);
  return ok();
}

llvm::Error linear(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  const Tensor &x = in[0], &w = in[1];
  int64_t k = x.dim(-1), n = w.dim(0);
  if (w.dim(1) != k)
    return makeError("input has {0} features, the weight {1}", k, w.describe());
  Shape shape(x.shape());
  shape.back() = n;
  Tensor y = Tensor::zeros(DType::F32, shape);
  int64_t m = k ? x.size() / k : 0;
  if (llvm::Error error = gemm(false, true, m, n, k, x.data<float>(), w.data<float>(), y.data<float>()))
    return error;
  if (in.size() > 2) {
    const float *bias = in[2].data<float>();
    float *dst = y.data<float>();
    for (int64_t row = 0; row < m; ++row)
      for (int64_t j = 0; j < n; ++j)
        dst[row * n + j] += bias[j];
  }
  out[0] = std::move(y);
  return ok();
}

llvm::Error embedding(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  const Tensor &table = in[0], &ids = in[1];
  int64_t vocab = table.dim(0), width = table.dim(1);
  Shape shape(ids.shape());
  shape.push_back(width);
  Tensor y = Tensor::zeros(DType::F32, shape);
  for (int64_t i = 0, n = ids.size(); i < n; ++i) {
    int64_t id = ids.intAt(i);
    if (id < 0 || id >= vocab)
      return makeError("token id {0} is outside the vocabulary [0, {1})", id, vocab);
    std::memcpy(y.data<float>() + i * width, table.data<float>() + id * width,
                sizeof(float) * width);
  }
  out[0] = std::move(y);
  return ok();
}

llvm::Expected<Kernel> hadamardKernel(Operation *op) {
  int64_t block = llvm::cast<slm::HadamardOp>(op).getBlock();
  return Kernel([block](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0], &signs = in[1];
    int64_t n = x.dim(-1);
    if (x.dtype() != DType::F32 || signs.dtype() != DType::I8)
      return makeError("takes f32 rows and i8 signs, got {0} and {1}", x.describe(),
                       signs.describe());
    if (signs.size() != n || n % block)
      return makeError("{0} signs and blocks of {1} for rows of {2}", signs.size(), block, n);
    Tensor y = Tensor::zeros(DType::F32, x.shape());
    std::memcpy(y.data<float>(), x.data<float>(), sizeof(float) * x.size());
    rotateRowsHadamard(y.data<float>(), n ? y.size() / n : 0, n, block, signs.data<int8_t>());
    out[0] = std::move(y);
    return ok();
  });
}

} // namespace

void addLinearAlgebraKernels(KernelTable &t) {
  t.addSimple<slm::MatmulOp>(matmul);
  t.addSimple<slm::LinearOp>(linear);
  t.addSimple<slm::EmbeddingOp>(embedding);
  t.add<slm::HadamardOp>(hadamardKernel);
}

} // namespace slmc::exec
