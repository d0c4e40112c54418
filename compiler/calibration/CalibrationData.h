//===- CalibrationData.h - windows and teacher soft targets -----*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "compiler/runner/Perplexity.h"
#include "compiler/tokenizer/Tokenizer.h"

#include <vector>

namespace slmc {

/// The calibration text cut for distillation-aware quantization: its last
/// tenth (at least one window) is held out for the summary and the gate; the
/// rest is cut into windows of `context` tokens, BOS first. Layer Hessians
/// see them all (up to kMaxHessianWindows); KL is measured on a seeded sample.
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

llvm::Expected<CalibrationText> loadCalibrationText(llvm::StringRef path,
                                                    const Tokenizer &tokenizer, int64_t context,
                                                    int64_t windowsWanted, uint64_t seed);

/// The teacher's distribution at every position of the calibration windows:
/// probabilities and, per position, sum p log p, so that KL(teacher || model)
/// costs one log-sum-exp and one dot product per position.
class SoftTargets {
public:
  static llvm::Expected<SoftTargets> compute(LanguageModel &teacher,
                                             const std::vector<std::vector<int32_t>> &windows);

  /// Mean KL(teacher || model) and same-top-token share over all positions.
  struct Agreement {
    double kl = 0, top1 = 0;
  };
  llvm::Expected<Agreement> compare(LanguageModel &model,
                                    const std::vector<std::vector<int32_t>> &windows) const;

private:
  int64_t vocab_ = 0;
  std::vector<float> probabilities_; // [positions, vocab]
  std::vector<double> negativeEntropy_;
  std::vector<int32_t> argmax_;
};

} // namespace slmc
