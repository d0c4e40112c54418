//===- SynthChatTest.cpp - the chat formats synth shapes ship -------------===//
//
// A synth folder at real size is gigabytes, too big for the suite: here the
// pieces it is made of. Each instruction-tuned shape's template parses (as
// libslmtok reads it) and writes its end-of-turn token; the synth tokenizer holds
// the special tokens as single ids at the top of the vocabulary, keeps every
// merge it lists valid, and encodes a rendered turn with them.
//
//===----------------------------------------------------------------------===//

#include "compiler/synth/SynthShapes.h"
#include "compiler/synth/SynthTokenizer.h"
#include "compiler/tokenizer/ChatFormat.h"
#include "compiler/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

namespace slmc {
namespace {

TEST(SynthChat, EveryTemplateParsesAndWritesItsStopTokens) {
  int withChat = 0;
  for (const synth::SynthShape &shape : synth::synthShapes()) {
    if (!shape.chat)
      continue;
    ++withChat;
    llvm::StringRef source = synth::synthChatTemplate(shape.chat->templateName);
    ASSERT_FALSE(source.empty()) << shape.name;
    llvm::Error error = checkChatTemplate(shape.name, source);
    EXPECT_FALSE(static_cast<bool>(error)) << llvm::toString(std::move(error));
    // The first stop token ends a turn: the template writes it after each message (the
    // others, such as Llama's <|eom_id|>, only the model emits).
    ASSERT_GE(shape.chat->stops, 1u) << shape.name;
    EXPECT_TRUE(source.contains(shape.chat->specialTokens[0]))
        << shape.name << ": the template never writes " << shape.chat->specialTokens[0];
  }
  EXPECT_EQ(withChat, 5); // qwen3, llama 3.2, phi-3.5, gemma 2 and 3
}

TEST(SynthChat, TokenizerHoldsTheSpecialTokensAtTheTop) {
  const char *special[] = {"<|im_end|>", "<|im_start|>"};
  std::string json = synth::synthTokenizerJson(600, /*seed=*/3, special);
  auto tokenizer = parseTokenizer("synth", json, 600);
  ASSERT_TRUE(static_cast<bool>(tokenizer)) << llvm::toString(tokenizer.takeError());
  EXPECT_EQ((*tokenizer)->vocabSize(), 600);
  EXPECT_EQ((*tokenizer)->tokenId("<|im_end|>"), 598);
  EXPECT_EQ((*tokenizer)->tokenId("<|im_start|>"), 599);
  auto ids = (*tokenizer)->encode("<|im_start|>user\nhi<|im_end|>", /*addSpecial=*/false);
  ASSERT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
  ASSERT_GE(ids->size(), 3u);
  EXPECT_EQ(ids->front(), 599);
  EXPECT_EQ(ids->back(), 598);
  EXPECT_EQ((*tokenizer)->decodeText(*ids, /*skipSpecial=*/true), "user\nhi");
  // Without special tokens the vocabulary is what it was: the same bytes.
  EXPECT_EQ(synth::synthTokenizerJson(600, 3), synth::synthTokenizerJson(600, 3, {}));
}

} // namespace
} // namespace slmc
