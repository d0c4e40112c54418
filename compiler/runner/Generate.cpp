//===- Generate.cpp - text generation -------------------------------------===//

#include "compiler/runner/Generate.h"

#include "compiler/support/Error.h"
#include "runtime/include/slm_runtime.h"

#include <chrono>

namespace slmc {

llvm::Expected<GenerationResult> generate(LanguageModel &model, const Tokenizer &tokenizer,
                                          llvm::StringRef prompt, const GenerationOptions &options,
                                          llvm::function_ref<void(llvm::StringRef)> emit) {
  using Clock = std::chrono::steady_clock;
  auto encoded = tokenizer.encode(prompt, /*addSpecial=*/true);
  if (!encoded)
    return encoded.takeError();
  GenerationResult result;
  result.tokens = std::move(*encoded);
  result.promptTokens = static_cast<int64_t>(result.tokens.size());
  int64_t steps = std::min(options.steps, model.capacity());
  if (steps <= 0)
    return makeError("the number of steps must be positive");
  model.reset();

  // Prefill: every prompt token that fits in one call.
  std::vector<int32_t> &tokens = result.tokens;
  int64_t fed = std::min<int64_t>(tokens.size(), steps);
  auto start = Clock::now();
  auto logits = model.forward(llvm::ArrayRef(tokens).take_front(fed));
  if (!logits)
    return logits.takeError();
  result.prefillSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int64_t i = 1; i < fed; ++i)
    emit(tokenizer.decodePiece(tokens[i - 1], tokens[i]));
  if (fed < static_cast<int64_t>(tokens.size())) {
    // llama2.c still prints the forced token that follows the last position.
    emit(tokenizer.decodePiece(tokens[fed - 1], tokens[fed]));
    tokens.resize(fed + 1);
    return result;
  }

  slm_sampler sampler;
  slm_sampler_config config{options.temperature, options.topK, options.topP, options.seed};
  slm_sampler_init(&sampler, &config);
  int64_t vocab = model.vocabSize();
  start = Clock::now();
  while (true) {
    const float *last = logits->data<float>() + (logits->dim(0) - 1) * vocab;
    int32_t next = slm_sample(&sampler, last, vocab);
    if (next < 0)
      return makeError("sampling failed: {0}", slm_last_error());
    if (next == tokenizer.bosId() || next == tokenizer.eosId())
      break;
    emit(tokenizer.decodePiece(tokens.back(), next));
    tokens.push_back(next);
    if (fed >= steps)
      break;
    logits = model.forward({next});
    if (!logits)
      return logits.takeError();
    ++fed;
    ++result.decodedTokens;
  }
  result.decodeSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

} // namespace slmc
