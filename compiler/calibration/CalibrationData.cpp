//===- CalibrationData.cpp - windows and teacher soft targets -------------===//

#include "compiler/calibration/CalibrationData.h"

#include "compiler/support/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

int64_t heldOutTokenCount(int64_t tokens, int64_t context) {
  return std::min({tokens, std::max(context, tokens / 10), kMaxHeldOutWindows * context});
}

ScoredWindows heldOutWindows(llvm::ArrayRef<int32_t> tokens, int64_t context, int32_t bos) {
  int64_t heldOut = heldOutTokenCount(static_cast<int64_t>(tokens.size()), context);
  return cutScoredWindows(tokens.take_back(heldOut), context, bos);
}

llvm::Expected<CalibrationText> loadCalibrationText(llvm::StringRef path,
                                                    const Tokenizer &tokenizer, int64_t context,
                                                    int64_t windowsWanted, uint64_t seed) {
  auto tokens = encodeTextFile(path, tokenizer);
  if (!tokens)
    return tokens.takeError();
  CalibrationText out;
  out.tokens = static_cast<int64_t>(tokens->size());
  int64_t heldOut = heldOutTokenCount(out.tokens, context);
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
  out.heldOut = heldOutWindows(*tokens, context, tokenizer.bosId());
  out.heldOutTokens = heldOut;
  return out;
}

int64_t SoftTargets::topKFor(int64_t positions, int64_t vocab) {
  bool fits = positions > 0 && vocab > 0 &&
              positions <= kDenseTargetBytes / static_cast<int64_t>(sizeof(float)) / vocab;
  return fits || vocab <= kTopTargets ? 0 : kTopTargets;
}

SoftTargets::SoftTargets(int64_t vocab, int64_t topK)
    : vocab_(vocab), topK_(topK < 0 || topK >= vocab ? 0 : topK) {}

std::vector<double> SoftTargets::meanProbabilities() const {
  std::vector<double> mean(vocab_, 0.0);
  const int64_t positions = static_cast<int64_t>(argmax_.size());
  if (positions == 0)
    return mean;
  for (size_t i = 0; i < probabilities_.size(); ++i)
    mean[topK_ ? ids_[i] : static_cast<int64_t>(i % vocab_)] += probabilities_[i];
  for (double &p : mean)
    p /= static_cast<double>(positions);
  return mean;
}

llvm::Error SoftTargets::append(const exec::Tensor &logits, int64_t tokens) {
  const int64_t vocab = vocab_, topK = topK_;
  if (logits.size() != tokens * vocab)
    return makeError("logits {0} for {1} positions of {2} tokens", logits.describe(), tokens,
                     vocab);
  windowStarts_.push_back(static_cast<int64_t>(argmax_.size()));
  std::vector<double> logP;
  std::vector<int32_t> order(topK ? vocab : 0);
  const float *rows = logits.data<float>();
  for (int64_t t = 0; t < tokens; ++t) {
    const float *z = rows + t * vocab;
    logSoftmax(z, vocab, logP);
    argmax_.push_back(static_cast<int32_t>(std::max_element(z, z + vocab) - z));
    double negativeEntropy = 0;
    if (topK == 0) {
      for (int64_t v = 0; v < vocab; ++v) {
        double p = std::exp(logP[v]);
        probabilities_.push_back(static_cast<float>(p));
        negativeEntropy += p * logP[v];
      }
      negativeEntropy_.push_back(negativeEntropy);
      continue;
    }
    // The k most probable tokens (ties: the lower id), most probable first.
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + topK, order.end(),
                      [&](int32_t a, int32_t b) {
                        return logP[a] > logP[b] || (logP[a] == logP[b] && a < b);
                      });
    for (int64_t i = 0; i < topK; ++i) {
      double p = std::exp(logP[order[i]]);
      ids_.push_back(order[i]);
      probabilities_.push_back(static_cast<float>(p));
      negativeEntropy += p * logP[order[i]];
    }
    // The tail's mass from the tail itself (not 1 - kept: no cancellation).
    double tail = 0;
    for (int64_t i = topK; i < vocab; ++i)
      tail += std::exp(logP[order[i]]);
    if (tail > 0)
      negativeEntropy += tail * std::log(tail);
    tailMass_.push_back(tail);
    negativeEntropy_.push_back(negativeEntropy);
  }
  return llvm::Error::success();
}

llvm::Expected<SoftTargets> SoftTargets::compute(LanguageModel &teacher,
                                                 const std::vector<std::vector<int32_t>> &windows,
                                                 int64_t topK) {
  SoftTargets targets(teacher.vocabSize(), topK);
  for (const std::vector<int32_t> &window : windows) {
    teacher.reset();
    auto logits = teacher.forward(window);
    if (!logits)
      return logits.takeError();
    if (llvm::Error error = targets.append(*logits, static_cast<int64_t>(window.size())))
      return std::move(error);
  }
  return targets;
}

