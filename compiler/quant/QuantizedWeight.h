//===- QuantizedWeight.h - packed low-bit weight matrices -------*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/WeightFormat.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace slmc {

/// A [rows, columns] matrix in a #slm.weight_format: packed codes and f16
/// scales (and minimums), laid out as slm.dequantize reads them.
struct QuantizedWeight {
  slm::WeightFormat format;
  int64_t rows = 0, columns = 0;
  std::vector<uint8_t> codes;     // rows x format.packedRowBytes(columns)
  std::vector<uint16_t> scales;   // f16 bits, rows x format.groupsPerRow(columns)
  std::vector<uint16_t> minimums; // asymmetric formats only

  /// The weights it stands for, row-major.
  std::vector<float> dequantized() const;
};

/// Round-to-nearest quantization of row-major `weights`. `clip` in (0, 1]
/// shrinks every group's range before its scale is chosen (1: the full range;
/// outliers are then clamped).
QuantizedWeight quantizeRoundToNearest(llvm::ArrayRef<float> weights, int64_t rows,
                                       int64_t columns, slm::WeightFormat format,
                                       float clip = 1.0f);

/// Decodes rows of packed storage (the reference semantics of slm.dequantize).
void dequantizeRows(const slm::WeightFormat &format, int64_t rows, int64_t columns,
                    const uint8_t *codes, const uint16_t *scales, const uint16_t *minimums,
                    float *out);

/// IEEE half precision, rounding to nearest even.
uint16_t toHalf(float value);
float fromHalf(uint16_t bits);

} // namespace slmc
