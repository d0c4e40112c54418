//===- CalibrationData.cpp - windows and teacher soft targets -------------===//

#include "compiler/calibration/CalibrationData.h"

#include "compiler/support/Error.h"

#include <cmath>
#include <numeric>
#include <random>

namespace slmc {
namespace {

/// Fisher-Yates with the engine's raw output, so that a seed picks the same
/// windows with every standard library.
std::vector<int64_t> sampleIndices(int64_t available, int64_t wanted, uint64_t seed) {
  std::vector<int64_t> order(available);
  std::iota(order.begin(), order.end(), 0);
  if (wanted >= available)
    return order;
  std::mt19937_64 engine(seed);
  for (int64_t i = 0; i < wanted; ++i)
    std::swap(order[i], order[i + static_cast<int64_t>(engine() % (available - i))]);
  order.resize(wanted);
  std::sort(order.begin(), order.end());
  return order;
}

} // namespace

llvm::Expected<CalibrationText> loadCalibrationText(llvm::StringRef path,
                                                    const Tokenizer &tokenizer, int64_t context,
                                                    int64_t windowsWanted, uint64_t seed) {
  auto tokens = encodeTextFile(path, tokenizer);
  if (!tokens)
    return tokens.takeError();
  CalibrationText out;
  out.tokens = static_cast<int64_t>(tokens->size());
  int64_t heldOut = std::max(context, out.tokens / 10);
  int64_t needed = kMinCalibrationWindows * context + context;
  if (out.tokens < needed)
    return makeError("{0}: {1} tokens are too few to calibrate: at least {2} are needed ({3} "
                     "windows of {4} to calibrate on and one held out)",
                     path, out.tokens, needed, kMinCalibrationWindows, context);
  int64_t calibrationTokens = out.tokens - heldOut;
  out.available = calibrationTokens / context;
  auto windowAt = [&](int64_t index) {
    auto begin = tokens->begin() + index * context;
    std::vector<int32_t> window(begin, begin + context);
    window[0] = tokenizer.bosId();
    return window;
  };
  for (int64_t index : sampleIndices(out.available, windowsWanted, seed))
    out.windows.push_back(windowAt(index));
  int64_t hessianWindows = std::min(out.available, kMaxHessianWindows);
  for (int64_t i = 0; i < hessianWindows; ++i)
    out.hessianWindows.push_back(windowAt(i * out.available / hessianWindows));
  llvm::ArrayRef<int32_t> tail(tokens->data() + calibrationTokens, heldOut);
  out.heldOut = cutScoredWindows(tail, context, tokenizer.bosId());
  out.heldOutTokens = heldOut;
  return out;
}

llvm::Expected<SoftTargets>
SoftTargets::compute(LanguageModel &teacher, const std::vector<std::vector<int32_t>> &windows) {
  SoftTargets targets;
  targets.vocab_ = teacher.vocabSize();
  const int64_t vocab = targets.vocab_;
  std::vector<double> logP;
  for (const std::vector<int32_t> &window : windows) {
    teacher.reset();
    auto logits = teacher.forward(window);
    if (!logits)
      return logits.takeError();
    const float *rows = logits->data<float>();
    for (size_t t = 0; t < window.size(); ++t) {
      const float *z = rows + t * vocab;
      logSoftmax(z, vocab, logP);
      double negativeEntropy = 0;
      for (int64_t v = 0; v < vocab; ++v) {
        double p = std::exp(logP[v]);
        targets.probabilities_.push_back(static_cast<float>(p));
        negativeEntropy += p * logP[v];
      }
      targets.negativeEntropy_.push_back(negativeEntropy);
      targets.argmax_.push_back(static_cast<int32_t>(std::max_element(z, z + vocab) - z));
    }
  }
  return targets;
}

llvm::Expected<SoftTargets::Agreement>
SoftTargets::compare(LanguageModel &model, const std::vector<std::vector<int32_t>> &windows) const {
  if (model.vocabSize() != vocab_)
    return makeError("the model has {0} logits per position, the teacher {1}", model.vocabSize(),
                     vocab_);
  const int64_t vocab = vocab_;
  double kl = 0;
  int64_t agree = 0, position = 0;
  for (const std::vector<int32_t> &window : windows) {
    model.reset();
    auto logits = model.forward(window);
    if (!logits)
      return logits.takeError();
    const float *rows = logits->data<float>();
    for (size_t t = 0; t < window.size(); ++t, ++position) {
      const float *z = rows + t * vocab;
      const float *p = probabilities_.data() + position * vocab;
      double expected = 0;
      for (int64_t v = 0; v < vocab; ++v)
        expected += double(p[v]) * z[v];
      // KL = sum p log p - sum p log q, log q = z - logsumexp(z), sum p = 1.
      kl += negativeEntropy_[position] - expected + logSumExp(z, vocab);
      agree += std::max_element(z, z + vocab) - z == argmax_[position];
    }
  }
  return Agreement{kl / position, double(agree) / position};
}

} // namespace slmc
