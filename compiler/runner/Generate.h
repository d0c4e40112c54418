//===- Generate.h - text generation -----------------------------*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "compiler/tokenizer/Tokenizer.h"
#include "llvm/ADT/FunctionExtras.h"


namespace slmc {

struct GenerationOptions {
  /// Positions including BOS and the prompt, as llama2.c's -n counts them.
  int64_t steps = 256;
  /// Sampling, as the tiny runtime does it for every backend: temperature 0 is
  /// greedy (the first maximum, as llama2.c), else a seeded draw, optionally
  /// restricted to the top-k tokens and the top-p probability mass.
  float temperature = 0.0f;
  int32_t topK = 0;
  float topP = 1.0f;
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
