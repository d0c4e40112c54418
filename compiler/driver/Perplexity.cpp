//===- Perplexity.cpp - perplexity as llama.cpp computes it ---------------===//

#include "compiler/driver/Perplexity.h"

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

llvm::Expected<PerplexityResult>
evaluatePerplexity(LanguageModel &model, const ScoredWindows &windows,
                   llvm::function_ref<void(int64_t, int64_t)> progress) {
  if (windows.windows.empty())
    return makeError("the text is too short for one window of {0} tokens", windows.context);
  auto start = std::chrono::steady_clock::now();
  PerplexityResult result;
  double nll = 0;
  int64_t vocab = model.vocabSize();
  int64_t first = ScoredWindows::firstScored(windows.context);
  for (const std::vector<int32_t> &window : windows.windows) {
    model.reset();
    auto logits = model.forward(window);
    if (!logits)
      return logits.takeError();
    for (int64_t pos = first; pos < windows.context; ++pos) {
      const float *row = logits->data<float>() + (pos - 1) * vocab;
      double max = *std::max_element(row, row + vocab), sum = 0;
      for (int64_t i = 0; i < vocab; ++i)
        sum += std::exp(static_cast<double>(row[i]) - max);
      nll += std::log(sum) + max - row[window[pos]];
      ++result.scoredTokens;
    }
    ++result.windows;
    if (progress)
      progress(result.windows, windows.windows.size());
  }
  result.nllMean = nll / result.scoredTokens;
  result.perplexity = std::exp(result.nllMean);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace slmc
