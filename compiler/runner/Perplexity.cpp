//===- Perplexity.cpp - perplexity as llama.cpp computes it ---------------===//

#include "compiler/runner/Perplexity.h"

#include "compiler/support/Error.h"

#include <chrono>
#include <cmath>

namespace slmc {

ScoredWindows cutScoredWindows(llvm::ArrayRef<int32_t> tokens, int64_t context, int32_t bos) {
  ScoredWindows result;
  result.context = context;
  for (size_t start = 0; context > 1 && start + context <= tokens.size(); start += context) {
    std::vector<int32_t> window(tokens.begin() + start, tokens.begin() + start + context);
    window.front() = bos;
    result.windows.push_back(std::move(window));
  }
  return result;
}

double logSumExp(const float *row, int64_t vocab) {
  double max = *std::max_element(row, row + vocab), sum = 0;
  for (int64_t i = 0; i < vocab; ++i)
    sum += std::exp(static_cast<double>(row[i]) - max);
  return std::log(sum) + max;
}

void logSoftmax(const float *row, int64_t vocab, std::vector<double> &out) {
  out.resize(vocab);
  double logSum = logSumExp(row, vocab);
  for (int64_t i = 0; i < vocab; ++i)
    out[i] = row[i] - logSum;
}

llvm::Expected<PerplexityResult>
evaluatePerplexity(LanguageModel &model, const ScoredWindows &windows, LanguageModel *teacher,
                   llvm::function_ref<void(int64_t, int64_t)> progress) {
  if (windows.windows.empty())
    return makeError("the text is too short for one window of {0} tokens", windows.context);
  int64_t vocab = model.vocabSize();
  if (teacher && teacher->vocabSize() != vocab)
    return makeError("the teacher's vocabulary ({0} tokens) differs from the model's ({1})",
                     teacher->vocabSize(), vocab);
  auto start = std::chrono::steady_clock::now();
  PerplexityResult result;
  double nll = 0, teacherNll = 0, kl = 0;
  int64_t agree = 0;
  std::vector<double> own, reference;
  int64_t first = ScoredWindows::firstScored(windows.context);
  for (const std::vector<int32_t> &window : windows.windows) {
    model.reset();
    auto logits = model.forward(window);
    if (!logits)
      return logits.takeError();
    llvm::Expected<exec::Tensor> teacherLogits = exec::Tensor();
    if (teacher) {
      teacher->reset();
      teacherLogits = teacher->forward(window);
      if (!teacherLogits)
        return teacherLogits.takeError();
    }
    for (int64_t pos = first; pos < windows.context; ++pos) {
      const float *row = logits->data<float>() + (pos - 1) * vocab;
      logSoftmax(row, vocab, own);
      nll -= own[window[pos]];
      ++result.scoredTokens;
      if (!teacher)
        continue;
      const float *teacherRow = teacherLogits->data<float>() + (pos - 1) * vocab;
      logSoftmax(teacherRow, vocab, reference);
      teacherNll -= reference[window[pos]];
      for (int64_t i = 0; i < vocab; ++i)
        kl += std::exp(reference[i]) * (reference[i] - own[i]);
      agree += std::max_element(row, row + vocab) - row ==
               std::max_element(teacherRow, teacherRow + vocab) - teacherRow;
    }
    ++result.windows;
    if (progress)
      progress(result.windows, windows.windows.size());
  }
  result.nllMean = nll / result.scoredTokens;
  result.perplexity = std::exp(result.nllMean);
  if (teacher) {
    result.klToTeacher = kl / result.scoredTokens;
    result.top1Agreement = static_cast<double>(agree) / result.scoredTokens;
    result.teacherPerplexity = std::exp(teacherNll / result.scoredTokens);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace slmc
