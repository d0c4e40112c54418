//===- Gptq.h - error-compensating rounding of a linear weight --*- C++ -*-===//
#pragma once

#include "compiler/quant/QuantizedWeight.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// GPTQ (Frantar et al., 2022) for a linear weight [rows = out, columns = in]
/// whose inputs x have the second moment `hessian` = sum x x^T (columns x
/// columns, row-major). Columns are rounded in order; each column's rounding
/// error is spread over the columns not yet rounded through the Cholesky
/// factor of the inverse Hessian, which minimises the layer's output error
/// ||X W^T - X Q^T||^2 rather than the weights' own error. A group's scale is
/// chosen when its first column is reached, from the updated weights, with
/// the clip ratio from `clipGrid` that minimises the Hessian-diagonal-weighted
/// error. `dampening` (a fraction of the mean diagonal) keeps H invertible.
/// Columns are processed in lazy batches of `blockColumns` (0: one batch),
/// which changes where the updates happen, not their values.
llvm::Expected<QuantizedWeight> quantizeGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                             int64_t columns, slm::WeightFormat format,
                                             llvm::ArrayRef<double> hessian,
                                             llvm::ArrayRef<float> clipGrid,
                                             double dampening = 0.01,
                                             int64_t blockColumns = 128);

} // namespace slmc
