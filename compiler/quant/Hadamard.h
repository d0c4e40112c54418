//===- Hadamard.h - random Hadamard rotations for incoherence ---*- C++ -*-===//
//
// Incoherence processing (QuIP#, QuaRot): a linear's weight W becomes W R and
// its input x becomes x R for an orthogonal R, so x Wᵀ is unchanged while the
// rows the quantizer rounds have no outlying columns. R is block diagonal,
// each block diag(s) H diag(s) / sqrt(block) with H the Walsh–Hadamard matrix
// and s random signs: symmetric and orthogonal, hence its own inverse, and
// applied in block·log2(block) additions (slm.hadamard).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <vector>

namespace slmc {

/// The rotation block for rows of `columns` features: the largest power of
/// two that divides `columns`, at most kMaxHadamardBlock; 0 when that is
/// below kMinHadamardBlock (a rotation within 8 features does not spread a
/// quantization group's outliers).
inline constexpr int64_t kMinHadamardBlock = 16, kMaxHadamardBlock = 4096;
int64_t hadamardBlock(int64_t columns);

/// `columns` random signs (±1) from `seed`: the same for every call.
std::vector<int8_t> hadamardSigns(int64_t columns, uint64_t seed);

/// Each row of `columns` (a multiple of `block`, a power of two), block by
/// block: x <- s ⊙ H (s ⊙ x) / sqrt(block). Applied twice it gives x back
/// (up to rounding).
void rotateRowsHadamard(float *rows, int64_t count, int64_t columns, int64_t block,
                        const int8_t *signs);

} // namespace slmc
