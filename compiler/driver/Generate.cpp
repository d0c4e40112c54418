//===- Generate.cpp - text generation -------------------------------------===//

#include "compiler/driver/Generate.h"

#include "compiler/support/Error.h"

#include <chrono>
#include <cmath>

namespace slmc {

int32_t Sampler::sample(const float *logits, int64_t vocab) {
  if (temperature_ <= 0.0f)
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  probabilities_.resize(vocab);
  double max = *std::max_element(logits, logits + vocab), sum = 0;
  for (int64_t i = 0; i < vocab; ++i)
    sum += probabilities_[i] = std::exp((logits[i] - max) / temperature_);
  // 53 random bits as a double in [0, 1): the same on every platform, unlike
  // std::uniform_real_distribution.
  double target = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * sum;
  for (int64_t i = 0; i < vocab; ++i) {
    target -= probabilities_[i];
    if (target < 0)
      return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(vocab - 1);
}

llvm::Expected<GenerationResult> generate(LanguageModel &model, const Tokenizer &tokenizer,
                                          llvm::StringRef prompt, const GenerationOptions &options,
                                          llvm::function_ref<void(llvm::StringRef)> emit) {
  using Clock = std::chrono::steady_clock;
  auto encoded = tokenizer.encode(prompt, /*addBos=*/true);
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

  Sampler sampler(options.temperature, options.seed);
  int64_t vocab = model.vocabSize();
  start = Clock::now();
  while (true) {
    const float *last = logits->data<float>() + (logits->dim(0) - 1) * vocab;
    int32_t next = sampler.sample(last, vocab);
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
