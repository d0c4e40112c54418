//===- Pipeline.h - the stages of slmc, as pass pipelines -------*- C++ -*-===//
//
//   import -> optimize -> quantize -> fuse -> plan -> lower -> emit
//
// Importers (compiler/frontends) produce slm IR; `optimize` turns whatever
// graph an importer produced into slm's blocks (linear, norms, rotary,
// attention) and, for exported decoders, into a decoder step with a KV cache,
// so that every input format continues the same way. Calibration
// (compiler/calibration) quantizes weights; `fuse` merges blocks into fewer
// kernels; `plan` fixes shapes, kernels, weights and memory; `lower` produces
// LLVM IR, which compiler/codegen emits.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace slmc {

/// Where the IR goes after every pass, when asked for.
struct IrDump {
  bool printAfterAll = false; // to stderr
  std::string directory;      // one file per pass: NN-stage-pass.mlir
  /// Numbers the files in pipeline order; copies of a dump share it.
  std::shared_ptr<int> counter = std::make_shared<int>(0);
  bool enabled() const { return printAfterAll || !directory.empty(); }
};

struct PlanOptions {
  int64_t maxContext = 0;         // 0: the model's max_positions
  int64_t maxTokensPerCall = 64;  // prefill chunk
  std::string targetFeatures;     // LLVM's feature string of the target
  bool w8a8 = false;              // int8 activations for linears with 8-bit weights
  bool int8KvCache = false;       // the KV cache stored as int8
};

void addOptimizePasses(mlir::OpPassManager &pm);
void addFusePasses(mlir::OpPassManager &pm);
void addPlanPasses(mlir::OpPassManager &pm, const PlanOptions &options);
void addLowerPasses(mlir::OpPassManager &pm);

/// Registers the stages as named pipelines (slm-optimize, slm-fuse) for slmc-opt.
void registerPipelines();

/// Dumps `module` as it is after `step` (the import, which is no pass).
void dumpIr(llvm::StringRef step, mlir::ModuleOp module, const IrDump &dump);

/// Runs the passes `add` puts in a pass manager on `module` as stage `stage`.
/// Failures become one error with every diagnostic; remarks (why a graph stays
/// without KV cache) go to stderr as notes. `dump` prints the IR after every
/// pass.
llvm::Error runStage(llvm::StringRef stage, mlir::ModuleOp module,
                     llvm::function_ref<void(mlir::OpPassManager &)> add, const IrDump &dump);

} // namespace slmc
