//===- CompiledModelTest.cpp - compiled artifacts against the oracle ------===//
//
// A compiled artifact must compute what the reference executor computes:
// TinyStories-656K's logits on a fixed sequence agree within 1e-4, whether
// the sequence is prefilled at once, in chunks, or decoded token by token,
// and with only the last token's logits asked for.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Compile.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/runner/RuntimeModel.h"
#include "runtime/include/slm_runtime.h"
#include "llvm/Support/FileSystem.h"

#include "test/unit/driver/CollectLogits.h"

#include <gtest/gtest.h>

#include <cmath>

namespace slmc {
namespace {

const std::string kModel = SLMC_TEST_DATA_DIR "/tinystories-656k";
const std::vector<int32_t> kTokens{1, 403, 407, 261, 378, 1308, 268, 600, 1010, 286};

/// Compiles the model once for every test of the suite.
class CompiledModelTest : public testing::Test {
protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("compiled-model", "slmpack", path));
    CompileOptions options;
    options.maxContext = 32;
    options.maxTokensPerCall = 4; // so that the 10-token prefill takes three calls
    llvm::Error error = compileModelFile(kModel, "", options, path);
    ASSERT_FALSE(static_cast<bool>(error)) << llvm::toString(std::move(error));
  }
  static void TearDownTestSuite() { llvm::sys::fs::remove(path); }
  /// The reference executor's logits of every token of kTokens.
  static void referenceLogits(std::vector<float> &out) {
    auto imported = importModel(kModel);
    ASSERT_TRUE(static_cast<bool>(imported)) << llvm::toString(imported.takeError());
    auto reference = createReferenceModel(*imported->module, 32);
    ASSERT_TRUE(static_cast<bool>(reference)) << llvm::toString(reference.takeError());
    out = collectLogits(**reference, kTokens, kTokens.size());
  }
  static inline llvm::SmallString<128> path;
};

TEST_F(CompiledModelTest, LogitsMatchTheReferenceExecutor) {
  std::vector<float> expected;
  ASSERT_NO_FATAL_FAILURE(referenceLogits(expected));

  auto artifact = openArtifact(path);
  ASSERT_TRUE(static_cast<bool>(artifact)) << llvm::toString(artifact.takeError());
  for (int threads : {1, 2}) {
    auto compiled = createRuntimeModel(artifact->artifact, threads);
    ASSERT_TRUE(static_cast<bool>(compiled)) << llvm::toString(compiled.takeError());
    for (size_t step : {kTokens.size(), size_t{3}, size_t{1}}) {
      std::vector<float> actual = collectLogits(**compiled, kTokens, step);
      ASSERT_EQ(actual.size(), expected.size());
      float worst = 0;
      for (size_t i = 0; i < actual.size(); ++i)
        worst = std::max(worst, std::fabs(actual[i] - expected[i]));
      EXPECT_LE(worst, 1e-4f) << "threads " << threads << ", " << step << " tokens per call";
    }
  }
}

/// A prefill that asks only for the last token's logits (the artifact's code
/// then runs the output head on that token alone) returns that row as the
/// reference computes it, over several calls and after earlier positions.
TEST_F(CompiledModelTest, LastTokenLogitsAloneMatchTheReferenceExecutor) {
  std::vector<float> expected;
  ASSERT_NO_FATAL_FAILURE(referenceLogits(expected));
  auto artifact = openArtifact(path);
  ASSERT_TRUE(static_cast<bool>(artifact)) << llvm::toString(artifact.takeError());
  slm_model_info info;
  slm_artifact_info(artifact->artifact.get(), &info);
  const int64_t vocab = info.vocab_size;
  for (int threads : {1, 2}) {
    slm_session *session = nullptr;
    ASSERT_EQ(slm_session_create(artifact->artifact.get(), threads, &session), SLM_OK);
    // 1 + 9 tokens (three calls of at most 4: 4, 4, 1) then 2 + 5 + 3 (the
    // last 3 in one call): each prefill's last row against the reference's.
    for (std::vector<size_t> split : {std::vector<size_t>{1, 9}, std::vector<size_t>{2, 5, 3}}) {
      slm_session_reset(session);
      size_t done = 0;
      for (size_t count : split) {
        ASSERT_EQ(slm_session_prefill(session, kTokens.data() + done, count, /*all_logits=*/0),
                  SLM_OK)
            << slm_last_error();
        done += count;
        int64_t rows = 0;
        const float *logits = slm_session_logits(session, &rows);
        ASSERT_EQ(rows, 1);
        float worst = 0;
        for (int64_t v = 0; v < vocab; ++v)
          worst = std::max(worst, std::fabs(logits[v] - expected[(done - 1) * vocab + v]));
        EXPECT_LE(worst, 1e-4f) << "threads " << threads << ", token " << done - 1;
      }
    }
    slm_session_destroy(session);
  }
}

TEST_F(CompiledModelTest, CarriesItsTokenizerAndConfig) {
  auto artifact = openArtifact(path);
  ASSERT_TRUE(static_cast<bool>(artifact)) << llvm::toString(artifact.takeError());
  EXPECT_EQ(artifact->maxContext, 32);
  auto ids = artifact->tokenizer->encode("Once upon a time", true);
  ASSERT_TRUE(static_cast<bool>(ids));
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, 80, 147, 201, 282, 57}));
}

TEST_F(CompiledModelTest, ContextOverflowIsAnError) {
  auto artifact = openArtifact(path);
  ASSERT_TRUE(static_cast<bool>(artifact));
  auto compiled = createRuntimeModel(artifact->artifact, 1);
  ASSERT_TRUE(static_cast<bool>(compiled));
  std::vector<int32_t> tooMany(33, 5);
  auto out = (*compiled)->forward(tooMany);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_NE(llvm::toString(out.takeError()).find("context"), std::string::npos);
}

} // namespace
} // namespace slmc
