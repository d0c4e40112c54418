//===- LoweringPatterns.h - slm ops -> micro-kernel calls -------*- C++ -*-===//
//
// The conversion patterns of convert-slm-to-llvm, one family per file. Each
// replaces one slm op (whose operands the type converter has turned into
// pointers) by calls of the kernels of compiler/targets/ukernels/slm_ukernels.h,
// and its results by pointers into the arena.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/lowering/KernelBuilder.h"

namespace slmc::lowering {

/// Tensors become pointers to their first element.
class TensorToPointerConverter : public mlir::TypeConverter {
public:
  explicit TensorToPointerConverter(mlir::MLIRContext *context);
};

void populateTransformerLowerings(mlir::RewritePatternSet &patterns,
                                  const mlir::TypeConverter &converter, const EntryState &entry);
void populateLinearLowerings(mlir::RewritePatternSet &patterns,
                                const mlir::TypeConverter &converter, const EntryState &entry);
void populateElementwiseLowerings(mlir::RewritePatternSet &patterns,
                                  const mlir::TypeConverter &converter, const EntryState &entry);
void populateDataLowerings(mlir::RewritePatternSet &patterns, const mlir::TypeConverter &converter,
                           const EntryState &entry);

} // namespace slmc::lowering
