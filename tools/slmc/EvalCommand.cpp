//===- EvalCommand.cpp - slmc eval ----------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/calibration/CalibrationData.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/Perplexity.h"
#include "compiler/support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

ABSL_FLAG(int64_t, ctx, 128, "window length in tokens");
ABSL_FLAG(bool, held_out, false,
          "score only the held-out tail of --text (its last tenth, at most 40 windows), as slmc compile --quant "
          "scores it for its report and --max-kl");

namespace slmc::cli {
namespace {

llvm::Error runEval(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one MODEL, got {0} arguments", args.size());
  std::string textPath = absl::GetFlag(FLAGS_text);
  if (textPath.empty())
    return makeError("--text FILE is required");
  int64_t context = absl::GetFlag(FLAGS_ctx);
  if (context < 4)
    return makeError("--ctx must be at least 4, got {0}", context);
  if (llvm::Error error = checkTokenizerFlag(args[0]))
    return error;
  auto runnable = openRunnable(args[0], absl::GetFlag(FLAGS_tokenizer), absl::GetFlag(FLAGS_threads), context);
  if (!runnable)
    return runnable.takeError();
  if (context > runnable->model->capacity())
    return makeError("--ctx {0} exceeds the model's context length {1}", context,
                     runnable->model->capacity());
  const Tokenizer &tokenizer = *runnable->tokenizer;
  auto tokens = encodeTextFile(textPath, tokenizer);
  if (!tokens)
    return tokens.takeError();
  ScoredWindows windows = absl::GetFlag(FLAGS_held_out)
                              ? heldOutWindows(*tokens, context, tokenizer.bosId())
                              : cutScoredWindows(*tokens, context, tokenizer.bosId());
  if (windows.windows.empty())
    return makeError("{0}: {1} tokens are fewer than one window of --ctx {2}", textPath,
                     tokens->size(), context);
  std::optional<RunnableModel> teacher;
  if (std::string path = absl::GetFlag(FLAGS_teacher); !path.empty()) {
    auto opened = openRunnable(path, "", absl::GetFlag(FLAGS_threads), context,
                               /*needsTokenizer=*/false);
    if (!opened)
      return opened.takeError();
    teacher = std::move(*opened);
  }
  auto result = evaluatePerplexity(*runnable->model, windows,
                                   teacher ? teacher->model.get() : nullptr);
  if (!result)
    return makeError("{0}{1}", teacher ? absl::GetFlag(FLAGS_teacher) + ": " : "",
                     llvm::toString(result.takeError()));

  double tokensPerSecond = result->windows * context / std::max(result->seconds, 1e-9);
  if (absl::GetFlag(FLAGS_json)) {
    llvm::json::Object json{{"model", args[0]},
                            {"backend", runnable->backend},
                            {"text", textPath},
                            {"ctx", context},
                            {"tokens", result->scoredTokens},
                            {"windows", result->windows},
                            {"ppl", result->perplexity},
                            {"nll_mean", result->nllMean},
                            {"seconds", result->seconds},
                            {"tokens_per_second", tokensPerSecond},
                            {"parameters", runnable->weights.parameters},
                            {"bpw", runnable->weights.bitsPerWeight()}};
    if (result->klToTeacher) {
      json["teacher"] = absl::GetFlag(FLAGS_teacher);
      json["kl_to_teacher"] = *result->klToTeacher;
      json["top1_agreement"] = *result->top1Agreement;
    }
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(json))) << "\n";
  } else {
    llvm::outs() << llvm::formatv("perplexity {0:F4} (mean NLL {1:F6}) over {2} scored tokens in "
                                  "{3} windows of {4}\n",
                                  result->perplexity, result->nllMean, result->scoredTokens,
                                  result->windows, context);
    llvm::outs() << llvm::formatv("{0} parameters at {1:F3} bits per weight\n",
                                  runnable->weights.parameters,
                                  runnable->weights.bitsPerWeight());
    if (result->klToTeacher)
      llvm::outs() << llvm::formatv("KL to teacher {0:F6}, same top token {1:P2}\n",
                                    *result->klToTeacher, *result->top1Agreement);
  }
  llvm::errs() << llvm::formatv("evaluated {0} tokens in {1:F2} s ({2:F0} tokens/s)\n",
                                result->windows * context, result->seconds, tokensPerSecond);
  return llvm::Error::success();
}

} // namespace

const Command &evalCommand() {
  static const Command command{
      "eval",
      "Measure perplexity on a text, exactly as llama.cpp's llama-perplexity does",
      "slmc eval MODEL|ARTIFACT --text FILE [--held-out] [--ctx N] [--teacher T] [--json]\n"
      "          [--tokenizer FILE]",
      "The whole text is tokenized once with BOS in front and cut into consecutive,\n"
      "non-overlapping windows of N tokens (a partial last window is dropped). The first\n"
      "token of every window is replaced by BOS; only the second half of each window is\n"
      "scored: the tokens at window positions N/2+1 .. N-1, each predicted from the logits\n"
      "at the position before it. Perplexity = exp(mean negative log-likelihood).\n"
      "--json prints tokens (scored), windows, ppl, nll_mean, seconds, tokens_per_second,\n"
      "parameters and bpw (bits per weight: every weight tensor and scale, as the model runs).\n"
      "With --teacher T, the same positions also give kl_to_teacher, the mean of\n"
      "KL(P_teacher || P_model) over the softmax of the logits (natural log), and\n"
      "top1_agreement, the share of positions where both models' argmaxes agree (as\n"
      "llama.cpp's --kl-divergence).\n"
      "--held-out scores only the text's last tenth (at least one window, at most 40),\n"
      "cut the same way: what slmc compile --quant --calib FILE reports for the final\n"
      "student and gates with --max-kl.",
      {"text", "held_out", "ctx", "json", "tokenizer", "threads", "teacher"},
      runEval};
  return command;
}

} // namespace slmc::cli
