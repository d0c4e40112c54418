//===- BitAllocation.h - per-tensor formats under a size budget -*- C++ -*-===//
#pragma once

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace slmc {

/// One tensor's options: choice k costs costs[k] bits and adds losses[k]
/// (its ΔKL) to the total.
struct AllocationItem {
  std::vector<int64_t> costs;
  std::vector<double> losses;
};

/// The table of the dynamic programme is at most this many cells (one byte
/// each): 128 MB.
inline constexpr int64_t kAllocationMaxCells = int64_t(1) << 27;

/// The unit in which allocateBits counts costs: the gcd of all costs (the
/// storage sizes of formats share large factors, so the table stays small and
/// the answer is exact), or, where that table would exceed `maxCells` (a 0.5B
/// model whose vocabulary is cut into row classes: a gcd of 16 bits over a
/// 1.3·10⁹-bit slack), the smallest unit whose table fits.
int64_t allocationUnit(const std::vector<AllocationItem> &items, int64_t budget,
                       int64_t maxCells = kAllocationMaxCells);

/// The choice per item that minimises the summed loss with the summed cost
/// within `budget`: a multiple-choice knapsack solved by dynamic programming
/// over each item's cost above its cheapest choice, in allocationUnit's units
/// rounded up. With the gcd it is exact; with a coarser unit the picks still
/// fit the budget and lose at most what one unit per item would buy (llama-0.5b:
/// about 2,000 bits a tensor of a 2.3·10⁹-bit budget). Ties go to the cheaper
/// total. An error when even the cheapest choices exceed the budget.
llvm::Expected<std::vector<int>> allocateBits(const std::vector<AllocationItem> &items,
                                              int64_t budget,
                                              int64_t maxCells = kAllocationMaxCells);

} // namespace slmc
