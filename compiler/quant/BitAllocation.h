//===- BitAllocation.h - per-tensor formats under a size budget -*- C++ -*-===//
#pragma once

#include "llvm/Support/Error.h"

#include <vector>

namespace slmc {

/// One tensor's options: choice k costs costs[k] bits and adds losses[k]
/// (its ΔKL) to the total.
struct AllocationItem {
  std::vector<int64_t> costs;
  std::vector<double> losses;
};

/// The choice per item that minimises the summed loss with the summed cost
/// within `budget`: a multiple-choice knapsack, solved exactly by dynamic
/// programming over cost in units of the gcd of all costs (the storage sizes
/// of formats share large factors, so the table stays small). Ties go to the
/// cheaper total. An error when even the cheapest choices exceed the budget.
llvm::Expected<std::vector<int>> allocateBits(const std::vector<AllocationItem> &items,
                                              int64_t budget);

} // namespace slmc
