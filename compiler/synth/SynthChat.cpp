//===- SynthChat.cpp - the chat templates synth shapes ship ---------------===//

#include "compiler/synth/SynthChat.h"

namespace slmc::synth {
namespace {
struct Embedded {
  const char *name;
  const char *text;
};
const Embedded kTemplates[] = {
#include "SynthChatTemplates.inc"
};
} // namespace

llvm::StringRef synthChatTemplate(llvm::StringRef name) {
  for (const Embedded &t : kTemplates)
    if (name == t.name)
      return t.text;
  return "";
}

} // namespace slmc::synth
