//===- RunCommand.cpp - slmc run ------------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/runner/Generate.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/support/Error.h"
#include "llvm/Support/raw_ostream.h"

ABSL_FLAG(std::string, prompt, "", "text to start from");
ABSL_FLAG(int64_t, n, 256,
          "positions to run, counting BOS and the prompt (as llama2.c's -n); capped at the "
          "model's context length");
ABSL_FLAG(float, temperature, 0.0f, "sampling temperature; 0 picks the most likely token");
ABSL_FLAG(int32_t, top_k, 0, "sample only among the k most likely tokens (0: all)");
ABSL_FLAG(float, top_p, 1.0f, "sample only within this much probability mass (1: all)");
ABSL_FLAG(bool, tokens, false, "also print the token ids after the text");

namespace slmc::cli {
namespace {

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
  auto runnable = openRunnable(args[0], absl::GetFlag(FLAGS_tokenizer), absl::GetFlag(FLAGS_threads), steps);
  if (!runnable)
    return runnable.takeError();
  steps = std::min(steps, runnable->model->capacity());
  if (absl::GetFlag(FLAGS_top_k) < 0 || absl::GetFlag(FLAGS_top_p) < 0 ||
      absl::GetFlag(FLAGS_top_p) > 1)
    return makeError("--top-k must be >= 0 and --top-p in [0, 1]");
  GenerationOptions options{steps, absl::GetFlag(FLAGS_temperature), absl::GetFlag(FLAGS_top_k),
                            absl::GetFlag(FLAGS_top_p), absl::GetFlag(FLAGS_seed)};
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
      "[--seed S] [--tokenizer FILE] [--tokens]",
      "MODEL is imported and run on the reference executor; an ARTIFACT (.slmpack from\n"
      "slmc compile) runs on the tiny runtime with the tokenizer it carries.\n"
      "Standard output is the prompt followed by the continuation, printed piece by piece\n"
      "as llama2.c prints it, then a newline; generation stops early at BOS or EOS.\n"
      "Timings go to standard error.",
      {"prompt", "n", "temperature", "top_k", "top_p", "seed", "tokenizer", "tokens", "threads"},
      runRun};
  return command;
}

} // namespace slmc::cli
