//===- Codebook.h - non-uniform grids fitted to a weight matrix -*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/WeightFormat.h"
#include "llvm/ADT/ArrayRef.h"

#include <vector>

namespace slmc {

/// The 2^bits ascending values of a codebook `format` (w = codebook[code] *
/// group scale) fitted to row-major `weights` so that the importance-weighted
/// error sum_i importance[column i] * (w_i - decoded w_i)^2 is small, with
/// `importance` one weight per column (the layer Hessian's diagonal; empty:
/// plain squared error). Weighted Lloyd-Max: starting from quantiles of the
/// group-normalised weights, it alternates the groups' scales and codes (the
/// clip search over `clipGrid`, as rounding will choose them) with the entries
/// (each the importance- and scale-weighted centroid of the values it
/// encodes), and keeps the best table seen. Rows are sampled evenly down to
/// about 2^16 weights, so large matrices cost no more than small ones; the
/// result is deterministic. Entries are fractions of a group's largest
/// magnitude times the clip ratio (GroupScale::choose).
std::vector<float> fitCodebook(llvm::ArrayRef<float> weights, int64_t rows, int64_t columns,
                               const slm::WeightFormat &format, llvm::ArrayRef<float> clipGrid,
                               llvm::ArrayRef<double> importance = {});

} // namespace slmc
