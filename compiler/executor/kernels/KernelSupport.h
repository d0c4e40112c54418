//===- KernelSupport.h - what the reference kernels share -------*- C++ -*-===//
#pragma once

#include "compiler/executor/KernelTable.h"
#include "compiler/support/Error.h"

#include <array>

namespace slmc::exec {

/// Resolves a possibly negative axis; an error when out of range.
llvm::Expected<int64_t> resolveAxis(int64_t axis, int64_t rank);

/// Numpy broadcasting of several tensors: the result shape and, per operand,
/// its element strides over the result's dimensions (0 where broadcast).
struct Broadcast {
  Shape shape;
  std::vector<Shape> strides;
  bool trivial = false; // every operand already has the result's shape
};
llvm::Expected<Broadcast> broadcast(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

/// Calls f(resultIndex, offsets) for every result element in row-major order,
/// with offsets[i] the element of operand i that it reads.
template <size_t N, typename F> void forEachBroadcast(const Broadcast &b, F &&f) {
  int64_t total = numElements(b.shape);
  std::array<int64_t, N> offsets{};
  if (b.trivial) {
    for (int64_t i = 0; i < total; ++i) {
      offsets.fill(i);
      f(i, offsets);
    }
    return;
  }
  int64_t rank = static_cast<int64_t>(b.shape.size());
  Shape index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    f(i, offsets);
    for (int64_t d = rank - 1; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k)
        offsets[k] += b.strides[k][d];
      if (++index[d] < b.shape[d])
        break;
      for (size_t k = 0; k < N; ++k)
        offsets[k] -= b.strides[k][d] * b.shape[d];
      index[d] = 0;
    }
  }
}

/// Row-major strides of a shape.
Shape stridesOf(llvm::ArrayRef<int64_t> shape);

/// Calls f(T{}) with T the C++ type of `dtype` (bool tensors are uint8_t).
template <typename F> decltype(auto) dispatchDType(DType dtype, F &&f) {
  switch (dtype) {
  case DType::F32:
    return f(float{});
  case DType::I64:
    return f(int64_t{});
  case DType::I32:
    return f(int32_t{});
  case DType::I1:
    return f(uint8_t{});
  case DType::I8:
    return f(int8_t{});
  case DType::F16:
    return f(_Float16{});
  case DType::BF16:
    break; // storage only: Program::build lets bf16 reach nothing but slm.widen
  }
  llvm_unreachable("unknown dtype");
}

/// The entries of a 1-d integer tensor (shapes, axes, indices).
llvm::SmallVector<int64_t> intValues(const Tensor &t);

/// C[m, n] = op(A) op(B) (+ C when `accumulate`), row-major, with op(A) =
/// A[m, k] or A[k, m]^T and op(B) = B[k, n] or B[n, k]^T. Large products go to
/// oneDNN's multithreaded sgemm, small ones run on the calling thread; the
/// dot products may be summed in any order (as oneDNN's are).
llvm::Error gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k,
                 const float *a, const float *b, float *c, bool accumulate = false);

inline llvm::Error ok() { return llvm::Error::success(); }

} // namespace slmc::exec
