//===- Perplexity.h - perplexity as llama.cpp computes it -------*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "llvm/ADT/FunctionExtras.h"

#include <vector>

namespace slmc {

/// The windows that llama.cpp's llama-perplexity scores: the token stream
/// (BOS first) cut into consecutive, non-overlapping windows of `context`
/// tokens (a partial last window is dropped), each with its first token
/// replaced by BOS. Scored positions are `firstScored(context)` .. context-1,
/// each predicted from the logits at the position before it.
struct ScoredWindows {
  int64_t context = 0;
  std::vector<std::vector<int32_t>> windows;
  static int64_t firstScored(int64_t context) { return context / 2 + 1; }
};
ScoredWindows cutScoredWindows(llvm::ArrayRef<int32_t> tokens, int64_t context, int32_t bos);

/// log sum_i exp(row[i]) of one row of logits, in double, shifted by the max.
double logSumExp(const float *row, int64_t vocab);
/// log softmax of one row of logits, in double.
void logSoftmax(const float *row, int64_t vocab, std::vector<double> &out);

struct PerplexityResult {
  int64_t scoredTokens = 0;
  int64_t windows = 0;
  double nllMean = 0;
  double perplexity = 0;
  double seconds = 0;
  /// With a teacher, as llama.cpp's --kl-divergence: the mean over scored
  /// positions of KL(P_teacher || P_model) (softmax of the logits, natural
  /// log) and the share of positions where both argmaxes agree.
  std::optional<double> klToTeacher, top1Agreement;
  /// With a teacher: the teacher's own perplexity on the same positions (it
  /// ran anyway, so a caller needs no second pass for the teacher's row).
  std::optional<double> teacherPerplexity;
};

/// Runs every window from a fresh state and averages the negative
/// log-likelihood of the scored tokens; with a `teacher` (same vocabulary),
/// also compares the two distributions at the same positions. `progress`
/// hears each finished window.
llvm::Expected<PerplexityResult>
evaluatePerplexity(LanguageModel &model, const ScoredWindows &windows,
                   LanguageModel *teacher = nullptr,
                   llvm::function_ref<void(int64_t done, int64_t total)> progress = nullptr);

} // namespace slmc
