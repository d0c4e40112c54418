//===- ImportContext.h - the MLIR context fuzzed importers share -*- C++ -*-===//
//
// One context for the whole fuzzing process, with every dialect loaded, as
// slmc imports; single-threaded (libFuzzer runs one input at a time).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/InitAll.h"

#include "mlir/IR/MLIRContext.h"

namespace slmc::fuzz {

inline mlir::MLIRContext &importContext() {
  static mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  static bool loaded = (slmc::loadAllDialects(context), true);
  (void)loaded;
  return context;
}

} // namespace slmc::fuzz
