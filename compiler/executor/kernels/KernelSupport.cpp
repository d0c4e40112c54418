//===- KernelSupport.cpp - what the reference kernels share ---------------===//

#include "compiler/executor/kernels/KernelSupport.h"

#include <cstring>
#include <oneapi/dnnl/dnnl.h>

namespace slmc::exec {

llvm::Expected<int64_t> resolveAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return makeError("axis {0} is out of range for rank {1}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

Shape stridesOf(llvm::ArrayRef<int64_t> shape) {
  Shape strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

llvm::Expected<Broadcast> broadcast(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  Broadcast b;
  size_t rank = 0;
  for (auto shape : shapes)
    rank = std::max(rank, shape.size());
  b.shape.assign(rank, 1);
  for (auto shape : shapes) {
    size_t offset = rank - shape.size();
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t &out = b.shape[offset + d];
      if (out == 1)
        out = shape[d];
      else if (shape[d] != 1 && shape[d] != out)
        return makeError("shapes do not broadcast in dimension {0}: {1} vs {2}", offset + d, out,
                         shape[d]);
    }
  }
  b.trivial = true;
  for (auto shape : shapes) {
    b.trivial &= llvm::ArrayRef<int64_t>(b.shape) == shape;
    Shape own = stridesOf(shape);
    Shape strides(rank, 0);
    size_t offset = rank - shape.size();
    for (size_t d = 0; d < shape.size(); ++d)
      strides[offset + d] = shape[d] == 1 ? 0 : own[d];
    b.strides.push_back(std::move(strides));
  }
  return b;
}

llvm::SmallVector<int64_t> intValues(const Tensor &t) {
  llvm::SmallVector<int64_t> values;
  for (int64_t i = 0, n = t.size(); i < n; ++i)
    values.push_back(t.intAt(i));
  return values;
}

namespace {

/// Below this many multiply-adds a product runs on the calling thread: the
/// fork and join of oneDNN's OpenMP threads would cost more than the work, and
/// on a loaded machine they stall waiting for descheduled peers.
constexpr int64_t kThreadedGemmWork = int64_t{1} << 23;

/// gemm on the calling thread.
void smallGemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, const float *a,
               const float *b, float *c, bool accumulate) {
#pragma clang fp reassociate(on)
  if (transposeA) { // rank-1 updates: row p of A[k, m] and of op(B)
    if (!accumulate)
      std::memset(c, 0, sizeof(float) * m * n);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t i = 0; i < m; ++i) {
        float scale = a[p * m + i];
        float *out = c + i * n;
        if (transposeB)
          for (int64_t j = 0; j < n; ++j)
            out[j] += scale * b[j * k + p];
        else
          for (int64_t j = 0; j < n; ++j)
            out[j] += scale * b[p * n + j];
      }
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    const float *row = a + i * k;
    float *out = c + i * n;
    if (transposeB) {
      for (int64_t j = 0; j < n; ++j) {
        const float *column = b + j * k;
        float dot = 0;
        for (int64_t p = 0; p < k; ++p)
          dot += row[p] * column[p];
        out[j] = accumulate ? out[j] + dot : dot;
      }
    } else {
      if (!accumulate)
        std::memset(out, 0, sizeof(float) * n);
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < n; ++j)
          out[j] += row[p] * b[p * n + j];
    }
  }
}

} // namespace

llvm::Error gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k,
                 const float *a, const float *b, float *c, bool accumulate) {
  if (m == 0 || n == 0)
    return ok();
  if (k == 0) {
    if (!accumulate)
      std::memset(c, 0, sizeof(float) * m * n);
    return ok();
  }
  if (m * n * k <= kThreadedGemmWork) {
    smallGemm(transposeA, transposeB, m, n, k, a, b, c, accumulate);
    return ok();
  }
  dnnl_status_t status =
      dnnl_sgemm(transposeA ? 'T' : 'N', transposeB ? 'T' : 'N', m, n, k, 1.0f, a,
                 transposeA ? m : k, b, transposeB ? k : n, accumulate ? 1.0f : 0.0f, c, n);
  if (status != dnnl_success)
    return makeError("oneDNN sgemm failed with status {0}", static_cast<int>(status));
  return ok();
}

} // namespace slmc::exec
