//===- InitAll.h - every dialect and pass slmc uses -------------*- C++ -*-===//
//
// The one place that registers dialects and passes: it pulls in the heaviest
// MLIR headers, so it is kept to a single translation unit.
//
//===----------------------------------------------------------------------===//
#pragma once

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace slmc {

/// Adds every dialect that slmc's IR may contain.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every slmc pass and pipeline with the global pass registry.
void registerAllPasses();

/// A context with all of slmc's dialects loaded.
void loadAllDialects(mlir::MLIRContext &context);

} // namespace slmc
