//===- Llama2cTokenizer.h - llama2.c tokenizer.bin --------------*- C++ -*-===//
//
// llama2.c's tokenizer.bin: int32 max_token_length, then one record per token
// until the end of the file (float32 score, int32 length, bytes). Encoding and
// decoding follow run.c's encode() and decode() exactly, so prompts give the
// ids llama2.c models saw.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/tokenizer/Tokenizer.h"

namespace slmc {

/// The tokenizer held in `contents`, a tokenizer.bin named `path` in errors.
/// `vocabSize` (0: unchecked) must equal its number of tokens.
llvm::Expected<std::unique_ptr<Tokenizer>>
parseLlama2cTokenizer(llvm::StringRef path, llvm::StringRef contents, int32_t vocabSize);

} // namespace slmc
