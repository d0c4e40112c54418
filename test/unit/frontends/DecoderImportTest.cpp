//===- DecoderImportTest.cpp - imported decoders against PyTorch ----------===//
//
// The tiny Hugging Face fixtures (scripts/fixtures/make_tiny_hf.py) carry the
// logits that an independent plain-PyTorch implementation computes for a fixed
// token sequence; importing and running each must reproduce them.
//
//===----------------------------------------------------------------------===//

#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/frontends/hf/Safetensors.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace slmc {
namespace {

const std::string kData = SLMC_TEST_DATA_DIR;

struct Expected {
  std::vector<int32_t> tokens;
  std::vector<float> logits;
};

Expected readExpected(const std::string &folder) {
  auto file = SafetensorsFile::open(folder + "/expected.safetensors");
  EXPECT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  Expected e;
  const auto *tokens = (*file)->find("tokens");
  for (size_t i = 0; i < tokens->bytes.size() / 8; ++i) {
    int64_t id;
    std::memcpy(&id, tokens->bytes.data() + 8 * i, 8);
    e.tokens.push_back(static_cast<int32_t>(id));
  }
  auto logits = readAsF32(*(*file)->find("logits"));
  EXPECT_TRUE(static_cast<bool>(logits));
  e.logits = std::move(*logits);
  return e;
}

/// Max |difference| between the model's logits and the expected ones, fed
/// either all at once (prefill) or one token at a time (decode with KV cache).
float maxError(const std::string &folder, bool incremental) {
  auto model = importModel(folder);
  EXPECT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  Expected expected = readExpected(folder);
  auto runner = createReferenceModel(*model->module, expected.tokens.size());
  EXPECT_TRUE(static_cast<bool>(runner)) << llvm::toString(runner.takeError());
  std::vector<float> logits;
  auto append = [&](llvm::ArrayRef<int32_t> tokens) {
    auto out = (*runner)->forward(tokens);
    EXPECT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
    logits.insert(logits.end(), out->data<float>(), out->data<float>() + out->size());
  };
  if (incremental)
    for (int32_t token : expected.tokens)
      append({token});
  else
    append(expected.tokens);
  EXPECT_EQ(logits.size(), expected.logits.size());
  float worst = 0;
  for (size_t i = 0; i < std::min(logits.size(), expected.logits.size()); ++i)
    worst = std::max(worst, std::fabs(logits[i] - expected.logits[i]));
  return worst;
}

class TinyDecoder : public testing::TestWithParam<const char *> {};

TEST_P(TinyDecoder, PrefillMatchesPyTorch) {
  EXPECT_LT(maxError(kData + "/tiny-hf/" + GetParam(), false), 1e-4f);
}

TEST_P(TinyDecoder, IncrementalDecodingMatchesPyTorch) {
  EXPECT_LT(maxError(kData + "/tiny-hf/" + GetParam(), true), 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(HuggingFace, TinyDecoder,
                         testing::Values("llama-bf16", "llama-f16-sharded", "qwen2", "qwen3",
                                         "llama3-rope", "llama-linear-rope", "phi3-longrope",
                                         "phi3-partial", "mistral-window", "gemma2-softcap",
                                         "gemma3-local"));

/// A conversation's history can be rewound where its re-rendered text differs
/// from what was generated: exactly, unless a windowed layer's ring cache has
/// overwritten what the kept positions need (then the caller starts over).
TEST(DecoderImport, RewindKeepsPositionsUnlessARingHoldsThem) {
  const std::vector<int32_t> tokens = {1, 17, 42, 5, 63, 28, 9, 33, 0, 51, 12, 2};
  auto imported = importModel(kData + "/tiny-hf/qwen3");
  ASSERT_TRUE(static_cast<bool>(imported)) << llvm::toString(imported.takeError());
  auto straight = createReferenceModel(*imported->module, 16);
  auto rewound = createReferenceModel(*imported->module, 16);
  ASSERT_TRUE(straight && rewound);
  auto want = (*straight)->forward(tokens);
  ASSERT_TRUE(static_cast<bool>(want));
  std::vector<int32_t> other = {1, 17, 42, 5, 63, 40, 40, 40};
  ASSERT_TRUE(static_cast<bool>((*rewound)->forward(other)));
  ASSERT_TRUE((*rewound)->rewind(5));
  auto got = (*rewound)->forward(llvm::ArrayRef(tokens).drop_front(5));
  ASSERT_TRUE(static_cast<bool>(got));
  int64_t vocab = (*straight)->vocabSize();
  for (int64_t i = 0; i < got->size(); ++i)
    EXPECT_NEAR(got->data<float>()[i], want->data<float>()[5 * vocab + i], 1e-5) << i;

  auto windowed = importModel(kData + "/tiny-hf/mistral-window");
  ASSERT_TRUE(static_cast<bool>(windowed)) << llvm::toString(windowed.takeError());
  auto ring = createReferenceModel(*windowed->module, 16);
  ASSERT_TRUE(static_cast<bool>(ring));
  ASSERT_TRUE(static_cast<bool>((*ring)->forward(other)));
  EXPECT_TRUE((*ring)->rewind(8)); // nothing to forget
  EXPECT_FALSE((*ring)->rewind(5));
}

/// The logits of `tokens` from a freshly loaded model at `path`.
std::vector<float> logitsOf(const std::string &path, llvm::ArrayRef<int32_t> tokens) {
  auto model = importModel(path);
  EXPECT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  auto runner = createReferenceModel(*model->module, tokens.size());
  EXPECT_TRUE(static_cast<bool>(runner)) << llvm::toString(runner.takeError());
  auto out = (*runner)->forward(tokens);
  EXPECT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  return std::vector<float>(out->data<float>(), out->data<float>() + out->size());
}

TEST(DecoderImport, OnnxExportMatchesSafetensors) {
  // TinyStories-656K exported by torch.onnx.export (scripts/fixtures/export_onnx.py).
  std::vector<int32_t> tokens{1, 403, 407, 261, 378, 1308, 268, 600, 1010, 286};
  std::vector<float> hf = logitsOf(kData + "/tinystories-656k", tokens);
  for (const char *onnx : {"/tinystories-656k/model.onnx", "/onnx-external/model.onnx"}) {
    std::vector<float> exported = logitsOf(kData + onnx, tokens);
    ASSERT_EQ(exported.size(), hf.size());
    float worst = 0;
    for (size_t i = 0; i < hf.size(); ++i)
      worst = std::max(worst, std::fabs(exported[i] - hf[i]));
    EXPECT_LE(worst, 1e-4f) << onnx;
  }
}

TEST(DecoderImport, Qwen3KeepsItsHeadDimAndNorms) {
  auto model = importModel(kData + "/tiny-hf/qwen3");
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  std::string text;
  llvm::raw_string_ostream os(text);
  model->module->print(os);
  EXPECT_NE(text.find("model.layers.0.self_attn.q_norm.weight"), std::string::npos);
  EXPECT_NE(text.find("tensor<?x4x16xf32>"), std::string::npos); // head_dim 16 != 48 / 4
  EXPECT_EQ(model->contract.architecture, "qwen3");
}

TEST(DecoderImport, ShardNamesThatAreNotFilesOfTheFolderAreRejected) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("slmc-shard", dir));
  std::string src = kData + "/tiny-hf/llama-f16-sharded";
  ASSERT_FALSE(llvm::sys::fs::copy_file(src + "/config.json", (dir + "/config.json").str()));
  // Outside the folder, the folder itself (empty or "."; found by
  // fuzz_safetensors_index: it was opened as a shard), not a string.
  for (const char *shard : {R"("../../etc/passwd")", R"("")", R"(".")", "7"}) {
    {
      std::error_code ec;
      llvm::raw_fd_ostream os((dir + "/model.safetensors.index.json").str(), ec);
      os << R"({"weight_map": {"model.norm.weight": )" << shard << "}}";
    }
    auto model = importModel(dir.str());
    ASSERT_FALSE(static_cast<bool>(model)) << shard;
    EXPECT_NE(llvm::toString(model.takeError()).find("model.norm.weight maps to an invalid shard name"),
              std::string::npos)
        << shard;
  }
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
} // namespace slmc
