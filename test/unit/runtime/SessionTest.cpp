//===- SessionTest.cpp - running fake_model.c through the runtime ---------===//

#include "FakeArtifact.h"

#include <gtest/gtest.h>

#include <tuple>

using namespace slmc;
using namespace slmc::test;

namespace {

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    path_ = dir_.path("model.slmpack");
    writeOrFail(fakeContents(), path_);
    artifact_ = openOrFail(path_);
    ASSERT_TRUE(artifact_);
    session_ = newSession(1);
  }

  SessionPtr newSession(int threads) {
    slm_session *session = nullptr;
    EXPECT_EQ(slm_session_create(artifact_.get(), threads, &session), SLM_OK) << slm_last_error();
    return SessionPtr(session);
  }

  std::vector<std::vector<float>> logits(slm_session *session) {
    int64_t rows;
    const float *data = slm_session_logits(session, &rows);
    std::vector<std::vector<float>> result;
    for (int64_t r = 0; r < rows; ++r)
      result.emplace_back(data + r * kVocab, data + (r + 1) * kVocab);
    return result;
  }

  std::vector<std::vector<float>> logits() { return logits(session_.get()); }

  TempDir dir_;
  std::string path_;
  ArtifactPtr artifact_;
  SessionPtr session_;
};

std::vector<int32_t> someTokens(int64_t count) {
  std::vector<int32_t> tokens(count);
  for (int64_t i = 0; i < count; ++i)
    tokens[i] = static_cast<int32_t>((i * 7 + 3) % kVocab);
  return tokens;
}

std::vector<float> expectedAfter(llvm::ArrayRef<int32_t> tokens, size_t count) {
  return expectedLogits(tokens.take_front(count));
}

