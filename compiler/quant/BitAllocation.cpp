//===- BitAllocation.cpp - per-tensor formats under a size budget ---------===//

#include "compiler/quant/BitAllocation.h"

#include "compiler/support/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace slmc {

int64_t allocationUnit(const std::vector<AllocationItem> &items, int64_t budget,
                       int64_t maxCells) {
  int64_t exact = 0, cheapest = 0;
  for (const AllocationItem &item : items) {
    for (int64_t cost : item.costs)
      exact = std::gcd(exact, cost);
    if (!item.costs.empty())
      cheapest += *std::min_element(item.costs.begin(), item.costs.end());
  }
  exact = std::max<int64_t>(exact, 1);
  const int64_t slackBits = std::max<int64_t>(budget - cheapest, 0);
  const int64_t rows = std::max<int64_t>(maxCells / std::max<size_t>(items.size(), 1), 2);
  if (slackBits / exact + 1 <= rows)
    return exact;
  // The smallest unit whose table fits: slackBits / unit + 1 <= rows.
  return (slackBits + rows - 2) / (rows - 1);
}

llvm::Expected<std::vector<int>> allocateBits(const std::vector<AllocationItem> &items,
                                              int64_t budget, int64_t maxCells) {
  int64_t cheapest = 0;
  for (const AllocationItem &item : items) {
    if (item.costs.empty() || item.costs.size() != item.losses.size())
      return makeError("bit allocation: an item without choices");
    cheapest += *std::min_element(item.costs.begin(), item.costs.end());
  }
  if (cheapest > budget)
    return makeError("the budget of {0} bits is below the {1} bits of the smallest formats",
                     budget, cheapest);
  const int64_t unit = allocationUnit(items, budget, maxCells);
  // Costs are counted as extras over each item's cheapest choice, rounded up
  // to whole units (exact when the unit divides them all), so the picks never
  // exceed the budget; a coarse unit wastes at most one unit per item.
  const int64_t slack = (budget - cheapest) / unit;
  auto extraOf = [&](const AllocationItem &item, size_t k) {
    int64_t base = *std::min_element(item.costs.begin(), item.costs.end());
    return (item.costs[k] - base + unit - 1) / unit;
  };

  // best[s]: least loss with the extra cost (over the cheapest choices) exactly s units.
  constexpr double kUnreachable = std::numeric_limits<double>::infinity();
  std::vector<double> best(slack + 1, kUnreachable), next;
  best[0] = 0;
  std::vector<std::vector<int8_t>> choice(items.size(), std::vector<int8_t>(slack + 1, -1));
  for (size_t t = 0; t < items.size(); ++t) {
    const AllocationItem &item = items[t];
    next.assign(slack + 1, kUnreachable);
    for (size_t k = 0; k < item.costs.size(); ++k) {
      int64_t extra = extraOf(item, k);
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
    at -= extraOf(items[t], k);
  }
  return picks;
}

} // namespace slmc
