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
class WidenOp;

/// The slm.dequantize `weight` comes from, or null for float weights.
DequantizeOp dequantizedWeight(mlir::Value weight);

/// The slm.widen `weight` comes from (bf16 or f16 storage), or null.
WidenOp widenedWeight(mlir::Value weight);

/// The kernel that reads a float weight as it is stored: f32, bf16 or f16
/// (the storage of an slm.widen).
Kernel floatWeightKernel(mlir::Value weight);

/// Whether `use` is an slm.linear's weight.
bool isLinearWeight(mlir::OpOperand &use);
/// Whether `use` is an slm.linear's weight or an slm.embedding's table: the
/// operands whose kernel variant slm-select-kernels picks.
bool isWeightOperand(mlir::OpOperand &use);

/// Whether every reader of `storage` (an slm.dequantize or slm.widen) takes it
/// as an slm.linear weight or an slm.embedding table, the two ops code
/// generation fuses it into.
bool isFusable(mlir::Operation *storage);

/// A static f32 matrix held by an slm.constant, which slm-layout-weights can
/// store as the GEMM's panels (f32_panels).
bool hasPanelsKernel(mlir::Value weight);

/// 4-bit integer codes in groups of 32, 64 or 128 (slm_uk_linear_q4*).
bool hasInt4Kernel(const WeightFormat &format);
/// 4-bit codes in groups of 32, 64 or 128, integer or codebook: the AVX-512
/// table-lookup kernel (q4_avx512) reads both.
bool hasInt4TableKernel(const WeightFormat &format);
/// Codebook codes of 2 or 3 bits in groups of 32, 64 or 128: the AVX-512
/// table-lookup kernel (table_avx512).
bool hasSmallCodebookTableKernel(const WeightFormat &format);
/// Codebook codes of 2 to 4 bits in groups of 32, 64 or 128: the AVX2
/// table-lookup kernel (table_avx2).
bool hasCodebookTableKernel(const WeightFormat &format);
/// Integer codes of 5 to 7 bits, or asymmetric 8-bit ones, in groups of 32,
/// 64 or 128: the kernels for wide codes (wide_avx512, wide_avx2).
bool hasWideIntegerKernel(const WeightFormat &format);
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
