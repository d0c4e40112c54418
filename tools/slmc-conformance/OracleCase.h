//===- OracleCase.h - a case for the ONNX Runtime oracle --------*- C++ -*-===//
//
// ONNX's expected outputs cover one set of inputs per case. For another
// oracle, slmc-conformance --oracle-dir writes each passing case with inputs
// of its own (the test's float inputs moved by a seeded random amount) and
// slmc's outputs for them; test/oracles/onnxruntime/compare_conformance.js
// runs ONNX Runtime on the same inputs and compares.
//
// DIR/CASE/case.json names the model, the inputs (graph input names) and each
// backend's outputs; every tensor is a raw little-endian file beside it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace slmc::conformance {

/// The test's inputs with every float moved by up to 0.25 (seeded by the
/// case): values ONNX's own data does not check.
std::vector<exec::Tensor> perturbedInputs(const std::vector<exec::Tensor> &inputs,
                                          llvm::StringRef caseName);

/// Writes DIR/CASE/case.json and the tensors.
llvm::Error writeOracleCase(llvm::StringRef dir, llvm::StringRef caseName,
                            llvm::StringRef modelPath, const std::vector<std::string> &inputNames,
                            const std::vector<exec::Tensor> &inputs,
                            const std::map<std::string, std::vector<exec::Tensor>> &outputs);

} // namespace slmc::conformance