TEST_F(SessionTest, DescribesTheArtifact) {
  slm_model_info info;
  slm_artifact_info(artifact_.get(), &info);
  EXPECT_STREQ(info.architecture, "fake");
  EXPECT_STREQ(info.target, "x86-64-test");
  EXPECT_STREQ(info.producer, "slmc test");
  EXPECT_EQ(info.vocab_size, kVocab);
  EXPECT_EQ(info.max_context, kMaxContext);
  EXPECT_EQ(info.max_tokens_per_call, kMaxTokensPerCall);
  EXPECT_EQ(info.bos_token_id, 1);
  EXPECT_EQ(info.eos_token_id, -1);

  size_t size;
  const char *kind;
  const void *tokenizer = slm_artifact_tokenizer(artifact_.get(), &size, &kind);
  EXPECT_STREQ(kind, "llama2c");
  EXPECT_EQ(std::string(static_cast<const char *>(tokenizer), size), kTokenizerBytes);

  const slm_tensor_desc *inputs, *outputs;
  int64_t inputCount, outputCount;
  slm_artifact_graph_signature(artifact_.get(), &inputs, &inputCount, &outputs, &outputCount);
  ASSERT_EQ(inputCount, 2);
  ASSERT_EQ(outputCount, 1);
  EXPECT_STREQ(inputs[1].name, "y");
  EXPECT_STREQ(inputs[1].dtype, "f32");
  EXPECT_EQ(std::vector<int64_t>(inputs[1].shape, inputs[1].shape + inputs[1].rank),
            (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(inputs[1].size, 24u);
  EXPECT_STREQ(outputs[0].name, "z");
}

TEST_F(SessionTest, PrefillInChunksKeepsTheLastLogits) {
  std::vector<int32_t> tokens = someTokens(10); // three calls of at most 4
  ASSERT_EQ(slm_session_prefill(session_.get(), tokens.data(), tokens.size(), 0), SLM_OK)
      << slm_last_error();
  EXPECT_EQ(slm_session_position(session_.get()), 10);
  EXPECT_EQ(logits(), (std::vector<std::vector<float>>{expectedLogits(tokens)}));
}

TEST_F(SessionTest, PrefillKeepsAllLogitsOnRequest) {
  for (int64_t count : {3, 4, 10}) { // within one call, exactly one, three
    slm_session_reset(session_.get());
    std::vector<int32_t> tokens = someTokens(count);
    ASSERT_EQ(slm_session_prefill(session_.get(), tokens.data(), count, 1), SLM_OK)
        << slm_last_error();
    std::vector<std::vector<float>> expected;
    for (int64_t i = 1; i <= count; ++i)
      expected.push_back(expectedAfter(tokens, i));
    EXPECT_EQ(logits(), expected) << count << " tokens";
  }
}

TEST_F(SessionTest, DecodeContinuesThePrefill) {
  std::vector<int32_t> tokens = someTokens(9);
  ASSERT_EQ(slm_session_prefill(session_.get(), tokens.data(), 5, 0), SLM_OK);
  for (size_t i = 5; i < tokens.size(); ++i) {
    ASSERT_EQ(slm_session_decode(session_.get(), tokens[i]), SLM_OK) << slm_last_error();
    EXPECT_EQ(slm_session_position(session_.get()), static_cast<int64_t>(i + 1));
    EXPECT_EQ(logits(), (std::vector<std::vector<float>>{expectedAfter(tokens, i + 1)}));
  }
}

TEST_F(SessionTest, ResetForgetsEveryPosition) {
  std::vector<int32_t> first = someTokens(6), second = {5, 9, 30};
  ASSERT_EQ(slm_session_prefill(session_.get(), first.data(), first.size(), 0), SLM_OK);
  slm_session_reset(session_.get());
  EXPECT_EQ(slm_session_position(session_.get()), 0);
  EXPECT_TRUE(logits().empty());
  ASSERT_EQ(slm_session_prefill(session_.get(), second.data(), second.size(), 0), SLM_OK);
  EXPECT_EQ(logits(), (std::vector<std::vector<float>>{expectedLogits(second)}));
}

TEST_F(SessionTest, ThreadCountsGiveTheSameLogits) {
  std::vector<int32_t> tokens = someTokens(kMaxContext);
  for (int threads : {2, 3, 0}) {
    SessionPtr session = newSession(threads);
    ASSERT_EQ(slm_session_prefill(session.get(), tokens.data(), tokens.size(), 1), SLM_OK)
        << slm_last_error();
    std::vector<std::vector<float>> rows = logits(session.get());
    ASSERT_EQ(rows.size(), tokens.size()) << threads << " threads";
    for (size_t i = 0; i < rows.size(); ++i)
      EXPECT_EQ(rows[i], expectedAfter(tokens, i + 1)) << threads << " threads, row " << i;
  }
}

TEST_F(SessionTest, RunsTheGraphEntryPoint) {
  SessionPtr session = newSession(2);
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {10, 20, 30, 40, 50, 60}, z[6] = {};
  const void *inputs[] = {x, y};
  void *outputs[] = {z};
  ASSERT_EQ(slm_session_run_graph(session.get(), inputs, outputs), SLM_OK) << slm_last_error();
  EXPECT_EQ(std::vector<float>(z, z + 6), (std::vector<float>{11.5, 22.5, 33.5, 44.5, 55.5, 66.5}));
}

TEST_F(SessionTest, RefusesTokensOutsideTheVocabulary) {
  std::vector<int32_t> tokens = {3, 32, 4};
  EXPECT_EQ(outcome(slm_session_prefill(session_.get(), tokens.data(), tokens.size(), 0)),
            "ARGUMENT: " + path_ + ": token 32 (at index 1) is outside the vocabulary of 32 tokens");
  EXPECT_EQ(outcome(slm_session_decode(session_.get(), -1)),
            "ARGUMENT: " + path_ + ": token -1 (at index 0) is outside the vocabulary of 32 tokens");
  EXPECT_EQ(slm_session_position(session_.get()), 0);
}

TEST_F(SessionTest, RefusesTokensPastTheContext) {
  std::vector<int32_t> tokens = someTokens(kMaxContext + 1);
  ASSERT_EQ(slm_session_prefill(session_.get(), tokens.data(), 14, 0), SLM_OK);
  EXPECT_EQ(outcome(slm_session_prefill(session_.get(), tokens.data(), 3, 0)),
            "ARGUMENT: " + path_ + ": 3 tokens at position 14 do not fit the context of 16 positions");
  EXPECT_EQ(slm_session_position(session_.get()), 14);
  ASSERT_EQ(slm_session_prefill(session_.get(), tokens.data() + 14, 2, 0), SLM_OK);
  EXPECT_EQ(logits(), (std::vector<std::vector<float>>{expectedAfter(tokens, kMaxContext)}));
  EXPECT_EQ(outcome(slm_session_decode(session_.get(), 0)),
            "ARGUMENT: " + path_ + ": 1 tokens at position 16 do not fit the context of 16 positions");
  EXPECT_EQ(outcome(slm_session_prefill(session_.get(), tokens.data(), 0, 0)),
            "ARGUMENT: " + path_ + ": no tokens to append");
}

TEST(SessionErrors, ReportsFailingCode) {
  TempDir dir;
  std::string path = dir.path("fails.slmpack");
  ArtifactContents contents = fakeContents();
  contents.manifest.mutable_entry_points(0)->set_name("slm_forward_fails");
  writeOrFail(contents, path);
  ArtifactPtr artifact = openOrFail(path);
  slm_session *opened;
  ASSERT_EQ(slm_session_create(artifact.get(), 1, &opened), SLM_OK);
  SessionPtr session(opened);
  EXPECT_EQ(outcome(slm_session_decode(session.get(), 1)),
            "EXECUTION: " + path + ": slm_forward_fails failed with code 7 at position 0");
  int64_t rows;
  EXPECT_EQ(slm_session_logits(session.get(), &rows), nullptr);
  EXPECT_EQ(rows, 0);
}

TEST(SessionErrors, NeedsTheEntryPointOfTheCall) {
  TempDir dir;
  std::string path = dir.path("graph.slmpack");
  ArtifactContents contents = fakeContents();
  contents.manifest.mutable_entry_points()->DeleteSubrange(0, 1);
  writeOrFail(contents, path);
  ArtifactPtr artifact = openOrFail(path);
  slm_session *opened;
  ASSERT_EQ(slm_session_create(artifact.get(), 1, &opened), SLM_OK);
  SessionPtr session(opened);
  EXPECT_EQ(outcome(slm_session_decode(session.get(), 1)),
            "ARGUMENT: " + path + ": has no decoder_step entry point");
}

TEST(SessionErrors, InspectedArtifactsDoNotRun) {
  TempDir dir;
  std::string path = dir.path("model.slmpack");
  writeOrFail(fakeContents(), path);
  slm_artifact *opened;
  ASSERT_EQ(slm_artifact_inspect(path.c_str(), &opened), SLM_OK) << slm_last_error();
  ArtifactPtr artifact(opened);
  slm_session *session = nullptr;
  EXPECT_EQ(outcome(slm_session_create(artifact.get(), 1, &session)),
            "ARGUMENT: " + path +
                ": was opened for inspection; open it with slm_artifact_open to run it");
  EXPECT_EQ(session, nullptr);
}

TEST(SessionErrors, EachArtifactRunsItsOwnCode) {
  // Code is loaded through /proc/self/fd/N; glibc hands out an already loaded
  // library for a name it has seen, so no two loaded codes may share an N.
  TempDir dir;
  std::string sevens = dir.path("sevens.slmpack"), eights = dir.path("eights.slmpack");
  ArtifactContents contents = fakeContents();
  contents.manifest.mutable_entry_points(0)->set_name("slm_forward_fails");
  writeOrFail(contents, sevens);
  contents.code = readFile(SLMC_FAKE_MODEL_FAILING_WITH_8);
  writeOrFail(contents, eights);
  ArtifactPtr first = openOrFail(sevens), second = openOrFail(eights);
  for (auto [artifact, path, code] : {std::tuple(first.get(), sevens, 7),
                                      std::tuple(second.get(), eights, 8)}) {
    slm_session *opened;
    ASSERT_EQ(slm_session_create(artifact, 1, &opened), SLM_OK);
    SessionPtr session(opened);
    EXPECT_EQ(outcome(slm_session_decode(session.get(), 1)),
              "EXECUTION: " + path + ": slm_forward_fails failed with code " +
                  std::to_string(code) + " at position 0");
  }
}

} // namespace
