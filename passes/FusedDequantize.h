//===- FusedDequantize.h - slm.dequantize as its readers see it -*- C++ -*-===//
//
// Code generation never materializes an slm.dequantize: the linear and
// embedding ops that read its result read the packed codes directly (see
// convert-slm-to-llvm). What memory planning and the lowering must agree on
// lives here.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "dialects/slm/IR/SlmOps.h"

namespace slmc {

/// The slm.dequantize `weight` comes from, or null for float weights.
slm::DequantizeOp dequantizedWeight(mlir::Value weight);

/// Whether every reader of `dequantize` takes it as an slm.linear weight or an
/// slm.embedding table, the two ops the code generator fuses it into.
bool isFusable(slm::DequantizeOp dequantize);

/// Whether the int8 kernels (slm_uk_linear_q8 and the W8A8 ones) take this
/// format: symmetric 8-bit codes, per channel or in groups of a multiple of 32.
bool hasInt8Kernel(const slm::WeightFormat &format);

/// The W8A8 scratch bytes of `linear` (a linear with such a weight) for
/// `rows` rows of input.
int64_t w8a8ScratchBytes(slm::LinearOp linear, int64_t rows);

} // namespace slmc
