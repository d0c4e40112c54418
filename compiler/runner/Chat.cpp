//===- Chat.cpp - a conversation with an instruction-tuned model ----------===//

#include "compiler/runner/Chat.h"

#include "compiler/support/Error.h"
#include "slm_chat.h"

#include <chrono>
#include <cstdlib>

namespace slmc {

ChatSession::ChatSession(LanguageModel &model, const Tokenizer &tokenizer,
                         const ChatFormat &format)
    : model_(model), tokenizer_(tokenizer), format_(format) {}

ChatSession::~ChatSession() { slm_chat_template_free(template_); }

llvm::Expected<std::unique_ptr<ChatSession>>
ChatSession::create(LanguageModel &model, const Tokenizer &tokenizer, const ChatFormat &format,
                    const GenerationOptions &sampling, llvm::StringRef system) {
  std::unique_ptr<ChatSession> chat(new ChatSession(model, tokenizer, format));
  char error[512] = {0};
  chat->template_ = slm_chat_template_parse(format.templateSource.data(),
                                            format.templateSource.size(), error, sizeof error);
  if (!chat->template_)
    return makeError("the chat template: {0}", error);
  slm_sampler_config config{sampling.temperature, sampling.topK, sampling.topP, sampling.seed};
  slm_sampler_init(&chat->sampler_, &config);
  if (!system.empty())
    chat->messages_.emplace_back("system", system.str());
  model.reset();
  return chat;
}

llvm::Expected<std::string> ChatSession::render() const {
  std::vector<slm_chat_message> messages;
  for (const auto &[role, content] : messages_)
    messages.push_back({role.c_str(), content.c_str()});
  slm_chat chat{messages.data(), messages.size(), /*add_generation_prompt=*/1,
                format_.bosToken.c_str(), format_.eosToken.c_str()};
  char *text = nullptr;
  size_t len = 0;
  char error[512] = {0};
  if (!slm_chat_template_render(template_, &chat, &text, &len, error, sizeof error))
    return makeError("the chat template: {0}", error);
  std::string out(text, len);
  std::free(text);
  return out;
}

llvm::Expected<ChatReply> ChatSession::say(llvm::StringRef user, int64_t maxTokens,
                                           llvm::function_ref<void(llvm::StringRef)> emit) {
  using Clock = std::chrono::steady_clock;
  messages_.emplace_back("user", user.str());
  auto prompt = render();
  if (!prompt) {
    messages_.pop_back();
    return prompt.takeError();
  }
  // The template writes the special tokens itself (Hugging Face's
  // apply_chat_template encodes without adding any).
  auto tokens = tokenizer_.encode(*prompt, /*addSpecial=*/false, /*allowUnknown=*/true);
  if (!tokens) {
    messages_.pop_back();
    return tokens.takeError();
  }
  if (tokens->empty()) {
    messages_.pop_back();
    return makeError("the chat template rendered no text");
  }
  ChatReply reply;
  size_t keep = 0;
  while (keep < cached_.size() && keep < tokens->size() && cached_[keep] == (*tokens)[keep])
    ++keep;
  if (keep == tokens->size()) // the last position's logits are needed again
    --keep;
  int64_t capacity = model_.capacity();
  if (static_cast<int64_t>(tokens->size()) >= capacity) {
    messages_.pop_back();
    return makeError("the conversation ({0} tokens) no longer fits the model's context of {1} "
                     "positions",
                     tokens->size(), capacity);
  }
  if (!model_.rewind(static_cast<int64_t>(keep))) {
    // A ring cache has overwritten what the kept positions' window needs.
    model_.reset();
    keep = 0;
  }
  cached_.resize(keep);
  reply.reusedTokens = static_cast<int64_t>(keep);
  llvm::ArrayRef<int32_t> fresh = llvm::ArrayRef(*tokens).drop_front(keep);
  reply.promptTokens = static_cast<int64_t>(fresh.size());

  auto start = Clock::now();
  auto logits = model_.forward(fresh);
  if (!logits)
    return logits.takeError();
  cached_.insert(cached_.end(), fresh.begin(), fresh.end());
  reply.prefillSeconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<int32_t> generated;
  int64_t vocab = model_.vocabSize();
  start = Clock::now();
  int32_t previous = cached_.back();
  while (static_cast<int64_t>(generated.size()) < maxTokens) {
    const float *last = logits->data<float>() + (logits->dim(0) - 1) * vocab;
    int32_t next = slm_sample(&sampler_, last, vocab);
    if (next < 0)
      return makeError("sampling failed: {0}", slm_last_error());
    if (llvm::is_contained(format_.stopIds, next) || next == tokenizer_.eosId()) {
      reply.stopped = true;
      break;
    }
    emit(tokenizer_.decodePiece(previous, next));
    generated.push_back(next);
    previous = next;
    if (static_cast<int64_t>(cached_.size()) >= capacity) {
      reply.contextFull = true;
      break;
    }
    logits = model_.forward({next});
    if (!logits)
      return logits.takeError();
    cached_.push_back(next);
  }
  reply.decodeSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  reply.generatedTokens = static_cast<int64_t>(generated.size());
  reply.text = tokenizer_.decodeText(generated, /*skipSpecial=*/true);
  reply.prompt = std::move(*tokens);
  reply.tokens = std::move(generated);
  messages_.emplace_back("assistant", reply.text);
  return reply;
}

} // namespace slmc
