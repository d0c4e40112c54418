//===- InitAll.cpp - every dialect and pass slmc uses ---------------------===//

#include "compiler/InitAll.h"

#include "dialects/slm/IR/SlmDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Transforms/Passes.h"
#include "compiler/pipeline/Pipeline.h"
#include "passes/Passes.h"

namespace slmc {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<slm::SlmDialect, mlir::func::FuncDialect, mlir::LLVM::LLVMDialect,
                  mlir::arith::ArithDialect, mlir::math::MathDialect>();
}

void registerAllPasses() {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerReconcileUnrealizedCastsPass();
  registerSlmcPasses();
  registerPipelines();
}

void loadAllDialects(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

} // namespace slmc
