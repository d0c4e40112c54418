//===- KernelVariants.h - what each #slm.kernel accepts ---------*- C++ -*-===//
//
// slm-select-kernels picks a micro-kernel variant per slm.linear and
// slm.embedding; the verifier checks the pick against these rules, so that the
// lowering can call the variant without checking again.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "dialects/slm/IR/SlmDialect.h"

namespace slm {

class DequantizeOp;

/// The slm.dequantize `weight` comes from, or null for float weights.
DequantizeOp dequantizedWeight(mlir::Value weight);

/// Whether every reader of `dequantize` takes it as an slm.linear weight or an
/// slm.embedding table, the two ops code generation fuses it into.
bool isFusable(DequantizeOp dequantize);

/// 4-bit codes in groups of 32, 64 or 128 (slm_uk_linear_q4*).
bool hasInt4Kernel(const WeightFormat &format);
/// Symmetric 8-bit codes per channel or in groups of a multiple of 32
/// (slm_uk_linear_q8 and the W8A8 kernels).
bool hasInt8Kernel(const WeightFormat &format);

/// Symmetric 4-bit codes in groups of 32, 64 or 128 (the W4A8 kernels).
bool hasInt4ActivationKernel(const WeightFormat &format);

/// Whether the variant quantizes activations into arena scratch.
bool kernelNeedsScratch(Kernel kernel);

/// Checks that `op` (an slm.linear or slm.embedding) can call `kernel`.
mlir::LogicalResult verifyKernelChoice(mlir::Operation *op, Kernel kernel);

} // namespace slm
