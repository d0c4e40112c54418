//===- FakeArtifact.cpp - test artifacts around fake_model.c --------------===//

#include "FakeArtifact.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <array>

namespace slmc::test {
namespace {

const float kBias = 0.5f;

// fake_model.c's weights a[v] and b[v]: small integers, so logits are exact.
float weightA(int64_t v) { return static_cast<float>(v % 5 - 2); }
float weightB(int64_t v) { return static_cast<float>(v % 3); }

const std::array<float, kVocab> &weightsA() {
  static const std::array<float, kVocab> a = [] {
    std::array<float, kVocab> values;
    for (int64_t v = 0; v < kVocab; ++v)
      values[v] = weightA(v);
    return values;
  }();
  return a;
}

const std::array<float, kVocab> &weightsB() {
  static const std::array<float, kVocab> b = [] {
    std::array<float, kVocab> values;
    for (int64_t v = 0; v < kVocab; ++v)
      values[v] = weightB(v);
    return values;
  }();
  return b;
}

template <typename T> llvm::ArrayRef<char> bytesOf(const T &values) {
  return llvm::ArrayRef(reinterpret_cast<const char *>(values.data()),
                        values.size() * sizeof(values[0]));
}

void addTensor(google::protobuf::RepeatedPtrField<slm::artifact::TensorInfo> *tensors,
               const std::string &name) {
  slm::artifact::TensorInfo *info = tensors->Add();
  info->set_name(name);
  info->add_shape(2);
  info->add_shape(3);
  info->set_dtype("f32");
}

} // namespace

const std::string kTokenizerBytes("fake tokenizer\0\x01\xff", 17);

ArtifactContents fakeContents() {
  static const std::array<float, 1> bias = {kBias};
  ArtifactContents contents;
  slm::artifact::Manifest &m = contents.manifest;
  m.set_producer("slmc test");
  m.mutable_target()->set_name("x86-64-test");
  m.mutable_target()->set_triple("x86_64-unknown-linux-gnu");
  slm::artifact::ModelConfig *model = m.mutable_model();
  model->set_architecture("fake");
  model->set_vocab_size(kVocab);
  model->set_max_context(kMaxContext);
  model->set_bos_token_id(1);
  model->set_eos_token_id(-1);
  slm::artifact::EntryPoint *step = m.add_entry_points();
  step->set_name("slm_forward");
  step->set_kind("decoder_step");
  slm::artifact::EntryPoint *graph = m.add_entry_points();
  graph->set_name("slm_add");
  graph->set_kind("graph");
  addTensor(graph->mutable_inputs(), "x");
  addTensor(graph->mutable_inputs(), "y");
  addTensor(graph->mutable_outputs(), "z");
  slm::artifact::MemoryPlan *memory = m.mutable_memory();
  memory->set_arena_size(64);
  memory->set_kv_cache_size(kMaxContext * sizeof(float));
  memory->set_max_tokens_per_call(kMaxTokensPerCall);
  memory->set_logits_size(kMaxTokensPerCall * kVocab * sizeof(float));
  m.mutable_tokenizer()->set_kind("llama2c");
  m.mutable_tokenizer()->set_data(kTokenizerBytes);

  contents.code = readFile(SLMC_FAKE_MODEL);
  contents.weights = {{"bias", {1}, "f32", "row_major", bytesOf(bias)},
                      {"a", {kVocab}, "f32", "row_major", bytesOf(weightsA())},
                      {"b", {kVocab}, "f32", "row_major", bytesOf(weightsB())}};
  layoutWeights(contents.weights);
  return contents;
}

std::vector<float> expectedLogits(llvm::ArrayRef<int32_t> tokens) {
  float history = 0;
  for (size_t q = 0; q < tokens.size(); ++q)
    history += static_cast<float>(tokens[q] + 1) * static_cast<float>(q + 1);
  float position = static_cast<float>(tokens.size() - 1);
  std::vector<float> logits(kVocab);
  for (int64_t v = 0; v < kVocab; ++v)
    logits[v] = weightA(v) * history + weightB(v) * position + kBias;
  return logits;
}

std::string readFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer) {
    ADD_FAILURE() << path.str() << ": " << buffer.getError().message();
    return "";
  }
  return (*buffer)->getBuffer().str();
}

void writeFile(llvm::StringRef path, llvm::StringRef bytes) {
  std::error_code error;
  llvm::raw_fd_ostream out(path, error);
  ASSERT_FALSE(error) << path.str() << ": " << error.message();
  out << bytes;
}

TempDir::TempDir() {
  llvm::SmallString<128> dir;
  std::error_code error = llvm::sys::fs::createUniqueDirectory("slmc-runtime-test", dir);
  EXPECT_FALSE(error) << error.message();
  dir_ = dir.str().str();
}

TempDir::~TempDir() { llvm::sys::fs::remove_directories(dir_); }

std::string TempDir::path(llvm::StringRef name) const { return dir_ + "/" + name.str(); }

std::vector<std::string> TempDir::list() const {
  std::vector<std::string> names;
  std::error_code error;
  for (llvm::sys::fs::directory_iterator it(dir_, error), end; it != end && !error;
       it.increment(error))
    names.push_back(::llvm::sys::path::filename(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

void writeOrFail(const ArtifactContents &contents, const std::string &path) {
  llvm::Error error = writeArtifact(contents, path);
  ASSERT_FALSE(error) << llvm::toString(std::move(error));
}

ArtifactPtr openOrFail(const std::string &path) {
  slm_artifact *artifact = nullptr;
  EXPECT_EQ(slm_artifact_open(path.c_str(), &artifact), SLM_OK) << slm_last_error();
  return ArtifactPtr(artifact);
}

std::string openOutcome(const std::string &path) {
  slm_artifact *artifact = nullptr;
  slm_status status = slm_artifact_open(path.c_str(), &artifact);
  EXPECT_EQ(artifact != nullptr, status == SLM_OK);
  slm_artifact_close(artifact);
  return outcome(status);
}

} // namespace slmc::test
