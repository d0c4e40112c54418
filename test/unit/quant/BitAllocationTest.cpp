//===- BitAllocationTest.cpp - the exact budgeted allocation --------------===//

#include "compiler/quant/BitAllocation.h"
#include "compiler/quant/QuantScheme.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace slmc {
namespace {

double totalLoss(const std::vector<AllocationItem> &items, const std::vector<int> &picks) {
  double loss = 0;
  for (size_t t = 0; t < items.size(); ++t)
    loss += items[t].losses[picks[t]];
  return loss;
}

int64_t totalCost(const std::vector<AllocationItem> &items, const std::vector<int> &picks) {
  int64_t cost = 0;
  for (size_t t = 0; t < items.size(); ++t)
    cost += items[t].costs[picks[t]];
  return cost;
}

TEST(BitAllocation, PicksTheKnownOptimum) {
  // A greedy "upgrade the most sensitive tensor first" rule takes B's big
  // step and is then out of budget; the optimum upgrades A and C instead.
  std::vector<AllocationItem> items = {
      {{400, 800}, {0.30, 0.05}},   // A: 0.25 saved for 400 bits
      {{400, 1200}, {0.50, 0.10}},  // B: 0.40 saved for 800 bits
      {{400, 800}, {0.28, 0.06}},   // C: 0.22 saved for 400 bits
  };
  auto picks = allocateBits(items, 2000);
  ASSERT_TRUE(static_cast<bool>(picks)) << llvm::toString(picks.takeError());
  EXPECT_EQ(*picks, (std::vector<int>{1, 0, 1}));
  EXPECT_NEAR(totalLoss(items, *picks), 0.05 + 0.50 + 0.06, 1e-12);
  EXPECT_LE(totalCost(items, *picks), 2000);
}

TEST(BitAllocation, MatchesBruteForceOnRandomInstances) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<AllocationItem> items(5);
    for (AllocationItem &item : items)
      for (int k = 0; k < 4; ++k) {
        item.costs.push_back(64 * (1 + rng() % 20));
        item.losses.push_back((rng() % 1000) / 1000.0);
      }
    int64_t budget = 64 * (5 + rng() % 60);
    double bestLoss = INFINITY;
    bool feasible = false;
    for (int code = 0; code < 4 * 4 * 4 * 4 * 4; ++code) {
      std::vector<int> picks;
      for (int t = 0, c = code; t < 5; ++t, c /= 4)
        picks.push_back(c % 4);
      if (totalCost(items, picks) <= budget) {
        feasible = true;
        bestLoss = std::min(bestLoss, totalLoss(items, picks));
      }
    }
    auto picks = allocateBits(items, budget);
    ASSERT_EQ(static_cast<bool>(picks), feasible);
    if (!picks) {
      llvm::consumeError(picks.takeError());
      continue;
    }
    EXPECT_LE(totalCost(items, *picks), budget);
    EXPECT_NEAR(totalLoss(items, *picks), bestLoss, 1e-9);
  }
}

TEST(BitAllocation, CoarseUnitsStayWithinTheBudgetAndNearTheOptimum) {
  // Costs with a gcd of 1 over a wide slack: the exact table would have
  // 40 x ~10^6 cells, so a 4,000-cell cap forces a unit of ~10^4 bits.
  std::mt19937 rng(7);
  std::vector<AllocationItem> items(40);
  for (AllocationItem &item : items) {
    int64_t cost = 100000 + rng() % 1000;
    double loss = 1.0;
    for (int k = 0; k < 6; ++k) {
      item.costs.push_back(cost);
      item.losses.push_back(loss);
      cost += 20000 + rng() % 20000;
      loss *= 0.3 + (rng() % 100) / 250.0;
    }
  }
  const int64_t budget = 40 * 160000 + 12345;
  const int64_t maxCells = 4000;
  const int64_t unit = allocationUnit(items, budget, maxCells);
  EXPECT_GT(unit, 1);
  auto coarse = allocateBits(items, budget, maxCells);
  ASSERT_TRUE(static_cast<bool>(coarse)) << llvm::toString(coarse.takeError());
  EXPECT_LE(totalCost(items, *coarse), budget);
  // Whatever fits a budget one unit per item smaller fits after rounding, so
  // the coarse answer is at least as good as the exact one there.
  auto exactTighter = allocateBits(items, budget - 40 * unit, int64_t(1) << 30);
  ASSERT_TRUE(static_cast<bool>(exactTighter));
  EXPECT_EQ(allocationUnit(items, budget - 40 * unit, int64_t(1) << 30), 1);
  EXPECT_LE(totalLoss(items, *coarse), totalLoss(items, *exactTighter) + 1e-12);
  auto exact = allocateBits(items, budget, int64_t(1) << 30);
  ASSERT_TRUE(static_cast<bool>(exact));
  EXPECT_GE(totalLoss(items, *coarse), totalLoss(items, *exact) - 1e-12);
}

