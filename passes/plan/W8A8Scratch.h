//===- W8A8Scratch.h - the scratch of W8A8 linears --------------*- C++ -*-===//
//
// What memory planning and the micro-kernels agree on about the int8 copy of
// a W8A8 linear's input (slm_uk_w8a8_scratch_bytes).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "dialects/slm/IR/SlmOps.h"

namespace slmc {

/// The scratch bytes of `linear` (a W8A8 or W4A8 linear: symmetric 8-bit or
/// 4-bit codes) for `rows` rows of input.
int64_t w8a8ScratchBytes(slm::LinearOp linear, int64_t rows);

} // namespace slmc
