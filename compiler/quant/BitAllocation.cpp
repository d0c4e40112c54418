//===- BitAllocation.cpp - per-tensor formats under a size budget ---------===//

#include "compiler/quant/BitAllocation.h"

#include "compiler/support/Error.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace slmc {

llvm::Expected<std::vector<int>> allocateBits(const std::vector<AllocationItem> &items,
                                              int64_t budget) {
  int64_t unit = 0, cheapest = 0;
  for (const AllocationItem &item : items) {
    if (item.costs.empty() || item.costs.size() != item.losses.size())
      return makeError("bit allocation: an item without choices");
    for (int64_t cost : item.costs)
      unit = std::gcd(unit, cost);
    cheapest += *std::min_element(item.costs.begin(), item.costs.end());
  }
  if (cheapest > budget)
    return makeError("the budget of {0} bits is below the {1} bits of the smallest formats",
                     budget, cheapest);
  if (unit == 0)
    unit = 1;
  const int64_t capacity = budget / unit;
  // Every table row spans only the reachable costs above the cheapest total.
  const int64_t slack = capacity - cheapest / unit;
  constexpr int64_t kMaxCells = int64_t(1) << 31;
  if ((slack + 1) * static_cast<int64_t>(items.size()) > kMaxCells)
    return makeError("bit allocation: {0} tensors x {1} cost steps is too large to solve exactly",
                     items.size(), slack + 1);

  // best[s]: least loss with the extra cost (over the cheapest choices) exactly s units.
  constexpr double kUnreachable = std::numeric_limits<double>::infinity();
  std::vector<double> best(slack + 1, kUnreachable), next;
  best[0] = 0;
  std::vector<std::vector<int8_t>> choice(items.size(), std::vector<int8_t>(slack + 1, -1));
  for (size_t t = 0; t < items.size(); ++t) {
    const AllocationItem &item = items[t];
    int64_t base = *std::min_element(item.costs.begin(), item.costs.end()) / unit;
    next.assign(slack + 1, kUnreachable);
    for (size_t k = 0; k < item.costs.size(); ++k) {
      int64_t extra = item.costs[k] / unit - base;
      for (int64_t s = 0; s + extra <= slack; ++s) {
        if (best[s] == kUnreachable)
          continue;
        double loss = best[s] + item.losses[k];
        if (loss < next[s + extra]) {
          next[s + extra] = loss;
          choice[t][s + extra] = static_cast<int8_t>(k);
        }
      }
    }
    best.swap(next);
  }
  // The least loss over all reachable costs; the cheapest on ties.
  int64_t at = 0;
  for (int64_t s = 1; s <= slack; ++s)
    if (best[s] < best[at])
      at = s;
  std::vector<int> picks(items.size());
  for (size_t t = items.size(); t-- > 0;) {
    int k = choice[t][at];
    picks[t] = k;
    int64_t base = *std::min_element(items[t].costs.begin(), items[t].costs.end()) / unit;
    at -= items[t].costs[k] / unit - base;
  }
  return picks;
}

} // namespace slmc
