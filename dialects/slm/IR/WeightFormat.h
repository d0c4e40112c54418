//===- WeightFormat.h - the layout of quantized weights ---------*- C++ -*-===//
//
// Plain C++ (no MLIR) so that the dialect's attribute, the quantizer and the
// kernels share one definition of how codes and scales are laid out; see
// #slm.weight_format in SlmDialect.td.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace slm {

struct WeightFormat {
  unsigned bits = 4;
  int64_t group = 32; // 0: one group per row (per output channel)
  bool symmetric = true;
  /// Codes index a per-tensor table of 2^bits floats (w = table[code] *
  /// scale) instead of standing for integers; such formats have no minimums.
  bool codebook = false;

  int64_t groupSize(int64_t columns) const { return group == 0 ? columns : group; }
  int64_t groupsPerRow(int64_t columns) const {
    return group == 0 ? 1 : (columns + group - 1) / group;
  }
  /// Codes in a row, the last group padded to full size.
  int64_t paddedColumns(int64_t columns) const { return groupsPerRow(columns) * groupSize(columns); }
  int64_t packedRowBytes(int64_t columns) const { return (paddedColumns(columns) * bits + 7) / 8; }
  /// Entries of the codebook (0 for integer formats).
  int64_t codebookEntries() const { return codebook ? int64_t(1) << bits : 0; }
  /// Codes and f16 scales (and minimums, or the f32 codebook) of a rows x
  /// columns matrix.
  int64_t storageBits(int64_t rows, int64_t columns) const {
    return rows * (packedRowBytes(columns) * 8 + groupsPerRow(columns) * (symmetric ? 16 : 32)) +
           codebookEntries() * 32;
  }
  /// Whether codes are two's complement integers (symmetric integer formats).
  bool signedCodes() const { return symmetric && !codebook; }
  /// The code range: [-2^(b-1), 2^(b-1) - 1] for signed codes, [0, 2^b - 1]
  /// otherwise (asymmetric formats and codebook indices).
  int32_t minCode() const { return signedCodes() ? -(1 << (bits - 1)) : 0; }
  int32_t maxCode() const { return signedCodes() ? (1 << (bits - 1)) - 1 : (1 << bits) - 1; }
};

} // namespace slm
