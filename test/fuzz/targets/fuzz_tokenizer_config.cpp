//===- fuzz_tokenizer_config.cpp - a chat model's tokenizer_config.json ---===//
//
// Bytes as tokenizer_config.json in a folder with the tiny chat fixture's
// generation_config.json (test/data/tiny-hf/chat), read as slmc compile reads
// an instruction-tuned model's chat format against SmolLM2's real tokenizer:
// the chat template (a string or a list of named templates) parsed by
// libslmtok, the bos/eos tokens (strings or added-token objects), the stop ids
// from config.json and generation_config.json against the vocabulary.
//
//===----------------------------------------------------------------------===//

#include "InputFile.h"
#include "compiler/tokenizer/ChatFormat.h"
#include "compiler/tokenizer/Tokenizer.h"

#include "llvm/Support/FileSystem.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::unique_ptr<slmc::Tokenizer> tokenizer = [] {
    auto loaded = slmc::loadTokenizer(SLMC_FUZZ_DATA "/tokenizers/smollm2-135m-instruct/tokenizer.json");
    if (!loaded)
      abort();
    return std::move(*loaded);
  }();
  static const std::string &folder = [] () -> const std::string & {
    const std::string &dir = slmc::fuzz::scratchDirectory();
    llvm::sys::fs::create_link(SLMC_FUZZ_DATA "/tiny-hf/chat/generation_config.json",
                               dir + "/generation_config.json");
    return dir;
  }();
  if (!slmc::fuzz::writeInput(folder + "/tokenizer_config.json", data, size))
    return 0;
  auto chat = slmc::readChatFormat(folder, *tokenizer, /*modelEos=*/2);
  if (!chat)
    llvm::consumeError(chat.takeError());
  return 0;
}
