//===- InitAll.cpp - every dialect and pass slmc uses ---------------------===//

#include "compiler/InitAll.h"

#include "dialects/slm/IR/SlmDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Transforms/Passes.h"

namespace slmc {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<slm::SlmDialect, mlir::func::FuncDialect>();
}

void registerAllPasses() {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
}

void loadAllDialects(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

} // namespace slmc
