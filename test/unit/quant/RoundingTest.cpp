//===- RoundingTest.cpp - GPTQ and clipping against round-to-nearest ------===//

#include "compiler/quant/Gptq.h"
#include "test/unit/quant/LayerOutputError.h"

#include <gtest/gtest.h>

#include <random>

namespace slmc {
namespace {

/// Inputs with correlated channels and a few loud ones, as activations have.
std::vector<float> correlatedInputs(int64_t tokens, int64_t columns, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(tokens * columns);
  for (int64_t t = 0; t < tokens; ++t) {
    float shared = normal(rng);
    for (int64_t c = 0; c < columns; ++c)
      x[t * columns + c] = (0.7f * shared + normal(rng)) * (c % 9 == 0 ? 4.0f : 1.0f);
  }
  return x;
}

std::vector<double> secondMoment(const std::vector<float> &x, int64_t columns) {
  int64_t tokens = static_cast<int64_t>(x.size()) / columns;
  std::vector<double> h(columns * columns, 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < columns; ++i)
      for (int64_t j = 0; j < columns; ++j)
        h[i * columns + j] += double(x[t * columns + i]) * x[t * columns + j];
  return h;
}

struct Case {
  slm::WeightFormat format;
  int64_t columns;
};

class GptqTest : public ::testing::TestWithParam<Case> {};

TEST_P(GptqTest, LowersOutputErrorAgainstRoundToNearest) {
  const auto [format, columns] = GetParam();
  const int64_t rows = 24;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(rows * columns);
  for (float &v : w)
    v = normal(rng);
  std::vector<float> x = correlatedInputs(512, columns, 11);
  std::vector<double> h = secondMoment(x, columns);
  const float grid[] = {1.0f, 0.9f, 0.8f};

  auto gptq = quantizeGptq(w, rows, columns, format, h, grid);
  ASSERT_TRUE(static_cast<bool>(gptq)) << llvm::toString(gptq.takeError());
  double rtn = test::layerOutputError(
      x, w, quantizeRoundToNearest(w, rows, columns, format).dequantized(), rows, columns);
  double compensated = test::layerOutputError(x, w, gptq->dequantized(), rows, columns);
  EXPECT_LT(compensated, 0.8 * rtn) << "GPTQ " << compensated << ", RTN " << rtn;

  // The clip search minimises the weights' own squared error, and its grid
  // holds clip 1 (plain RTN): it can only do better there.
  auto squaredError = [&](const std::vector<float> &q) {
    double e = 0;
    for (size_t i = 0; i < w.size(); ++i)
      e += double(w[i] - q[i]) * (w[i] - q[i]);
    return e;
  };
  double clipped = squaredError(quantizeWithClipSearch(w, rows, columns, format, grid).dequantized());
  EXPECT_LE(clipped, squaredError(quantizeRoundToNearest(w, rows, columns, format).dequantized()));
}

INSTANTIATE_TEST_SUITE_P(Formats, GptqTest,
                         ::testing::Values(Case{{4, 32, true}, 64}, Case{{4, 32, false}, 64},
                                           Case{{3, 32, true}, 72}, Case{{8, 0, true}, 48},
                                           Case{{5, 64, true}, 100}));

// Lazy batches move the updates, not their values: the same codes and scales
// bit for bit, for blocks that nest with the groups either way and for a
// group size that divides no block (the block then follows the group).
TEST(GptqTest, BlockedEqualsUnblocked) {
  const int64_t rows = 16;
  for (auto [format, columns] : {std::pair{slm::WeightFormat{4, 32, true}, int64_t{300}},
                                 std::pair{slm::WeightFormat{4, 128, false}, int64_t{384}},
                                 std::pair{slm::WeightFormat{8, 0, true}, int64_t{200}},
                                 std::pair{slm::WeightFormat{3, 96, true}, int64_t{288}}}) {
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> w(rows * columns);
    for (float &v : w)
      v = normal(rng);
    std::vector<double> h = secondMoment(correlatedInputs(256, columns, 3), columns);
    const float grid[] = {1.0f, 0.9f};
    auto whole = quantizeGptq(w, rows, columns, format, h, grid, 0.01, /*blockColumns=*/0);
    ASSERT_TRUE(static_cast<bool>(whole)) << llvm::toString(whole.takeError());
    for (int64_t block : {16, 64, 128}) {
      auto blocked = quantizeGptq(w, rows, columns, format, h, grid, 0.01, block);
      ASSERT_TRUE(static_cast<bool>(blocked)) << llvm::toString(blocked.takeError());
      EXPECT_EQ(blocked->dequantized(), whole->dequantized())
          << format.bits << "-bit group " << format.groupSize(columns) << ", block " << block;
    }
  }
}

TEST(GptqTest, DeadInputsAndBadHessians) {
  const int64_t rows = 4, columns = 8;
  std::vector<float> w(rows * columns, 0.25f);
  std::vector<double> h(columns * columns, 0.0);
  for (int64_t i = 0; i < columns; ++i)
    h[i * columns + i] = i % 2 ? 1.0 : 0.0; // half the inputs never fire
  auto q = quantizeGptq(w, rows, columns, {4, 0, true}, h, {1.0f});
  ASSERT_TRUE(static_cast<bool>(q)) << llvm::toString(q.takeError());
  std::vector<float> decoded = q->dequantized();
  EXPECT_FLOAT_EQ(decoded[1], 0.25f);

  auto wrongSize = quantizeGptq(w, rows, columns, {4, 0, true}, {1.0, 2.0}, {1.0f});
  ASSERT_FALSE(static_cast<bool>(wrongSize));
  EXPECT_NE(llvm::toString(wrongSize.takeError()).find("Hessian"), std::string::npos);
}

} // namespace
} // namespace slmc
