//===- CompiledBackend.h - running a graph through slmc compile -*- C++ -*-===//
#pragma once

#include "compiler/codegen/CompiledModel.h"
#include "compiler/executor/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

struct slm_artifact;
struct slm_session;

namespace slmc::conformance {

/// A graph compiled into a temporary .slmpack and opened with the tiny
/// runtime, to run on any number of input sets.
class CompiledGraph {
public:
  /// Compiles `module` (consumed) for `target`. `notSupported()` says why
  /// when the code generator cannot compile it yet (an op without a
  /// micro-kernel, a dynamic shape); errors are failures of code that should
  /// have worked.
  static llvm::Expected<std::unique_ptr<CompiledGraph>> compile(mlir::ModuleOp module,
                                                                llvm::StringRef target);
  ~CompiledGraph();

  const std::string &notSupported() const { return notSupported_; }
  /// Runs the graph entry point on `inputs`, checked against its signature.
  llvm::Expected<std::vector<exec::Tensor>> run(const std::vector<exec::Tensor> &inputs);

private:
  CompiledGraph() = default;
  std::string notSupported_;
  std::string path_;
  CompiledModel compiled_;
  slm_artifact *artifact_ = nullptr;
  slm_session *session_ = nullptr;
};

} // namespace slmc::conformance
