//===- QuantizedWeightTest.cpp - weight formats and their round trips -----===//

#include "compiler/InitAll.h"
#include "compiler/executor/Executor.h"
#include "compiler/quant/Codebook.h"
#include "compiler/quant/QuantizedWeight.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace slmc {
namespace {

std::vector<float> randomWeights(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(n);
  for (float &v : w)
    v = normal(rng);
  return w;
}

TEST(WeightFormat, BitsPerWeightCountScales) {
  // int4 in groups of 32 with one f16 scale: 4 + 16 / 32 bits, as llama.cpp's Q4_0.
  EXPECT_EQ(slm::WeightFormat({4, 32, true}).storageBits(128, 128), 128 * 128 * 9 / 2);
  // Asymmetric formats also store a minimum per group.
  EXPECT_EQ(slm::WeightFormat({4, 32, false}).storageBits(128, 128), 128 * 128 * 5);
  // int8 per output channel: one scale per row.
  EXPECT_EQ(slm::WeightFormat({8, 0, true}).storageBits(64, 172), 64 * (172 * 8 + 16));
  // A ragged row of 172 inputs pays for its padded last group.
  EXPECT_EQ(slm::WeightFormat({4, 32, true}).packedRowBytes(172), 6 * 32 * 4 / 8);
  EXPECT_EQ(slm::WeightFormat({3, 32, true}).packedRowBytes(40), 2 * 32 * 3 / 8);
}

TEST(QuantizedWeight, PutCodeOverwritesWhatWasThere) {
  // Tuning moves codes already packed (ScaleTuning.h): a code written over
  // another keeps none of its bits, and its neighbours keep theirs, also
  // where 3- and 5-bit codes straddle bytes.
  for (unsigned bits : {2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    for (bool symmetric : {true, false}) {
      slm::WeightFormat format{bits, 32, symmetric};
      std::vector<uint8_t> row(format.packedRowBytes(32), 0);
      std::vector<int32_t> codes(32);
      std::mt19937 rng(bits);
      auto draw = [&] {
        return std::uniform_int_distribution<int32_t>(format.minCode(), format.maxCode())(rng);
      };
      for (int64_t i = 0; i < 32; ++i)
        putCode(row.data(), i, codes[i] = draw(), format);
      for (int round = 0; round < 3; ++round)
        for (int64_t i = 0; i < 32; i += 1 + round)
          putCode(row.data(), i, codes[i] = draw(), format);
      for (int64_t i = 0; i < 32; ++i)
        EXPECT_EQ(codeAt(row.data(), i, format), codes[i]) << bits << "-bit code " << i;
    }
  }
}

TEST(QuantizedWeight, ExactOnRepresentableValues) {
  // Symmetric int4: the largest magnitude (-8) maps to code -8, so the scale is 1.
  std::vector<float> row{-8, -4, 0, 2, 4, 6, 7, 1};
  QuantizedWeight q = quantizeRoundToNearest(row, 1, 8, {4, 8, true});
  EXPECT_EQ(fromHalf(q.scales[0]), 1.0f);
  EXPECT_EQ(q.dequantized(), row);
  // Codes are packed least significant nibble first: -8 -> 0x8, -4 -> 0xC.
  EXPECT_EQ(q.codes[0], 0xC8);
  // Asymmetric int4 over [3, 18]: scale 1, minimum 3.
  std::vector<float> shifted{3, 18, 10, 4, 5, 17, 3, 12};
  QuantizedWeight a = quantizeRoundToNearest(shifted, 1, 8, {4, 8, false});
  EXPECT_EQ(fromHalf(a.minimums[0]), 3.0f);
  EXPECT_EQ(a.dequantized(), shifted);
  // int8 per channel: multiples of the row's scale come back exactly (the
  // extreme of each row is negative, so that it maps to code -128).
  std::vector<float> eights{-128, 64, -1, -128, 0, 5};
  EXPECT_EQ(quantizeRoundToNearest(eights, 2, 3, {8, 0, true}).dequantized(), eights);
}

class EveryFormat : public testing::TestWithParam<std::tuple<unsigned, int64_t, bool>> {};

/// Within a group's code range the error is at most half a step. Symmetric
/// formats map the extreme value to the most negative code (as Q4_0 does), so
/// values on the other side beyond the largest positive code clamp: up to a
/// whole step.
TEST_P(EveryFormat, RoundTripErrorIsBoundedByTheStep) {
  auto [bits, group, symmetric] = GetParam();
  slm::WeightFormat format{bits, group, symmetric};
  int64_t rows = 7, columns = 172; // 172 is not a multiple of any group size
  std::vector<float> w = randomWeights(rows * columns, bits * 100 + group);
  QuantizedWeight q = quantizeRoundToNearest(w, rows, columns, format);
  ASSERT_EQ(q.codes.size(), static_cast<size_t>(rows * format.packedRowBytes(columns)));
  ASSERT_EQ(q.scales.size(), static_cast<size_t>(rows * format.groupsPerRow(columns)));
  std::vector<float> back = q.dequantized();
  int64_t size = format.groupSize(columns);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c) {
      float scale = fromHalf(q.scales[r * format.groupsPerRow(columns) + c / size]);
      float step = std::fabs(scale);
      bool clamped = symmetric && w[r * columns + c] / scale > format.maxCode() + 0.5f;
      // Plus the f16 rounding of scale and minimum.
      EXPECT_LE(std::fabs(back[r * columns + c] - w[r * columns + c]),
                (clamped ? 1.0f : 0.5f) * step * 1.01f + 1e-4f)
          << bits << "-bit, group " << group << ", row " << r << ", column " << c;
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, EveryFormat,
                         testing::Combine(testing::Values(3u, 4u, 5u, 6u, 8u),
                                          testing::Values(int64_t{32}, int64_t{64}, int64_t{128}),
                                          testing::Bool()));

TEST(QuantizedWeight, ClippingTradesOutliersForResolution) {
  std::vector<float> w = randomWeights(64, 7);
  w[5] = 1.0f; // an outlier 20 sigma out
  QuantizedWeight full = quantizeRoundToNearest(w, 1, 64, {4, 64, true});
  QuantizedWeight clipped = quantizeRoundToNearest(w, 1, 64, {4, 64, true}, 0.25f);
  EXPECT_LT(std::fabs(fromHalf(clipped.scales[0])), std::fabs(fromHalf(full.scales[0])));
  // The outlier is clamped to the largest code of the narrower range.
  EXPECT_LT(clipped.dequantized()[5], 0.3f);
}

TEST(QuantizedWeight, ExecutorDequantizesAsTheLibraryDoes) {
  mlir::MLIRContext context;
  loadAllDialects(context);
  for (slm::WeightFormat format :
       {slm::WeightFormat{4, 32, true}, slm::WeightFormat{5, 32, false},
        slm::WeightFormat{8, 0, true}, slm::WeightFormat{3, 32, true, /*codebook=*/true}}) {
    int64_t rows = 12, columns = 40;
    std::vector<float> weights = randomWeights(rows * columns, 3);
    std::vector<float> table;
    if (format.codebook)
      table = fitCodebook(weights, rows, columns, format, {1.0f});
    QuantizedWeight q = quantizeRoundToNearest(weights, rows, columns, format, 1.0f, table);
    mlir::OpBuilder b(&context);
    auto loc = b.getUnknownLoc();
    auto module = mlir::ModuleOp::create(loc);
    b.setInsertionPointToEnd(module.getBody());
    auto resultType = mlir::RankedTensorType::get({rows, columns}, b.getF32Type());
    auto function = b.create<mlir::func::FuncOp>(loc, "forward", b.getFunctionType({}, {resultType}));
    b.setInsertionPointToStart(function.addEntryBlock());
    int64_t groups = format.groupsPerRow(columns);
    auto blob = [&](mlir::Type element, llvm::ArrayRef<int64_t> shape, const void *data, size_t bytes) {
      auto type = mlir::RankedTensorType::get(shape, element);
      return b.create<slm::ConstantOp>(
          loc, copyWeight(type, "w", llvm::ArrayRef<char>(static_cast<const char *>(data), bytes)));
    };
    mlir::Value codes = blob(b.getI8Type(), {rows, format.packedRowBytes(columns)}, q.codes.data(), q.codes.size());
    mlir::Value scales = blob(b.getF16Type(), {rows, groups}, q.scales.data(), 2 * q.scales.size());
    mlir::Value minimums = format.symmetric ? mlir::Value()
                                            : blob(b.getF16Type(), {rows, groups}, q.minimums.data(), 2 * q.minimums.size());
    mlir::Value codebook = format.codebook ? blob(b.getF32Type(), {format.codebookEntries()},
                                                  q.codebook.data(), 4 * q.codebook.size())
                                           : mlir::Value();
    auto attr = slm::WeightFormatAttr::get(&context, format.bits, format.group, format.symmetric,
                                           format.codebook);
    mlir::Value w =
        b.create<slm::DequantizeOp>(loc, resultType, codes, scales, minimums, codebook, attr);
    b.create<mlir::func::ReturnOp>(loc, w);
    ASSERT_TRUE(mlir::succeeded(mlir::verify(module)));
    auto executor = exec::Executor::create(function);
    ASSERT_TRUE(static_cast<bool>(executor)) << llvm::toString(executor.takeError());
    auto out = (*executor)->run({});
    ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
    std::vector<float> expected = q.dequantized();
    EXPECT_EQ(std::vector<float>((*out)[0].data<float>(), (*out)[0].data<float>() + expected.size()), expected);
    module.erase();
  }
}

} // namespace
} // namespace slmc
