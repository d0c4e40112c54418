//===- QuantizeModel.h - distillation-aware quantization of a student -*- C++ -*-===//
//
// The pipeline behind `slmc compile --quant`: teacher soft targets on
// calibration windows, per-tensor sensitivity (ΔKL for every candidate
// format), an exact budgeted allocation, GPTQ rounding with clipping chosen on
// the teacher objective, and a held-out gate. See docs/ARCHITECTURE.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/calibration/QuantReport.pb.h"
#include "compiler/runner/Perplexity.h"
#include "compiler/tokenizer/Tokenizer.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace slmc {

struct QuantizeOptions {
  std::string student;         // the model path as given, for the report
  std::string scheme;          // a format ("int8", "int4-g32", ...) or "auto"
  double bitsPerWeight = 0;    // auto: budget over every weight and scale
  double maxSizeMB = 0;        // auto: budget in MB (10^6 bytes) of weights
  std::string teacherPath;     // "": the float student is its own teacher
  std::string calibPath;       // calibration text; a fixed format without one is plain RTN
  std::optional<double> maxKl; // the held-out gate
  std::string reportPath;      // JSON report (schema: QuantReport.proto)
  std::string svgPath;         // per-layer chart
  uint64_t seed = 0;
  int64_t context = 128;            // calibration window length
  int64_t calibrationWindows = 32;  // windows the sensitivity runs on
  int threads = 0;
  /// "measure": every tensor, format and rounding end to end; "predict": from
  /// Hessian-weighted errors and anchor layers (SensitivityPredictor.h);
  /// "auto": measure while the estimate is at most kMeasuredSensitivitySeconds.
  std::string sensitivity = "auto";
  /// The linears will quantize their inputs (--w8a8): 3- and 4-bit
  /// candidates are integer grids, which the W4A8 kernels read.
  bool integerActivations = false;
  bool progress = true;             // a progress bar on stderr
  /// Steps of end-to-end scale tuning after rounding (ScaleTuning.h); -1:
  /// as many as kTuningSeconds allow nominally, 0: none.
  int64_t tuneSteps = -1;
};

/// What measuring every trial may cost before "auto" predicts instead: the
/// issue's bar keeps TinyStories-656K's whole compile under a minute, which
/// its ~500 measured trials (~3 minutes) would not.
inline constexpr double kMeasuredSensitivitySeconds = 45;

/// What "auto" and the anchors' window count assume the reference executor
/// does per second, in parameters × tokens (TinyStories-656K's 294 measured
/// trials over 32 windows of 128 tokens took 119 s on 2 cores: 6.7e9). A
/// fixed figure, not a timing, so that the same inputs always choose the same
/// sensitivity and give the same artifact whatever the machine's load.
inline constexpr double kNominalParameterTokensPerSecond = 6e9;

/// The nominal seconds of one forward pass of `parameters` over `tokens`.
inline double nominalPassSeconds(int64_t parameters, int64_t tokens) {
  return double(parameters) * double(tokens) / kNominalParameterTokensPerSecond;
}

struct QuantizeOutcome {
  std::string weightFormat; // recorded in the manifest: the scheme, or "auto (<bpw> bpw)"
  /// What was measured and chosen; empty without calibration text (plain
  /// round-to-nearest measures nothing). Its final student's held-out figures
  /// and the gate are the artifact's once finishQuantization has run.
  std::optional<slm::quant::QuantReport> report;
  /// The held-out windows the report and the gate score the artifact on.
  ScoredWindows heldOut;
  /// The teacher was run beside no student on the held-out windows (a large
  /// self-distilled model): the teacher's and float student's perplexities
  /// come from the artifact's scoring, which runs it.
  bool teacherFromArtifact = false;
  /// Set by finishQuantization: false when a gate (maxKl) was set and the
  /// artifact's held-out KL exceeds it.
  bool gatePassed = true;
  std::string gateMessage;
};

/// Quantizes `student`'s linear and embedding weights in place (they become
/// slm.dequantize of packed codes). With calibration text the outcome holds
/// the report, whose figures come from the reference executor (fake-quantized
/// weights) until the artifact is judged. Options the command line validated
/// are checked again, in the options' own terms.
llvm::Expected<QuantizeOutcome> quantizeStudent(mlir::ModuleOp student,
                                                const Tokenizer &tokenizer,
                                                const QuantizeOptions &options);

/// The artifact as it ships, scored on outcome.heldOut against the teacher
/// (`shipped`: W8A8, float storage and everything else the artifact does):
/// its figures become the report's final student and decide the gate, then
/// the reports asked for (JSON, SVG) are written. The caller prints the
/// summary (printReportTable) and keeps or drops the artifact.
llvm::Error finishQuantization(QuantizeOutcome &outcome, const PerplexityResult &shipped,
                               const QuantizeOptions &options);

} // namespace slmc
