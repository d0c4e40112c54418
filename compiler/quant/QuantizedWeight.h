//===- QuantizedWeight.h - packed low-bit weight matrices -------*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/WeightFormat.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace slmc {

/// A [rows, columns] matrix in a #slm.weight_format: packed codes and f16
/// scales (and minimums, or a codebook), laid out as slm.dequantize reads them.
struct GroupScale;

struct QuantizedWeight {
  slm::WeightFormat format;
  int64_t rows = 0, columns = 0;
  std::vector<uint8_t> codes;     // rows x format.packedRowBytes(columns)
  std::vector<uint16_t> scales;   // f16 bits, rows x format.groupsPerRow(columns)
  std::vector<uint16_t> minimums; // asymmetric formats only
  std::vector<float> codebook;    // codebook formats only: 2^bits ascending values

  /// Zero codes and scales for a rows x columns matrix in `format`.
  static QuantizedWeight allocate(slm::WeightFormat format, int64_t rows, int64_t columns);
  /// Stores group `group` of row `row`'s scale (and minimum).
  void setScale(int64_t row, int64_t group, const GroupScale &scale);
  uint8_t *row(int64_t r) { return codes.data() + r * format.packedRowBytes(columns); }

  /// The weights it stands for, row-major.
  std::vector<float> dequantized() const;
};

/// Round-to-nearest quantization of row-major `weights`. `clip` in (0, 1]
/// shrinks every group's range before its scale is chosen (1: the full range;
/// outliers are then clamped). Codebook formats take their table in
/// `codebook` (see Codebook.h), integer formats none.
QuantizedWeight quantizeRoundToNearest(llvm::ArrayRef<float> weights, int64_t rows,
                                       int64_t columns, slm::WeightFormat format,
                                       float clip = 1.0f, llvm::ArrayRef<float> codebook = {});

/// Round-to-nearest with each group's clip ratio chosen from `clipGrid` to
/// minimise sum_i importance[column i] * (w_i - decoded w_i)^2; `importance`
/// (one per column, e.g. the diagonal of the layer's input Hessian) may be
/// empty for plain squared error.
QuantizedWeight quantizeWithClipSearch(llvm::ArrayRef<float> weights, int64_t rows,
                                       int64_t columns, slm::WeightFormat format,
                                       llvm::ArrayRef<float> clipGrid,
                                       llvm::ArrayRef<double> importance = {},
                                       llvm::ArrayRef<float> codebook = {});

/// The importance-weighted squared error quantizeWithClipSearch leaves,
/// sum_i importance[column i] * (w_i - decoded w_i)^2, without packing codes.
/// With `maxWeights` > 0, rows evenly spaced to about that many weights are
/// rounded and their error scaled to all rows (an estimate: a 0.5B model's
/// embedding has 155M weights).
double clipSearchError(llvm::ArrayRef<float> weights, int64_t rows, int64_t columns,
                       slm::WeightFormat format, llvm::ArrayRef<float> clipGrid,
                       llvm::ArrayRef<double> importance = {},
                       llvm::ArrayRef<float> codebook = {}, int64_t maxWeights = 0);

/// Writes (over what was there) and reads single codes of a packed row (LSB
/// first).
void putCode(uint8_t *row, int64_t i, int32_t code, const slm::WeightFormat &format);
int32_t codeAt(const uint8_t *row, int64_t i, const slm::WeightFormat &format);

/// One group's scale and minimum (as stored: rounded to f16) for `n` values at
/// `w`, whose range is shrunk by `clip` in (0, 1]. With a codebook (which must
/// outlive it) the scale is the group's value of largest magnitude times
/// `clip`, signed so that this value falls on the codebook's longer side, and
/// codes are the nearest entries.
struct GroupScale {
  uint16_t scale = 0, minimum = 0; // f16 bits; minimum only for asymmetric formats
  float decodedScale = 0, decodedMinimum = 0, inverse = 0;
  llvm::ArrayRef<float> codebook;

  static GroupScale choose(const float *w, int64_t n, const slm::WeightFormat &format,
                           float clip, llvm::ArrayRef<float> codebook = {});
  /// The clip ratio of `clipGrid` whose scale minimises sum_i importance[i] *
  /// (w_i - decoded w_i)^2 (stored in `error` when given); a null
  /// `importance` weighs every value 1.
  static GroupScale search(const float *w, int64_t n, const slm::WeightFormat &format,
                           llvm::ArrayRef<float> clipGrid, const double *importance,
                           double *error = nullptr, llvm::ArrayRef<float> codebook = {});
  int32_t encode(float w, const slm::WeightFormat &format) const;
  float decode(int32_t code) const {
    return codebook.empty() ? code * decodedScale + decodedMinimum : codebook[code] * decodedScale;
  }
};

/// The index of the entry of ascending `codebook` nearest to `x` (the lower
/// one on a tie).
int32_t nearestEntry(llvm::ArrayRef<float> codebook, float x);

/// Decodes rows of packed storage (the reference semantics of slm.dequantize);
/// `minimums` only for asymmetric formats, `codebook` only for codebook ones.
void dequantizeRows(const slm::WeightFormat &format, int64_t rows, int64_t columns,
                    const uint8_t *codes, const uint16_t *scales, const uint16_t *minimums,
                    const float *codebook, float *out);

/// IEEE half precision, rounding to nearest even.
uint16_t toHalf(float value);
float fromHalf(uint16_t bits);

} // namespace slmc
