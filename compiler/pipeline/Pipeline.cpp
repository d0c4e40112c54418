//===- Pipeline.cpp - the stages of slmc, as pass pipelines ---------------===//

#include "compiler/pipeline/Pipeline.h"

#include "compiler/support/AtomicFile.h"
#include "compiler/support/Error.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"


using namespace mlir;

namespace slmc {

void addOptimizePasses(OpPassManager &pm) {
  pm.addPass(createRefineShapes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFuseLinear());
  pm.addPass(createFuseActivations());
  pm.addPass(createFuseNorms());
  pm.addPass(createFuseRotary());
  pm.addPass(createFuseAttention());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createIntroduceKvCache());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createShareWeights());
  pm.addPass(createSinkConstants());
}

void addFusePasses(OpPassManager &pm) {
  pm.addPass(createFuseProjections());
  pm.addPass(createFuseGatedMlp());
  pm.addPass(createFuseResidualNorm());
  pm.addPass(createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSinkConstants());
}

void addPlanPasses(OpPassManager &pm, const PlanOptions &o) {
  if (o.int8KvCache)
    pm.addPass(createQuantizeKvCache());
  pm.addPass(createSpecializeShapes({o.maxContext}));
  pm.addPass(createSelectKernels({o.targetFeatures, o.w8a8}));
  pm.addPass(createLayoutWeights());
  pm.addPass(createPlanMemory({o.maxTokensPerCall}));
}

void addLowerPasses(OpPassManager &pm) {
  pm.addPass(createConvertSlmToLLVM());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void registerPipelines() {
  PassPipelineRegistration<>("slm-optimize",
                             "Imported graphs to slm's blocks and cached decoders",
                             addOptimizePasses);
  PassPipelineRegistration<>("slm-fuse", "slm blocks to fewer kernels", addFusePasses);
}

namespace {

/// Prints the module after every pass, to stderr or to numbered files.
class IrDumper : public PassInstrumentation {
public:
  IrDumper(StringRef stage, const IrDump &dump) : stage_(stage), dump_(dump) {}

  void runAfterPass(Pass *pass, Operation *op) override {
    dumpIr((stage_ + " " + pass->getArgument()).str(), llvm::cast<ModuleOp>(op), dump_);
  }

private:
  std::string stage_;
  IrDump dump_;
};

} // namespace

void dumpIr(StringRef step, ModuleOp module, const IrDump &dump) {
  OpPrintingFlags flags;
  flags.elideLargeResourceString();
  if (dump.printAfterAll) {
    llvm::errs() << "// -----// IR after " << step << " //----- //\n";
    module->print(llvm::errs(), flags);
    llvm::errs() << "\n";
  }
  if (!dump.directory.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(dump.directory)) {
      llvm::errs() << "slmc: warning: " << dump.directory
                   << ": cannot create the directory: " << ec.message() << "\n";
      return;
    }
    std::string name = step.str();
    std::replace(name.begin(), name.end(), ' ', '-');
    llvm::SmallString<256> path(dump.directory);
    llvm::sys::path::append(path, llvm::formatv("{0,0+2}-{1}.mlir", (*dump.counter)++, name).str());
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os, flags);
    if (llvm::Error error =
            writeFileAtomically(path, {llvm::ArrayRef<char>(text.data(), text.size())}))
      llvm::errs() << "slmc: warning: " << llvm::toString(std::move(error)) << "\n";
  }
}

llvm::Error runStage(StringRef stage, ModuleOp module, function_ref<void(OpPassManager &)> add,
                     const IrDump &dump) {
  PassManager pm(module.getContext());
  add(pm);
  if (dump.enabled())
    pm.addInstrumentation(std::make_unique<IrDumper>(stage, dump));
  std::string errors;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Remark) {
      llvm::errs() << "slmc: note: " << d << "\n";
      return success();
    }
    // A conversion pattern that says why it failed is followed by the
    // framework's "failed to legalize" for the same op: the first is the news.
    if (!errors.empty() && d.str().starts_with("failed to legalize"))
      return success();
    llvm::raw_string_ostream os(errors);
    if (!errors.empty())
      os << "\n";
    os << d.getLocation() << ": " << d;
    return success();
  });
  if (failed(pm.run(module)))
    return makeError("{0} failed: {1}", stage, errors);
  return llvm::Error::success();
}

} // namespace slmc
