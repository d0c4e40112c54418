//===- ScaleTuning.h - end-to-end tuning of quantization scales -*- C++ -*-===//
//
// After rounding, the quantized student is tuned end to end: every group's
// scale (and minimum), codebook entries, the RMSNorm weights and linear
// biases, and (optionally) the codes themselves, by Adam on the KL from the
// float student's distributions over the calibration windows, with gradients
// from the reference executor's reverse mode (Executor::gradient); the result
// is kept when the teacher's KL drops. Rounding chose each code for its own
// tensor's error; tuning lets every scale and code answer for the whole
// model's output, which the per-tensor objectives cannot see (EfficientQAT's
// end-to-end step-size training, with a distillation loss). Codes move by the
// straight-through estimator: each weight has a continuous position at scale
// 1 that Adam moves by dL/dW times its group's scale, and its code is the
// level nearest to it (as LSQ and PV-Tuning train codes through rounding).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/calibration/CalibrationData.h"
#include "compiler/quant/QuantizedWeight.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/runner/ReferenceModel.h"

#include <optional>
#include <string>
#include <vector>

namespace slmc {

struct ScaleTuningOptions {
  int64_t steps = 0;
  int64_t windowsPerStep = 8; // a step's minibatch
  /// Adam's step: of log |scale| for scales; of a tensor's RMS for minimums
  /// and norm weights.
  double learningRate = 3e-3;
  /// The codes' first step, in levels (the mean spacing of a codebook's
  /// entries) per unit of learningRate; it decays to nothing along a half
  /// cosine. 0: codes stay as rounding left them. Costs 24 bytes a weight
  /// (the offset and its Adam moments).
  double codeRate = 0;
  uint64_t seed = 0;
  int threads = 0;
  bool progress = true;
};

/// A float constant tuned beside the scales (an RMSNorm weight, a bias), the
/// values it ends with and those it had.
struct TunedConstant {
  mlir::Operation *constant = nullptr;
  std::vector<float> values, initial;
};

struct ScaleTuningResult {
  int64_t steps = 0;
  int64_t parameters = 0;
  int64_t codes = 0;      // free to move (0: codes fixed)
  int64_t codesChanged = 0; // codes the kept result changed
  int64_t windows = 0, windowsPerStep = 0; // filled by the caller
  double seconds = 0;                      // filled by the caller
  /// KL(teacher || student) on the check windows before and after (top-k
  /// targets: of the coarsened distributions).
  double klBefore = 0, klAfter = 0;
  /// The tuned values were kept (klAfter < klBefore); else everything is as
  /// rounding left it.
  bool kept = false;
  std::vector<TunedConstant> constants;
};

/// Tunes the scales (and minimums) of `quantized` (nullopt entries are left
/// float) and the f32 constants `floatConstants` on `student`, whose
/// executor must hold the float values of `weights` when called and holds
/// them again on return. Trains on `windows` against `targets` (computed on
/// them); keeps the result when the KL on `checkWindows` against
/// `checkTargets` drops.
llvm::Expected<ScaleTuningResult>
tuneScales(ReferenceModel &student, const SoftTargets &targets,
           const std::vector<std::vector<int32_t>> &windows, const SoftTargets &checkTargets,
           const std::vector<std::vector<int32_t>> &checkWindows,
           const std::vector<WeightTensor> &weights,
           std::vector<std::optional<QuantizedWeight>> &quantized,
           llvm::ArrayRef<mlir::Operation *> floatConstants, const ScaleTuningOptions &options);

/// The float constants tuned beside the scales: the f32 RMSNorm weights and
/// linear biases of `module`'s @forward.
std::vector<mlir::Operation *> tunableFloatConstants(mlir::ModuleOp module);

} // namespace slmc
