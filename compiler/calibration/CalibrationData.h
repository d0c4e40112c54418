//===- CalibrationData.h - windows and teacher soft targets -----*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "compiler/runner/Perplexity.h"
#include "compiler/tokenizer/Tokenizer.h"

#include <vector>

namespace slmc {

/// The calibration text cut for distillation-aware quantization: its last
/// tenth (heldOutTokenCount) is held out for the summary and the gate; the
/// rest is cut into windows of `context` tokens, BOS first. Layer Hessians
/// see them all (up to kMaxHessianWindows; fewer for a large model, as its
/// work allows: QuantizeModel.cpp); KL is measured on a seeded sample.
struct CalibrationText {
  int64_t tokens = 0;    // the whole text, BOS included
  int64_t available = 0; // calibration windows before sampling
  std::vector<std::vector<int32_t>> windows;        // the sample
  std::vector<std::vector<int32_t>> hessianWindows; // all, or an evenly spaced subset
  ScoredWindows heldOut;
  int64_t heldOutTokens = 0;
};

/// Fewest calibration windows the sensitivity analysis accepts.
inline constexpr int64_t kMinCalibrationWindows = 4;
/// A forward pass each: enough tokens for well-conditioned Hessians of
/// layers a few thousand wide.
inline constexpr int64_t kMaxHessianWindows = 512;

/// Most windows the held-out tail holds: enough for KL to three digits, and
/// what a 0.5B model's teacher and artifact score in about a minute each
/// (its byte-level tokenizer makes a tenth of the bundled text 136 windows).
inline constexpr int64_t kMaxHeldOutWindows = 40;

/// The held-out tail of a calibration text of `tokens` tokens: its last
/// tenth, at least one window and at most kMaxHeldOutWindows.
int64_t heldOutTokenCount(int64_t tokens, int64_t context);
/// That tail of `tokens` cut as `slmc eval` scores a text (what the report's
/// held-out figures and the gate score; `slmc eval --held-out` too).
ScoredWindows heldOutWindows(llvm::ArrayRef<int32_t> tokens, int64_t context, int32_t bos);

llvm::Expected<CalibrationText> loadCalibrationText(llvm::StringRef path,
                                                    const Tokenizer &tokenizer, int64_t context,
                                                    int64_t windowsWanted, uint64_t seed);

/// The teacher's distribution at every position of the calibration windows,
/// so that KL(teacher || model) costs one log-sum-exp and one dot product per
/// position. Dense (every probability) while that fits kDenseTargetBytes;
/// beyond, the top kTopTargets probabilities and the exact tail mass r, so
/// that memory does not grow with the vocabulary (a 151,936-token model's 32
/// windows of 128 would take 2.5 GB dense). Then KL is the divergence of the
/// distributions coarsened to (top-k tokens, the rest): a lower bound of the
/// full KL (data processing), whose gap r KL(tail || model's tail) is bounded
/// per position by r (log(p_k / r) - log(q_min / Q_tail)) with p_k the
/// smallest kept teacher probability (no tail token has more) and q_min the
/// model's smallest probability; both the KL and that upper bound are given.
class SoftTargets {
public:
  /// No windows yet; topK 0 (or not below the vocabulary): dense.
  SoftTargets(int64_t vocab, int64_t topK);
  /// Adds a window's targets from the teacher's logits there, [tokens, vocab].
  llvm::Error append(const exec::Tensor &logits, int64_t tokens);

  /// topK 0: dense.
  static llvm::Expected<SoftTargets> compute(LanguageModel &teacher,
                                             const std::vector<std::vector<int32_t>> &windows,
                                             int64_t topK = 0);
  /// The topK compute() should keep for this many positions: 0 (dense) while
  /// the dense table fits kDenseTargetBytes, else kTopTargets.
  static int64_t topKFor(int64_t positions, int64_t vocab);

  /// Mean KL(teacher || model) (top-k: of the coarsened distributions, a lower
  /// bound), an upper bound of the full KL (dense: the KL), and the
  /// same-top-token share, over all positions.
  struct Agreement {
    double kl = 0, top1 = 0;
    double klUpperBound = 0;
  };
  llvm::Expected<Agreement> compare(LanguageModel &model,
                                    const std::vector<std::vector<int32_t>> &windows) const;

  /// KL(teacher || model) summed over window `window`'s positions (of the
  /// windows compute() was given) from the model's logits there, [tokens,
  /// vocab], and its gradient with respect to them: softmax(z) - p per
  /// position. Top-k targets: of the coarsened distributions, whose tail
  /// target spreads the teacher's tail mass over the tail tokens in
  /// proportion to the model's own probabilities.
  llvm::Expected<double> klGradient(size_t window, const exec::Tensor &logits,
                                    exec::Tensor &gradient) const;

  /// Each token's probability averaged over every position (top-k: of the
  /// kept probabilities; a token's share of the tail mass is left out).
  std::vector<double> meanProbabilities() const;
  int64_t topK() const { return topK_; }
  /// Mean teacher probability outside the kept tokens (0 dense).
  double meanTailMass() const;

private:
  /// KL(teacher || model) at one position from the model's logits z there
  /// (top-k: of the coarsened distributions), with z's log-sum-exp and (top-k)
  /// the model's tail mass; writes the KL's gradient in z when `gradient` is
  /// given. `kept`: vocab zeros (top-k), left as it came.
  struct PositionKl {
    double kl = 0, logZ = 0, modelTailMass = 0;
  };
  PositionKl positionKl(int64_t position, const float *z, std::vector<char> &kept,
                        float *gradient) const;

  int64_t vocab_ = 0, topK_ = 0;
  std::vector<float> probabilities_; // dense: [positions, vocab]; top-k: [positions, k], descending
  std::vector<int32_t> ids_;         // top-k: [positions, k]
  std::vector<double> tailMass_;     // top-k: per position
  /// Per position, sum p log p (top-k: of the coarsened distribution,
  /// sum_top p log p + r log r).
  std::vector<double> negativeEntropy_;
  std::vector<int32_t> argmax_;
  std::vector<int64_t> windowStarts_; // first position of each window
};

/// Dense soft targets up to this size; top-k beyond.
inline constexpr int64_t kDenseTargetBytes = int64_t{512} << 20;
inline constexpr int64_t kTopTargets = 128;

} // namespace slmc
