//===- SensitivityPredictorTest.cpp - ΔKL predicted from weighted error ---===//

#include "compiler/calibration/SensitivityPredictor.h"
#include "compiler/quant/QuantizedWeight.h"

#include <cmath>

#include <gtest/gtest.h>

namespace slmc {
namespace {

std::vector<std::string> decoderNames(int layers) {
  std::vector<std::string> names = {"model.embed_tokens.weight"};
  for (int l = 0; l < layers; ++l)
    for (const char *role : {"self_attn.q_proj", "mlp.down_proj"})
      names.push_back("model.layers." + std::to_string(l) + "." + role + ".weight");
  return names;
}

TEST(SensitivityPredictor, AnchorsEvenlySpacedLayersAndEverythingOutside) {
  SensitivityPredictor p(decoderNames(7), 3);
  // Layers 0, 3 and 6, two tensors each, and the embedding.
  EXPECT_EQ(p.anchorCount(), 7u);
  EXPECT_TRUE(p.isAnchor(0));
  for (int l = 0; l < 7; ++l)
    for (int k = 0; k < 2; ++k)
      EXPECT_EQ(p.isAnchor(1 + 2 * l + k), l == 0 || l == 3 || l == 6) << l;
  // Fewer layers than anchor layers: every tensor is an anchor.
  EXPECT_EQ(SensitivityPredictor(decoderNames(2), 3).anchorCount(), 5u);
}

TEST(SensitivityPredictor, InterpolatesAlphaInDepthWithinARole) {
  SensitivityPredictor p(decoderNames(7), 3);
  // q_proj: alpha 1 at layer 0, 4 at layer 3, 10 at layer 6; down_proj 2 everywhere.
  p.measure(1, 1.0, 1.0);
  p.measure(7, 8.0, 2.0);
  p.measure(13, 30.0, 3.0);
  for (int l : {0, 3, 6})
    p.measure(2 + 2 * l, 2.0, 1.0);
  p.measure(0, -1.0, 1.0); // noise below the float model counts as 0
  p.fit();
  EXPECT_DOUBLE_EQ(p.predict(3, 1.0), 2.0);       // q_proj, layer 1: 1 + (4 - 1) / 3
  EXPECT_DOUBLE_EQ(p.predict(11, 3.0), 3 * 8.0);  // q_proj, layer 5: 4 + 2 * (10 - 4) / 3
  EXPECT_DOUBLE_EQ(p.predict(10, 5.0), 10.0);     // down_proj, layer 4
  EXPECT_DOUBLE_EQ(p.predict(0, 5.0), 0.0);
}

TEST(ClipSearchError, IsTheWeightedErrorOfTheClipSearchsRounding) {
  std::vector<float> w;
  for (int i = 0; i < 3 * 64; ++i)
    w.push_back(std::sin(0.37f * i) * (i % 7 == 0 ? 3.0f : 1.0f));
  std::vector<double> importance;
  for (int c = 0; c < 64; ++c)
    importance.push_back(1.0 + c % 5);
  const float grid[] = {1.0f, 0.9f, 0.8f};
  slm::WeightFormat format;
  format.bits = 4;
  format.group = 32;
  std::vector<float> rounded =
      quantizeWithClipSearch(w, 3, 64, format, grid, importance).dequantized();
  double expected = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 64; ++c) {
      double d = double(w[r * 64 + c]) - rounded[r * 64 + c];
      expected += importance[c] * d * d;
    }
  EXPECT_NEAR(clipSearchError(w, 3, 64, format, grid, importance), expected, 1e-9 * expected);
  EXPECT_GT(expected, 0);
}

TEST(SpearmanCorrelation, RanksWithTies) {
  EXPECT_DOUBLE_EQ(spearmanCorrelation({1, 2, 3, 4}, {10, 20, 1000, 30000}), 1.0);
  EXPECT_DOUBLE_EQ(spearmanCorrelation({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [2, 1, 4, 4, 5]) = 0.8720815992723809
  EXPECT_NEAR(spearmanCorrelation({1, 2, 3, 4, 5}, {2, 1, 4, 4, 5}), 0.8720815992723809, 1e-12);
  EXPECT_EQ(spearmanCorrelation({1, 1}, {1, 2}), 0.0);
}

TEST(LayerOf, ReadsTheDecoderLayerIndex) {
  EXPECT_EQ(layerOf("model.layers.12.mlp.up_proj.weight"), 12);
  EXPECT_EQ(layerOf("model.embed_tokens.weight"), -1);
  EXPECT_EQ(layerOf("lm_head.weight"), -1);
}

} // namespace
} // namespace slmc
