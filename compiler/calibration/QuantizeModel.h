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
  bool progress = true;             // a progress bar on stderr
};

struct QuantizeOutcome {
  std::string weightFormat; // recorded in the manifest: the scheme, or "auto (<bpw> bpw)"
  /// False when a gate (maxKl) was set and the held-out KL exceeds it.
  bool gatePassed = true;
  std::string gateMessage;
  /// What was measured and chosen; empty without calibration text (plain
  /// round-to-nearest measures nothing).
  std::optional<slm::quant::QuantReport> report;
};

/// Quantizes `student`'s linear and embedding weights in place (they become
/// slm.dequantize of packed codes) and writes the reports that were asked for
/// (JSON, SVG). The caller prints the summary (printReportTable). Options the
/// command line validated are checked again, in the options' own terms.
llvm::Expected<QuantizeOutcome> quantizeStudent(mlir::ModuleOp student,
                                                const Tokenizer &tokenizer,
                                                const QuantizeOptions &options);

} // namespace slmc
