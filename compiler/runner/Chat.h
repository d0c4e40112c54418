//===- Chat.h - a conversation with an instruction-tuned model --*- C++ -*-===//
#pragma once

#include "compiler/runner/Generate.h"
#include "compiler/tokenizer/ChatFormat.h"
#include "runtime/include/slm_runtime.h"

#include <memory>

struct slm_chat_template;

namespace slmc {

struct ChatReply {
  std::string text;           // the reply as the tokenizer decodes it (special tokens dropped)
  std::vector<int32_t> prompt; // the whole conversation's tokens this turn, generation prompt included
  std::vector<int32_t> tokens; // the reply's
  int64_t promptTokens = 0;   // positions fed for this turn (what the KV cache did not hold)
  int64_t reusedTokens = 0;   // positions kept from earlier turns
  int64_t generatedTokens = 0;
  bool stopped = false;       // ended at a stop token
  bool contextFull = false;   // ended because the context is full (else: the token limit)
  double prefillSeconds = 0, decodeSeconds = 0;
};

/// A conversation: each turn renders the whole history through the model's
/// chat template (libslmtok) with the generation prompt, feeds the model
/// only the tokens its KV cache does not already hold (rewinding it where the
/// re-rendered history differs from what was generated, as Qwen3's template
/// does with earlier thinking), and samples until a stop token.
class ChatSession {
public:
  static llvm::Expected<std::unique_ptr<ChatSession>>
  create(LanguageModel &model, const Tokenizer &tokenizer, const ChatFormat &format,
         const GenerationOptions &sampling, llvm::StringRef system);
  ~ChatSession();

  /// The model's reply to `user`, at most `maxTokens` tokens, each piece to
  /// `emit` as soon as it is known.
  llvm::Expected<ChatReply> say(llvm::StringRef user, int64_t maxTokens,
                                llvm::function_ref<void(llvm::StringRef)> emit);

private:
  ChatSession(LanguageModel &model, const Tokenizer &tokenizer, const ChatFormat &format);
  llvm::Expected<std::string> render() const;

  LanguageModel &model_;
  const Tokenizer &tokenizer_;
  const ChatFormat &format_;
  slm_chat_template *template_ = nullptr;
  slm_sampler sampler_;
  std::vector<std::pair<std::string, std::string>> messages_; // role, content
  std::vector<int32_t> cached_; // the tokens the model's KV cache holds, in order
};

} // namespace slmc
