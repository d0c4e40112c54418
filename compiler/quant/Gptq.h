//===- Gptq.h - error-compensating rounding of a linear weight --*- C++ -*-===//
#pragma once

#include "compiler/quant/QuantizedWeight.h"
#include "llvm/Support/Error.h"

#include <vector>

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
/// which changes where the updates happen, not their values. Codebook formats
/// round to the nearest entry of `codebook` (fitted beforehand, Codebook.h).
llvm::Expected<QuantizedWeight> quantizeGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                             int64_t columns, slm::WeightFormat format,
                                             llvm::ArrayRef<double> hessian,
                                             llvm::ArrayRef<float> clipGrid,
                                             double dampening = 0.01,
                                             int64_t blockColumns = 128,
                                             llvm::ArrayRef<float> codebook = {});

/// What GPTQ needs of a Hessian whatever the format: its inputs that never
/// fire, its diagonal (the clip search's weights) and U, the upper Cholesky
/// factor of the damped H^-1 (O(n^3) to compute: the sensitivity analysis
/// rounds one tensor in every candidate format with one factor).
class GptqFactor {
public:
  static llvm::Expected<GptqFactor> compute(llvm::ArrayRef<double> hessian, int64_t columns,
                                            double dampening = 0.01);
  int64_t columns() const { return columns_; }
  bool dead(int64_t column) const { return dead_[column] != 0; }
  const std::vector<double> &importance() const { return importance_; }
  const std::vector<double> &u() const { return u_; }
  const std::vector<float> &uFloat() const { return uFloat_; } // U rounded to f32

private:
  int64_t columns_ = 0;
  std::vector<char> dead_;
  std::vector<double> importance_, u_;
  std::vector<float> uFloat_;
};

/// GPTQ with a factor computed once for its Hessian.
llvm::Expected<QuantizedWeight> quantizeGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                             int64_t columns, slm::WeightFormat format,
                                             const GptqFactor &factor,
                                             llvm::ArrayRef<float> clipGrid,
                                             int64_t blockColumns = 128,
                                             llvm::ArrayRef<float> codebook = {});

} // namespace slmc
