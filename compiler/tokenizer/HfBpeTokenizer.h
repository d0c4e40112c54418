//===- HfBpeTokenizer.h - Hugging Face tokenizer.json (BPE) -----*- C++ -*-===//
//
// A Hugging Face tokenizer.json whose model is BPE, encoded and decoded by
// libslmtok (runtime/tokenizer) exactly as the `tokenizers` library does it.
// Characters the vocabulary lacks (and that no byte token covers) are an
// error, never <unk>.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/tokenizer/Tokenizer.h"

namespace slmc {

/// The tokenizer held in `contents`, a tokenizer.json named `path` in errors.
/// `vocabSize` (0: unchecked) is the model's, which may be padded beyond the
/// tokenizer's but must cover every id it produces.
llvm::Expected<std::unique_ptr<Tokenizer>>
parseHfBpeTokenizer(llvm::StringRef path, llvm::StringRef contents, int32_t vocabSize);

} // namespace slmc
