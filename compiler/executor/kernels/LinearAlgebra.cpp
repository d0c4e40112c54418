//===- LinearAlgebra.cpp - matmul, linear, embedding, hadamard kernels ----===//
//
// Large matrix products go to oneDNN's sgemm, which is multithreaded and picks
// the best ISA of the host; small ones and everything else are plain loops.
//
//===----------------------------------------------------------------------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "compiler/quant/Hadamard.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cstring>
#include <oneapi/dnnl/dnnl.h>

using namespace mlir;

namespace slmc::exec {
namespace {

/// Below this many multiply-adds a product runs on the calling thread: the
/// fork and join of oneDNN's OpenMP threads would cost more than the work, and
/// on a loaded machine they stall waiting for descheduled peers.
constexpr int64_t kThreadedGemmWork = int64_t{1} << 23;

/// C = A * op(B) on the calling thread. The dot products may be summed in any
/// order (as oneDNN's are), which lets them vectorize.
void smallGemm(bool transposeB, int64_t m, int64_t n, int64_t k, const float *a, const float *b,
               float *c) {
#pragma clang fp reassociate(on)
  for (int64_t i = 0; i < m; ++i) {
    const float *row = a + i * k;
    float *out = c + i * n;
    if (transposeB) {
      for (int64_t j = 0; j < n; ++j) {
        const float *column = b + j * k;
        float dot = 0;
        for (int64_t p = 0; p < k; ++p)
          dot += row[p] * column[p];
        out[j] = dot;
      }
    } else {
      std::memset(out, 0, sizeof(float) * n);
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < n; ++j)
          out[j] += row[p] * b[p * n + j];
    }
  }
}

/// C[m, n] = A[m, k] * op(B) with op(B) = B[k, n] or B[n, k]^T (row-major).
llvm::Error gemm(bool transposeB, int64_t m, int64_t n, int64_t k, const float *a,
                 const float *b, float *c) {
  if (m == 0 || n == 0)
    return ok();
  if (k == 0) {
    std::memset(c, 0, sizeof(float) * m * n);
    return ok();
  }
  if (m * n * k <= kThreadedGemmWork) {
    smallGemm(transposeB, m, n, k, a, b, c);
    return ok();
  }
  dnnl_status_t status = dnnl_sgemm('N', transposeB ? 'T' : 'N', m, n, k, 1.0f, a, k, b,
                                    transposeB ? k : n, 0.0f, c, n);
  if (status != dnnl_success)
    return makeError("oneDNN sgemm failed with status {0}", static_cast<int>(status));
  return ok();
}

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
      error = gemm(false, m, n, k, in[0].data<float>() + o[0] * m * k,
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
  if (llvm::Error error = gemm(true, m, n, k, x.data<float>(), w.data<float>(), y.data<float>()))
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
