//===- HfConfig.h - Hugging Face config.json --------------------*- C++ -*-===//
#pragma once

#include "compiler/frontends/decoder/DecoderConfig.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// Reads a Hugging Face config.json of a LlamaForCausalLM, Qwen2ForCausalLM
/// or Qwen3ForCausalLM. Missing required fields are reported together.
llvm::Expected<DecoderConfig> readHfConfig(llvm::StringRef path);

} // namespace slmc
