//===- SamplerTest.cpp - slm_sample ---------------------------------------===//

#include "Outcome.h"
#include "slm_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

using slmc::test::outcome;

namespace {

slm_sampler makeSampler(float temperature, int32_t topK, float topP, uint64_t seed) {
  slm_sampler_config config = {temperature, topK, topP, seed};
  slm_sampler sampler;
  slm_sampler_init(&sampler, &config);
  return sampler;
}

std::vector<int32_t> draws(slm_sampler sampler, const std::vector<float> &logits, int count) {
  std::vector<int32_t> tokens;
  for (int i = 0; i < count; ++i)
    tokens.push_back(slm_sample(&sampler, logits.data(), logits.size()));
  return tokens;
}

/// How often each token came up in `count` draws.
std::map<int32_t, double> frequencies(slm_sampler sampler, const std::vector<float> &logits,
                                      int count) {
  std::map<int32_t, double> seen;
  for (int32_t token : draws(sampler, logits, count))
    seen[token] += 1.0 / count;
  return seen;
}

std::vector<float> logProbabilities(std::initializer_list<double> probabilities) {
  std::vector<float> logits;
  for (double p : probabilities)
    logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  std::vector<float> logits = {1, 5, 3, 5, -2};
  EXPECT_EQ(draws(makeSampler(0, 0, 0, 1), logits, 3), (std::vector<int32_t>{1, 1, 1}));
  EXPECT_EQ(draws(makeSampler(-1, 0, 0, 1), logits, 1), (std::vector<int32_t>{1}));
  EXPECT_EQ(draws(makeSampler(1, 1, 0, 1), logits, 1), (std::vector<int32_t>{1})); // top-1
}

TEST(Sampler, SeedPicksTheSameTokensEverywhere) {
  // From an independent transcription of splitmix64 and xorshift64*: with ten
  // equal logits, the token is floor(10 * uniform).
  std::vector<float> uniform(10, 0.25f);
  EXPECT_EQ(draws(makeSampler(1, 0, 0, 42), uniform, 10),
            (std::vector<int32_t>{1, 5, 4, 2, 8, 5, 3, 7, 9, 6}));
  EXPECT_EQ(draws(makeSampler(0.7f, 5, 0.9f, 7), uniform, 50),
            draws(makeSampler(0.7f, 5, 0.9f, 7), uniform, 50));
  EXPECT_NE(draws(makeSampler(1, 0, 0, 1), uniform, 50), draws(makeSampler(1, 0, 0, 2), uniform, 50));
}

TEST(Sampler, TemperatureFollowsTheDistribution) {
  std::map<int32_t, double> seen =
      frequencies(makeSampler(1, 0, 0, 3), logProbabilities({0.5, 0.3, 0.2}), 20000);
  EXPECT_NEAR(seen[0], 0.5, 0.02);
  EXPECT_NEAR(seen[1], 0.3, 0.02);
  EXPECT_NEAR(seen[2], 0.2, 0.02);
}

TEST(Sampler, TopKDrawsOnlyFromTheKBest) {
  // Ties rank by token: of the three 2s, tokens 1 and 4 make the top 3 with 6.
  std::vector<float> logits = {0, 2, 1, 6, 2, 2, -1};
  std::map<int32_t, double> seen = frequencies(makeSampler(5, 3, 0, 11), logits, 5000);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_GT(seen[3], 0);
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[4], 0);
}

TEST(Sampler, TopPDrawsOnlyFromTheNucleus) {
  std::vector<float> logits = logProbabilities({0.15, 0.5, 0.05, 0.3});
  std::map<int32_t, double> seen = frequencies(makeSampler(1, 0, 0.7f, 5), logits, 5000);
  EXPECT_EQ(seen.size(), 2u); // 0.5 + 0.3 reach 0.7
  EXPECT_NEAR(seen[1], 0.5 / 0.8, 0.03);
  EXPECT_NEAR(seen[3], 0.3 / 0.8, 0.03);
}

TEST(Sampler, TopPAppliesWithinTopK) {
  // Top 3 renormalized: 0.5/0.95, 0.3/0.95, 0.15/0.95; p = 0.6 keeps two.
  std::vector<float> logits = logProbabilities({0.15, 0.5, 0.05, 0.3});
  std::map<int32_t, double> seen = frequencies(makeSampler(1, 3, 0.6f, 9), logits, 2000);
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[3], 0);
}

TEST(Sampler, RefusesAnEmptyRow) {
  slm_sampler sampler = makeSampler(1, 0, 0, 1);
  float logit = 0;
  EXPECT_EQ(slm_sample(&sampler, &logit, 0), -1);
  EXPECT_EQ(outcome(SLM_ERROR_ARGUMENT), "ARGUMENT: slm_sample: vocabulary of 0 tokens");
}

TEST(Sampler, SurvivesNotANumber) {
  std::vector<float> logits = {NAN, NAN, NAN};
  for (slm_sampler sampler : {makeSampler(1, 0, 0, 1), makeSampler(1, 2, 0, 1),
                              makeSampler(1, 0, 0.5f, 1)}) {
    int32_t token = slm_sample(&sampler, logits.data(), logits.size());
    EXPECT_TRUE(token >= 0 && token < 3) << token;
  }
}

} // namespace
