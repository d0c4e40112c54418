//===- ReportWriter.h - the quantization report as JSON, table and chart -*- C++ -*-===//
#pragma once

#include "compiler/calibration/QuantReport.pb.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc {

/// A number as the user typed it: 0.001, not 0.00 (formatv's default).
std::string shortestDecimal(double value);

/// proto3 JSON with the .proto's field names (64-bit integers as strings, as
/// the JSON mapping prescribes), written atomically.
llvm::Error writeReportJson(const slm::quant::QuantReport &report, llvm::StringRef path);

/// Per tensor: format, bits per weight, ΔKL, RTN ΔKL, rounding; then the
/// summary of teacher, float, RTN and final student, and the gate.
void printReportTable(const slm::quant::QuantReport &report, llvm::raw_ostream &os);

/// Two panels over the tensors in program order, grouped by layer: bits per
/// weight as bars, ΔKL (log scale) of the chosen rounding and of RTN as dots.
llvm::Error writeReportSvg(const slm::quant::QuantReport &report, llvm::StringRef path);

} // namespace slmc
