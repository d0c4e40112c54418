//===- Hadamard.cpp - random Hadamard rotations for incoherence -----------===//

#include "compiler/quant/Hadamard.h"

#include <cmath>
#include <random>

namespace slmc {

int64_t hadamardBlock(int64_t columns) {
  if (columns <= 0)
    return 0;
  int64_t block = columns & -columns; // the largest power of two dividing it
  block = block > kMaxHadamardBlock ? kMaxHadamardBlock : block;
  return block < kMinHadamardBlock ? 0 : block;
}

std::vector<int8_t> hadamardSigns(int64_t columns, uint64_t seed) {
  // mt19937_64's output sequence is fixed by the C++ standard, so the signs
  // (and the weights rotated with them) are the same on every platform.
  std::mt19937_64 generator(seed);
  std::vector<int8_t> signs(columns);
  for (int8_t &s : signs)
    s = (generator() >> 63) ? int8_t(-1) : int8_t(1);
  return signs;
}

void rotateRowsHadamard(float *rows, int64_t count, int64_t columns, int64_t block,
                        const int8_t *signs) {
  const float norm = 1.0f / std::sqrt(static_cast<float>(block));
  for (int64_t r = 0; r < count; ++r) {
    float *row = rows + r * columns;
    for (int64_t c = 0; c < columns; ++c)
      row[c] *= signs[c];
    for (int64_t base = 0; base < columns; base += block) {
      float *x = row + base;
      // Sylvester's butterflies: pairs (i, i + h) for h = 1, 2, 4, ...
      for (int64_t h = 1; h < block; h *= 2)
        for (int64_t i = 0; i < block; i += 2 * h)
          for (int64_t j = i; j < i + h; ++j) {
            float a = x[j], b = x[j + h];
            x[j] = a + b;
            x[j + h] = a - b;
          }
    }
    for (int64_t c = 0; c < columns; ++c)
      row[c] *= norm * signs[c];
  }
}

} // namespace slmc
