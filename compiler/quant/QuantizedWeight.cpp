//===- QuantizedWeight.cpp - packed low-bit weight matrices ---------------===//

#include "compiler/quant/QuantizedWeight.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace slmc {

int32_t codeAt(const uint8_t *row, int64_t i, const slm::WeightFormat &format) {
  int64_t bit = i * format.bits;
  uint32_t window = row[bit / 8];
  if (bit % 8 + format.bits > 8) // the code straddles two bytes (never more: bits <= 8)
    window |= static_cast<uint32_t>(row[bit / 8 + 1]) << 8;
  uint32_t code = (window >> (bit % 8)) & ((1u << format.bits) - 1);
  if (format.signedCodes() && (code >> (format.bits - 1)))
    return static_cast<int32_t>(code) - (1 << format.bits);
  return static_cast<int32_t>(code);
}

void putCode(uint8_t *row, int64_t i, int32_t code, const slm::WeightFormat &format) {
  uint32_t bits = static_cast<uint32_t>(code) & ((1u << format.bits) - 1);
  int64_t bit = i * format.bits;
  for (unsigned b = 0; b < format.bits; ++b, ++bit) {
    uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
    row[bit / 8] = (bits >> b & 1) ? row[bit / 8] | mask : row[bit / 8] & ~mask;
  }
}

uint16_t toHalf(float value) {
  _Float16 half = static_cast<_Float16>(value);
  uint16_t bits;
  std::memcpy(&bits, &half, 2);
  return bits;
}

float fromHalf(uint16_t bits) {
  _Float16 half;
  std::memcpy(&half, &bits, 2);
  return static_cast<float>(half);
}

void dequantizeRows(const slm::WeightFormat &format, int64_t rows, int64_t columns,
                    const uint8_t *codes, const uint16_t *scales, const uint16_t *minimums,
                    const float *codebook, float *out) {
  int64_t groups = format.groupsPerRow(columns), size = format.groupSize(columns);
  int64_t rowBytes = format.packedRowBytes(columns);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *row = codes + r * rowBytes;
    for (int64_t c = 0; c < columns; ++c) {
      int64_t g = r * groups + c / size;
      int32_t code = codeAt(row, c, format);
      float value = (codebook ? codebook[code] : static_cast<float>(code)) * fromHalf(scales[g]);
      out[r * columns + c] = format.symmetric ? value : value + fromHalf(minimums[g]);
    }
  }
}

int32_t nearestEntry(llvm::ArrayRef<float> codebook, float x) {
  // Entries ascend: the index is the number of midpoints below x.
  int32_t index = 0;
  for (size_t i = 0; i + 1 < codebook.size(); ++i)
    index += x > 0.5f * (codebook[i] + codebook[i + 1]);
  return index;
}

GroupScale GroupScale::choose(const float *w, int64_t n, const slm::WeightFormat &format,
                              float clip, llvm::ArrayRef<float> codebook) {
  GroupScale g;
  g.codebook = codebook;
  float scale, minimum = 0;
  if (!codebook.empty()) {
    // Entries are fractions of the group's value of largest magnitude (shrunk
    // by clip), which maps to the codebook's longer side, as the integer
    // formats map it to their most negative code: the scale's sign is chosen
    // for that, its size does not depend on the entries.
    float extreme = 0;
    for (int64_t i = 0; i < n; ++i)
      if (std::fabs(w[i]) > std::fabs(extreme))
        extreme = w[i];
    bool longerNegative = -codebook.front() >= codebook.back();
    scale = (longerNegative ? -extreme : extreme) * clip;
  } else if (format.symmetric) {
    // The value of largest magnitude maps to the most negative code, as
    // llama.cpp's Q4_0 does: one more level than mapping |max| to maxCode.
    float extreme = 0;
    for (int64_t i = 0; i < n; ++i)
      if (std::fabs(w[i]) > std::fabs(extreme))
        extreme = w[i];
    scale = extreme * clip / static_cast<float>(format.minCode());
  } else {
    auto [lo, hi] = std::minmax_element(w, w + n);
    float mid = (*lo + *hi) / 2, half = (*hi - *lo) / 2 * clip;
    minimum = mid - half;
    scale = 2 * half / static_cast<float>(format.maxCode());
    g.minimum = toHalf(minimum);
    g.decodedMinimum = fromHalf(g.minimum);
  }
  g.scale = toHalf(scale);
  // Codes are chosen against the stored (f16) scale so that decoding agrees.
  g.decodedScale = fromHalf(g.scale);
  g.inverse = g.decodedScale != 0 ? 1.0f / g.decodedScale : 0.0f;
  return g;
}

