//===- ChatFormat.h - a model's chat template and stop tokens ---*- C++ -*-===//
//
// Instruction-tuned models say how a conversation becomes text in
// tokenizer_config.json (chat_template, bos_token, eos_token) and which
// tokens end a reply in generation_config.json and config.json
// (eos_token_id, one or a list). The artifact carries all of it, so that a
// compiled model chats with no other file; libslmtok renders the template.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/tokenizer/Tokenizer.h"

#include <optional>

namespace slmc {

struct ChatFormat {
  std::string templateSource; // Jinja, as tokenizer_config.json holds it
  std::string bosToken, eosToken; // the template's bos_token and eos_token ("" when none)
  std::vector<int32_t> stopIds;   // a reply ends at any of these
};

/// The chat format of the Hugging Face folder `folder`, nullopt when its
/// tokenizer_config.json (or the file itself) has no chat_template. The
/// template must parse (libslmtok); `modelEos` (config.json's first
/// eos_token_id) and the eos token's id join the stop ids. Errors name the file.
llvm::Expected<std::optional<ChatFormat>> readChatFormat(llvm::StringRef folder,
                                                         const Tokenizer &tokenizer,
                                                         int32_t modelEos);

/// Checks that `source` parses as a chat template; errors name `where`.
llvm::Error checkChatTemplate(llvm::StringRef where, llvm::StringRef source);

} // namespace slmc
