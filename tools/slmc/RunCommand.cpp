//===- RunCommand.cpp - slmc run ------------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/runner/Chat.h"
#include "compiler/runner/Generate.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <iostream>
#include <string>

ABSL_FLAG(std::string, prompt, "", "text to start from");
ABSL_FLAG(int64_t, n, 256,
          "positions to run, counting BOS and the prompt (as llama2.c's -n); capped at the "
          "model's context length");
ABSL_FLAG(float, temperature, 0.0f, "sampling temperature; 0 picks the most likely token");
ABSL_FLAG(int32_t, top_k, 0, "sample only among the k most likely tokens (0: all)");
ABSL_FLAG(float, top_p, 1.0f, "sample only within this much probability mass (1: all)");
ABSL_FLAG(bool, tokens, false, "also print the token ids after the text");
ABSL_FLAG(bool, chat, false,
          "converse through the model's chat template: each line of standard input (or "
          "--prompt alone) is a user turn; -n caps each reply's tokens");
ABSL_FLAG(std::string, system, "", "--chat: the system message the conversation starts with");

namespace slmc::cli {
namespace {

/// slmc run --chat: a conversation, the KV cache kept between turns.
llvm::Error runChat(RunnableModel &runnable, const std::string &model, int64_t replyTokens,
                    const GenerationOptions &sampling) {
  if (!runnable.chat)
    return makeError("{0}: the model has no chat template (tokenizer_config.json's "
                     "chat_template); run it without --chat",
                     model);
  auto chat = ChatSession::create(*runnable.model, *runnable.tokenizer, *runnable.chat, sampling,
                                  absl::GetFlag(FLAGS_system));
  if (!chat)
    return chat.takeError();
  auto turn = [&](llvm::StringRef user) -> llvm::Error {
    auto reply = (*chat)->say(user, replyTokens, [](llvm::StringRef piece) {
      llvm::outs() << piece;
      llvm::outs().flush();
    });
    if (!reply)
      return makeError("{0}: {1}", model, llvm::toString(reply.takeError()));
    llvm::outs() << "\n";
    if (absl::GetFlag(FLAGS_tokens)) {
      llvm::outs() << "prompt tokens:";
      for (int32_t id : reply->prompt)
        llvm::outs() << " " << id;
      llvm::outs() << "\nreply tokens:";
      for (int32_t id : reply->tokens)
        llvm::outs() << " " << id;
      llvm::outs() << "\n";
    }
    llvm::outs().flush();
    llvm::errs() << llvm::formatv(
        "{0}: {1} new prompt tokens ({2} kept in the cache) in {3:F1} ms; {4} reply tokens in "
        "{5:F3} s{6}\n",
        runnable.backend, reply->promptTokens, reply->reusedTokens, reply->prefillSeconds * 1e3,
        reply->generatedTokens, reply->decodeSeconds,
        reply->stopped       ? ""
        : reply->contextFull ? " (the context is full)"
                             : " (stopped at the token limit)");
    return llvm::Error::success();
  };
  if (!absl::GetFlag(FLAGS_prompt).empty())
    return turn(absl::GetFlag(FLAGS_prompt));
  std::string line;
  while (std::getline(std::cin, line)) {
    if (llvm::StringRef(line).trim().empty())
      continue;
    if (llvm::Error error = turn(line))
      return error;
  }
  return llvm::Error::success();
}

llvm::Error runRun(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one MODEL, got {0} arguments", args.size());
  int64_t steps = absl::GetFlag(FLAGS_n);
  if (steps <= 0)
    return makeError("-n must be positive, got {0}", steps);
  if (absl::GetFlag(FLAGS_temperature) < 0)
    return makeError("--temperature must be >= 0");
  if (llvm::Error error = checkTokenizerFlag(args[0]))
    return error;
  // A conversation grows turn by turn: room for the model's context (an
  // artifact has its own; the reference executor at most kChatPositions).
  constexpr int64_t kChatPositions = 4096;
  bool chat = absl::GetFlag(FLAGS_chat);
  auto runnable = openRunnable(args[0], absl::GetFlag(FLAGS_tokenizer),
                               absl::GetFlag(FLAGS_threads), chat ? kChatPositions : steps);
  if (!runnable)
    return runnable.takeError();
  if (!chat)
    steps = std::min(steps, runnable->model->capacity());
  if (absl::GetFlag(FLAGS_top_k) < 0 || absl::GetFlag(FLAGS_top_p) < 0 ||
      absl::GetFlag(FLAGS_top_p) > 1)
    return makeError("--top-k must be >= 0 and --top-p in [0, 1]");
  GenerationOptions options{steps, absl::GetFlag(FLAGS_temperature), absl::GetFlag(FLAGS_top_k),
                            absl::GetFlag(FLAGS_top_p), absl::GetFlag(FLAGS_seed)};
  if (chat)
    return runChat(*runnable, args[0], absl::GetFlag(FLAGS_n), options);
  if (!absl::GetFlag(FLAGS_system).empty())
    return makeError("--system needs --chat");
  auto result = generate(*runnable->model, *runnable->tokenizer, absl::GetFlag(FLAGS_prompt), options,
                         [](llvm::StringRef piece) {
                           llvm::outs() << piece;
                           llvm::outs().flush();
                         });
  if (!result)
    return makeError("{0}", llvm::toString(result.takeError()));
  llvm::outs() << "\n";
  if (absl::GetFlag(FLAGS_tokens)) {
    llvm::outs() << "tokens:";
    for (int32_t id : result->tokens)
      llvm::outs() << " " << id;
    llvm::outs() << "\n";
  }
  llvm::errs() << llvm::formatv(
      "{5}: prompt {0} tokens in {1:F1} ms; generated {2} tokens in {3:F3} s ({4:F1} tokens/s)\n",
      result->promptTokens, result->prefillSeconds * 1e3, result->decodedTokens,
      result->decodeSeconds,
      result->decodeSeconds > 0 ? result->decodedTokens / result->decodeSeconds : 0.0,
      runnable->backend);
  return llvm::Error::success();
}

} // namespace

const Command &runCommand() {
  static const Command command{
      "run",
      "Generate text from a model",
      "slmc run MODEL|ARTIFACT --prompt TEXT -n STEPS [--temperature T] [--top-k K] [--top-p P] "
      "[--seed S] [--tokenizer FILE] [--tokens]\n"
      "slmc run MODEL|ARTIFACT --chat [--system TEXT] [--prompt TEXT] [-n MAX_REPLY_TOKENS] ...",
      "MODEL is imported and run on the reference executor; an ARTIFACT (.slmpack from\n"
      "slmc compile) runs on the tiny runtime with the tokenizer it carries.\n"
      "Standard output is the prompt followed by the continuation, printed piece by piece\n"
      "as llama2.c prints it, then a newline; generation stops early at BOS or EOS.\n"
      "Timings go to standard error.\n\n"
      "--chat converses through the model's chat template (tokenizer_config.json's, which\n"
      "an artifact carries): each line of standard input is a user turn (or --prompt is the\n"
      "only one), the reply is printed on one line, the KV cache is kept between turns,\n"
      "and a reply ends at the model's stop tokens (eos_token_id of config.json and\n"
      "generation_config.json, the template's eos_token) or after -n tokens.",
      {"prompt", "n", "temperature", "top_k", "top_p", "seed", "tokenizer", "tokens", "threads",
       "chat", "system"},
      runRun};
  return command;
}

} // namespace slmc::cli
