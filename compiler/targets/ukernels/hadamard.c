/*===- hadamard.c - random Hadamard rotation of rows ---------------*- C -*-===*
 *
 * slm.hadamard: each block of a row becomes s * H (s * x) / sqrt(block), with
 * the arithmetic of the reference (compiler/quant/Hadamard.cpp) in the same
 * order, so the two agree bit for bit: signs, Sylvester butterflies for
 * h = 1, 2, 4, ... (the first four by shuffles within 16-float vectors), then
 * one multiply by sign / sqrt(block).
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_internal.h"

#include <math.h>

typedef struct {
  const float *x;
  const int8_t *signs;
  float *y;
  int64_t n, block;
} uk_hadamard_args;

/* One 16-float chunk through the butterflies h = 1, 2, 4, 8: lane i becomes
 * v[i ^ h] + v[i] where bit h of i is clear and v[i - h] - v[i] where it is
 * set, that is the partner plus v times +-1 (exact), so each lane's sum is
 * the scalar butterfly's, bit for bit. */
static inline void uk_hadamard16(uk_f32x16 *p) {
  uk_f32x16 v = *p;
  const uk_f32x16 s1 = {1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1};
  const uk_f32x16 s2 = {1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1};
  const uk_f32x16 s4 = {1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1};
  const uk_f32x16 s8 = {1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1};
  v = __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14) + v * s1;
  v = __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13) + v * s2;
  v = __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11) + v * s4;
  v = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7) + v * s8;
  *p = v;
}

static void uk_hadamard_range(void *arg, int64_t begin, int64_t end) {
  const uk_hadamard_args *a = (const uk_hadamard_args *)arg;
  int64_t n = a->n, block = a->block;
  const int8_t *restrict s = a->signs;
  const float norm = 1.0f / sqrtf((float)block);
  for (int64_t row = begin; row < end; ++row) {
    const float *restrict x = a->x + row * n;
    float *restrict y = a->y + row * n;
    for (int64_t c = 0; c < n; ++c)
      y[c] = x[c] * (float)s[c];
    int64_t h = 1;
    if (block % 16 == 0) { /* h = 1 .. 8 within each vector */
      for (int64_t c = 0; c < n; c += 16) {
        uk_f32x16 v;
        uk_load16(&v, y + c);
        uk_hadamard16(&v);
        memcpy(y + c, &v, sizeof v);
      }
      h = 16;
    }
    for (int64_t base = 0; base < n; base += block) {
      float *restrict b = y + base;
      for (int64_t stride = h; stride < block; stride *= 2)
        for (int64_t i = 0; i < block; i += 2 * stride)
          for (int64_t j = i; j < i + stride; ++j) {
            float u = b[j], v = b[j + stride];
            b[j] = u + v;
            b[j + stride] = u - v;
          }
    }
    for (int64_t c = 0; c < n; ++c)
      y[c] *= norm * (float)s[c];
  }
}

void slm_uk_hadamard(const slm_uk_ctx *ctx, const float *x, const int8_t *signs, float *y,
                     int64_t rows, int64_t n, int64_t block) {
  if (n <= 0 || block <= 0)
    return;
  int64_t log2_block = 0;
  while ((INT64_C(1) << log2_block) < block)
    ++log2_block;
  uk_hadamard_args a = {x, signs, y, n, block};
  uk_parallel(ctx, rows, uk_grain(n * (log2_block + 2)), uk_hadamard_range, &a);
}
