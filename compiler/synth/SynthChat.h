//===- SynthChat.h - the chat format a synth shape ships ---------*- C++ -*-===//
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace slmc::synth {

/// A model family's chat format: its published template and the special
/// tokens the template writes (added to the synth tokenizer as single
/// tokens at the top of the vocabulary), the first `stops` of which end a
/// reply (generation_config.json's eos_token_id besides </s>); the first is
/// the end of a turn, which the template writes after each message.
struct SynthChat {
  const char *templateName; // test/data/chat-templates/NAME.jinja, embedded at build time
  llvm::ArrayRef<const char *> specialTokens;
  size_t stops;
};

/// The embedded template `name`, or "" if there is none.
llvm::StringRef synthChatTemplate(llvm::StringRef name);

} // namespace slmc::synth
