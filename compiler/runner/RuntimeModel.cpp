//===- RuntimeModel.cpp - a LanguageModel on a compiled artifact ----------===//

#include "compiler/runner/RuntimeModel.h"

#include "compiler/support/Error.h"
#include "runtime/include/slm_runtime.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

namespace slmc {
namespace {

llvm::Error runtimeError() { return makeError("{0}", slm_last_error()); }

class RuntimeModel : public LanguageModel {
public:
  RuntimeModel(std::shared_ptr<slm_artifact> artifact, slm_session *session)
      : artifact_(std::move(artifact)), session_(session) {
    slm_artifact_info(artifact_.get(), &info_);
  }
  ~RuntimeModel() override { slm_session_destroy(session_); }

  int64_t vocabSize() const override { return info_.vocab_size; }
  int64_t capacity() const override { return info_.max_context; }
  void reset() override { slm_session_reset(session_); }
  bool rewind(int64_t positions) override { return slm_session_rewind(session_, positions); }

  llvm::Expected<exec::Tensor> forward(llvm::ArrayRef<int32_t> tokens) override {
    if (slm_session_prefill(session_, tokens.data(), static_cast<int64_t>(tokens.size()),
                            /*all_logits=*/1) != SLM_OK)
      return runtimeError();
    int64_t rows = 0;
    const float *logits = slm_session_logits(session_, &rows);
    exec::Tensor out = exec::Tensor::zeros(exec::DType::F32, {rows, info_.vocab_size});
    std::memcpy(out.data<float>(), logits, sizeof(float) * rows * info_.vocab_size);
    return out;
  }

private:
  std::shared_ptr<slm_artifact> artifact_;
  slm_session *session_;
  slm_model_info info_;
};

} // namespace

bool isArtifact(llvm::StringRef path) {
  auto head = llvm::MemoryBuffer::getFileSlice(path, 8, 0, /*IsVolatile=*/false);
  return head && (*head)->getBuffer() == llvm::StringRef("SLMPACK\0", 8);
}

llvm::Expected<OpenedArtifact> openArtifact(llvm::StringRef path) {
  slm_artifact *raw = nullptr;
  if (slm_artifact_open(path.str().c_str(), &raw) != SLM_OK)
    return runtimeError();
  OpenedArtifact opened;
  opened.artifact = std::shared_ptr<slm_artifact>(raw, slm_artifact_close);
  slm_model_info info;
  slm_artifact_info(raw, &info);
  opened.maxContext = info.max_context;
  size_t size = 0;
  const char *kind = nullptr;
  const void *bytes = slm_artifact_tokenizer(raw, &size, &kind);
  auto tokenizer = parseTokenizer((path + ":tokenizer").str(),
                                  llvm::StringRef(static_cast<const char *>(bytes), size),
                                  static_cast<int32_t>(info.vocab_size));
  if (!tokenizer)
    return tokenizer.takeError();
  (*tokenizer)->setSpecialIds(info.bos_token_id, info.eos_token_id);
  opened.tokenizer = std::move(*tokenizer);
  return opened;
}

llvm::Expected<std::unique_ptr<LanguageModel>>
createRuntimeModel(std::shared_ptr<slm_artifact> artifact, int threads) {
  slm_session *session = nullptr;
  if (slm_session_create(artifact.get(), threads, &session) != SLM_OK)
    return runtimeError();
  return std::make_unique<RuntimeModel>(std::move(artifact), session);
}

} // namespace slmc