int32_t GroupScale::encode(float w, const slm::WeightFormat &format) const {
  if (!codebook.empty())
    return nearestEntry(codebook, w * inverse);
  int32_t code = static_cast<int32_t>(std::nearbyint((w - decodedMinimum) * inverse));
  return std::clamp(code, format.minCode(), format.maxCode());
}

GroupScale GroupScale::search(const float *w, int64_t n, const slm::WeightFormat &format,
                              llvm::ArrayRef<float> clipGrid, const double *importance,
                              double *errorOut, llvm::ArrayRef<float> codebook) {
  GroupScale best;
  double bestError = INFINITY;
  for (float clip : clipGrid) {
    GroupScale candidate = choose(w, n, format, clip, codebook);
    double error = 0;
    for (int64_t i = 0; i < n; ++i) {
      double d = w[i] - candidate.decode(candidate.encode(w[i], format));
      error += d * d * (importance ? importance[i] : 1.0);
    }
    if (error < bestError) {
      bestError = error;
      best = candidate;
    }
  }
  if (errorOut)
    *errorOut = bestError;
  return best;
}

QuantizedWeight QuantizedWeight::allocate(slm::WeightFormat format, int64_t rows,
                                          int64_t columns) {
  QuantizedWeight q;
  q.format = format;
  q.rows = rows;
  q.columns = columns;
  int64_t groups = format.groupsPerRow(columns);
  q.codes.assign(rows * format.packedRowBytes(columns), 0);
  q.scales.assign(rows * groups, 0);
  if (!format.symmetric)
    q.minimums.assign(rows * groups, 0);
  return q;
}

void QuantizedWeight::setScale(int64_t row, int64_t group, const GroupScale &scale) {
  int64_t at = row * format.groupsPerRow(columns) + group;
  scales[at] = scale.scale;
  if (!format.symmetric)
    minimums[at] = scale.minimum;
}

QuantizedWeight quantizeWithClipSearch(llvm::ArrayRef<float> weights, int64_t rows,
                                       int64_t columns, slm::WeightFormat format,
                                       llvm::ArrayRef<float> clipGrid,
                                       llvm::ArrayRef<double> importance,
                                       llvm::ArrayRef<float> codebook) {
  QuantizedWeight q = QuantizedWeight::allocate(format, rows, columns);
  q.codebook.assign(codebook.begin(), codebook.end());
  int64_t groups = format.groupsPerRow(columns), size = format.groupSize(columns);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float *w = weights.data() + r * columns + g * size;
      int64_t n = std::min(size, columns - g * size);
      GroupScale best = GroupScale::search(
          w, n, format, clipGrid, importance.empty() ? nullptr : &importance[g * size], nullptr,
          codebook);
      q.setScale(r, g, best);
      for (int64_t i = 0; i < n; ++i)
        putCode(q.row(r), g * size + i, best.encode(w[i], format), format);
    }
  return q;
}

double clipSearchError(llvm::ArrayRef<float> weights, int64_t rows, int64_t columns,
                       slm::WeightFormat format, llvm::ArrayRef<float> clipGrid,
                       llvm::ArrayRef<double> importance, llvm::ArrayRef<float> codebook,
                       int64_t maxWeights) {
  int64_t groups = format.groupsPerRow(columns), size = format.groupSize(columns);
  int64_t stride = maxWeights > 0 ? std::max<int64_t>(1, rows * columns / maxWeights) : 1;
  int64_t sampled = 0;
  double total = 0;
  for (int64_t r = 0; r < rows; r += stride, ++sampled)
    for (int64_t g = 0; g < groups; ++g) {
      double error = 0;
      GroupScale::search(weights.data() + r * columns + g * size,
                         std::min(size, columns - g * size), format, clipGrid,
                         importance.empty() ? nullptr : &importance[g * size], &error,
                         codebook);
      total += error;
    }
  return total * static_cast<double>(rows) / static_cast<double>(sampled);
}

QuantizedWeight quantizeRoundToNearest(llvm::ArrayRef<float> weights, int64_t rows,
                                       int64_t columns, slm::WeightFormat format, float clip,
                                       llvm::ArrayRef<float> codebook) {
  return quantizeWithClipSearch(weights, rows, columns, format, {clip}, {}, codebook);
}

std::vector<float> QuantizedWeight::dequantized() const {
  std::vector<float> out(rows * columns);
  dequantizeRows(format, rows, columns, codes.data(), scales.data(),
                 minimums.empty() ? nullptr : minimums.data(),
                 codebook.empty() ? nullptr : codebook.data(), out.data());
  return out;
}

} // namespace slmc
