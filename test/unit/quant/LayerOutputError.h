//===- LayerOutputError.h - what rounding a layer costs its outputs -*- C++ -*-===//
#pragma once

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace slmc::test {

/// ||X W^T - X Q^T||^2: the output error of a layer whose rows x weights W
/// (rows x columns, row-major) became Q, on the calibration inputs X (tokens
/// x columns) that GPTQ's Hessian was built from.
inline double layerOutputError(llvm::ArrayRef<float> x, llvm::ArrayRef<float> w,
                               llvm::ArrayRef<float> q, int64_t rows, int64_t columns) {
  int64_t tokens = static_cast<int64_t>(x.size()) / columns;
  double error = 0;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double d = 0;
      for (int64_t c = 0; c < columns; ++c)
        d += double(x[t * columns + c]) * (w[r * columns + c] - q[r * columns + c]);
      error += d * d;
    }
  return error;
}

} // namespace slmc::test