SoftTargets::PositionKl SoftTargets::positionKl(int64_t position, const float *z,
                                                std::vector<char> &kept, float *gradient) const {
  const int64_t vocab = vocab_, k = topK_;
  double logZ = logSumExp(z, vocab);
  if (gradient) // softmax(z), less the targets below
    for (int64_t v = 0; v < vocab; ++v)
      gradient[v] = static_cast<float>(std::exp(z[v] - logZ));
  if (k == 0) {
    const float *p = probabilities_.data() + position * vocab;
    double expected = 0;
    for (int64_t v = 0; v < vocab; ++v)
      expected += double(p[v]) * z[v];
    if (gradient)
      for (int64_t v = 0; v < vocab; ++v)
        gradient[v] -= p[v];
    // KL = sum p log p - sum p log q, log q = z - logsumexp(z), sum p = 1.
    return {negativeEntropy_[position] - expected + logZ, logZ, 0};
  }
  const float *p = probabilities_.data() + position * k;
  const int32_t *id = ids_.data() + position * k;
  double expected = 0;
  for (int64_t i = 0; i < k; ++i) {
    expected += double(p[i]) * (z[id[i]] - logZ);
    kept[id[i]] = 1;
  }
  // The model's tail mass summed over the tail itself (not 1 - kept: no
  // cancellation when the kept tokens hold nearly all of it), from the
  // gradient's softmax when there is one.
  double tailQ = 0;
  for (int64_t v = 0; v < vocab; ++v)
    if (!kept[v])
      tailQ += gradient ? gradient[v] : std::exp(z[v] - logZ);
  tailQ = std::max(tailQ, std::numeric_limits<double>::min());
  double r = tailMass_[position];
  if (r > 0)
    expected += r * std::log(tailQ);
  if (gradient) { // tail tokens: q_v - r q_v / Q_tail; kept ones: q_v - p_v
    for (int64_t v = 0; v < vocab; ++v)
      if (!kept[v])
        gradient[v] = static_cast<float>(gradient[v] * (1 - r / tailQ));
    for (int64_t i = 0; i < k; ++i)
      gradient[id[i]] -= p[i];
  }
  for (int64_t i = 0; i < k; ++i)
    kept[id[i]] = 0;
  return {negativeEntropy_[position] - expected, logZ, tailQ};
}

llvm::Expected<double> SoftTargets::klGradient(size_t window, const exec::Tensor &logits,
                                               exec::Tensor &gradient) const {
  if (window >= windowStarts_.size())
    return makeError("window {0} of {1}", window, windowStarts_.size());
  const int64_t first = windowStarts_[window];
  const int64_t tokens = (window + 1 < windowStarts_.size() ? windowStarts_[window + 1]
                                                            : int64_t(argmax_.size())) -
                         first;
  const int64_t vocab = vocab_;
  if (logits.size() != tokens * vocab)
    return makeError("logits {0} for a window of {1} positions and {2} tokens",
                     logits.describe(), tokens, vocab);
  gradient = exec::Tensor::zeros(exec::DType::F32, {tokens, vocab});
  std::vector<char> kept(topK_ ? vocab : 0);
  double kl = 0;
  for (int64_t t = 0; t < tokens; ++t)
    kl += positionKl(first + t, logits.data<float>() + t * vocab, kept,
                     gradient.data<float>() + t * vocab)
              .kl;
  return kl;
}

double SoftTargets::meanTailMass() const {
  if (tailMass_.empty())
    return 0;
  return std::accumulate(tailMass_.begin(), tailMass_.end(), 0.0) / tailMass_.size();
}

llvm::Expected<SoftTargets::Agreement>
SoftTargets::compare(LanguageModel &model, const std::vector<std::vector<int32_t>> &windows) const {
  if (model.vocabSize() != vocab_)
    return makeError("the model has {0} logits per position, the teacher {1}", model.vocabSize(),
                     vocab_);
  const int64_t vocab = vocab_, k = topK_;
  double kl = 0, gap = 0;
  int64_t agree = 0, position = 0;
  std::vector<char> kept(k ? vocab : 0);
  for (const std::vector<int32_t> &window : windows) {
    model.reset();
    auto logits = model.forward(window);
    if (!logits)
      return logits.takeError();
    const float *rows = logits->data<float>();
    for (size_t t = 0; t < window.size(); ++t, ++position) {
      const float *z = rows + t * vocab;
      agree += std::max_element(z, z + vocab) - z == argmax_[position];
      PositionKl at = positionKl(position, z, kept, nullptr);
      kl += at.kl;
      if (k == 0)
        continue;
      double r = tailMass_[position];
      if (r > 0) {
        double minQ = std::exp(*std::min_element(z, z + vocab) - at.logZ);
        double smallestKept = probabilities_[(position + 1) * k - 1];
        gap += r * std::max(0.0, std::log(smallestKept / r) - std::log(minQ / at.modelTailMass));
      }
    }
  }
  Agreement out{kl / position, double(agree) / position, (kl + gap) / position};
  return out;
}

} // namespace slmc
