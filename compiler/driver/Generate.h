//===- Generate.h - text generation -----------------------------*- C++ -*-===//
#pragma once

#include "compiler/driver/LanguageModel.h"
#include "compiler/tokenizer/Tokenizer.h"
#include "llvm/ADT/FunctionExtras.h"

#include <random>

namespace slmc {

/// Picks the next token from logits: argmax at temperature 0 (the first
/// maximum, as llama2.c does), else a draw from softmax(logits / T) with a
/// seeded generator, so that a seed reproduces a run on any platform.
class Sampler {
public:
  Sampler(float temperature, uint64_t seed) : temperature_(temperature), rng_(seed) {}
  int32_t sample(const float *logits, int64_t vocab);

private:
  float temperature_;
  std::mt19937_64 rng_;
  std::vector<double> probabilities_;
};

struct GenerationOptions {
  /// Positions including BOS and the prompt, as llama2.c's -n counts them.
  int64_t steps = 256;
  float temperature = 0.0f;
  uint64_t seed = 0;
};

struct GenerationResult {
  std::vector<int32_t> tokens; // BOS, prompt, continuation
  int64_t promptTokens = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
  int64_t decodedTokens = 0; // forward calls after the prompt
};

/// Generates as llama2.c's generate() does: the prompt (after BOS) is forced,
/// then tokens are sampled until `steps` positions or a BOS/EOS token. Each
/// printed piece goes to `emit` as soon as it is known.
llvm::Expected<GenerationResult> generate(LanguageModel &model, const Tokenizer &tokenizer,
                                          llvm::StringRef prompt, const GenerationOptions &options,
                                          llvm::function_ref<void(llvm::StringRef)> emit);

} // namespace slmc
