//===- SynthTokenizer.h - a tokenizer.json of any vocabulary size -*- C++ -*-===//
#pragma once

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>

namespace slmc::synth {

/// A Hugging Face tokenizer.json with exactly `vocabSize` tokens, in the
/// SentencePiece-style BPE that Llama 2 and TinyStories ship (`▁` for spaces,
/// byte fallback, <unk>/<s>/</s> at 0/1/2, <s> prepended): the 256 byte
/// tokens, printable ASCII, and merged pieces drawn from `seed` until the
/// vocabulary is full, each with its merge, so that every id decodes and
/// text encodes; `special` (a chat format's tokens) take the last ids as
/// special added tokens. `vocabSize` must be at least kMinimumVocabulary.
std::string synthTokenizerJson(int64_t vocabSize, uint64_t seed,
                               llvm::ArrayRef<const char *> special = {});

constexpr int64_t kMinimumVocabulary = 512;

} // namespace slmc::synth