TEST(BitAllocation, BudgetBelowTheCheapestFormats) {
  auto picks = allocateBits({{{100, 200}, {1.0, 0.0}}}, 99);
  ASSERT_FALSE(static_cast<bool>(picks));
  EXPECT_NE(llvm::toString(picks.takeError()).find("below"), std::string::npos);
}

TEST(QuantScheme, NamesRoundTrip) {
  for (const char *name : {"int8", "int4-g32", "int4-g64-asym", "int3-g128", "int8-g32", "f32",
                           "int2-g32-asym"}) {
    auto format = parseTensorFormat(name);
    ASSERT_TRUE(static_cast<bool>(format)) << llvm::toString(format.takeError());
    EXPECT_EQ(tensorFormatName(*format), name);
  }
  for (const char *bad : {"int4-g33", "int9", "int1-g32", "int4-asym-g32", "fp8", "int4-g32-g64",
                          "int4-"}) {
    auto format = parseTensorFormat(bad);
    ASSERT_FALSE(static_cast<bool>(format)) << bad;
    EXPECT_NE(llvm::toString(format.takeError()).find(bad), std::string::npos);
  }
  EXPECT_EQ(tensorFormatBits(*parseTensorFormat("int4-g32"), 2, 64), 2 * (64 * 4 + 2 * 16));
  EXPECT_EQ(tensorFormatBits(TensorFormat(), 2, 64), 2 * 64 * 32);
}

/// Bits per weight of the formats --quant auto weighs for a rows x columns tensor, sorted.
std::vector<double> offeredBitsPerWeight(bool integerActivations, int64_t rows, int64_t columns) {
  std::vector<double> bits;
  for (const TensorFormat &f : allocatorCandidates(integerActivations))
    if (f && allocatorOffers(f, columns))
      bits.push_back(double(tensorFormatBits(f, rows, columns)) / (rows * columns));
  std::sort(bits.begin(), bits.end());
  return bits;
}

// The allocator can only spend a budget in the steps its candidates leave: from
// the cheapest format to int8 no gap is a bit or more (6.5 -> 8.125 was, until
// int6-g64 and int7-g64).
TEST(QuantScheme, AllocatorCandidatesStepLessThanABitUpToInt8) {
  for (bool integerActivations : {false, true}) {
    std::vector<double> bits = offeredBitsPerWeight(integerActivations, 1024, 1024);
    ASSERT_GE(bits.size(), 2u);
    EXPECT_LT(bits.front(), 3.6);
    EXPECT_GT(bits.back(), 8.0);
    for (size_t i = 1; i < bits.size(); ++i)
      EXPECT_LT(bits[i] - bits[i - 1], 1.0) << bits[i - 1] << " -> " << bits[i];
  }
}

// One group per row below 8 bits only where every grouped format pads the rows.
TEST(QuantScheme, PerRowFormatsAreOfferedForRaggedRowsOnly) {
  auto format = [](const char *name) { return llvm::cantFail(parseTensorFormat(name)); };
  for (const char *name : {"cb3", "cb4", "int5", "int6"}) {
    EXPECT_TRUE(allocatorOffers(format(name), 172)) << name;
    for (int64_t columns : {64, 128, 192, 1024, 3072})
      EXPECT_FALSE(allocatorOffers(format(name), columns)) << name << " " << columns;
  }
  for (int64_t columns : {172, 192, 1024})
    for (const char *name : {"int8", "cb4-g64", "int5-g32", "f32"})
      EXPECT_TRUE(allocatorOffers(format(name), columns)) << name << " " << columns;
  // Where offered they cost fewer bits than the padded groups: 64 x 172.
  EXPECT_LT(tensorFormatBits(format("cb4"), 64, 172), tensorFormatBits(format("cb4-g64"), 64, 172));
  std::vector<double> ragged = offeredBitsPerWeight(false, 64, 172);
  std::vector<double> whole = offeredBitsPerWeight(false, 64, 192);
  EXPECT_EQ(ragged.size(), whole.size() + 4);
}

} // namespace
} // namespace slmc
