//===- CompiledBackend.h - running a graph through slmc compile -*- C++ -*-===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace slmc::conformance {

/// What happened to a graph on the compiled path.
struct CompiledRun {
  /// Set when the code generator cannot compile the graph yet (an op without
  /// a micro-kernel, a dynamic shape); the outputs are then empty.
  std::string notSupported;
  std::vector<exec::Tensor> outputs;
};

/// Compiles `module` (consumed) for `target` into a temporary .slmpack, opens
/// it with the tiny runtime and runs its graph entry point on `inputs`.
/// Errors are failures of code that should have worked.
llvm::Expected<CompiledRun> runCompiled(mlir::ModuleOp module, llvm::StringRef target,
                                        const std::vector<exec::Tensor> &inputs);

} // namespace slmc::conformance
