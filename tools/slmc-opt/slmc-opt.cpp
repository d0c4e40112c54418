//===- slmc-opt.cpp - slmc's mlir-opt -------------------------------------===//
//
// Parses, verifies, transforms and prints IR with slmc's dialects and passes;
// the driver of the lit tests.
//
//===----------------------------------------------------------------------===//

#include "compiler/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  slmc::registerAllDialects(registry);
  slmc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "slmc IR optimizer driver\n", registry));
}
