/*===- uk_qlinear.h - what the quantized linear kernels share ------*- C -*-===*
 *
 * Private to compiler/targets/ukernels: the arguments of a linear on packed
 * weights (uk_quant.h), its prefill (the GEMM of uk_gemm.h on panels decoded
 * onto the stack) and the split between decode kernels and the GEMM.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UK_QLINEAR_H
#define SLM_UK_QLINEAR_H

#include "compiler/targets/ukernels/uk_gemm.h"
#include "compiler/targets/ukernels/uk_quant.h"

/* Rows of w (output columns) a decode step reads together: the four rows
 * uk_rows_in_four_parts hands it, one from each part of a task. */
#define UK_QCOLS 4
#define UK_QBLOCK 32 /* codes the fast decode kernels decode at once: two vectors */

typedef struct {
  const float *x;
  uk_qmatrix w;
  const float *bias;
  float *y;
  int64_t m, n;
} uk_qlinear_args;

/* A GEMM panel decoded from the packed rows (see uk_panel_fill_fn). */
static inline const float *uk_fill_panel_quantized(const void *weights, float *panel,
                                                   int64_t j0, int64_t nr, int64_t kb,
                                                   int64_t kc) {
  const uk_qmatrix *w = (const uk_qmatrix *)weights;
  float rows[UK_NR][UK_KC];
  for (int64_t l = 0; l < nr; ++l)
    uk_dequantize_segment(w, j0 + l, kb, kc, rows[l]);
  uk_panel_from_rows(&rows[0][0], UK_KC, nr, kc, panel);
  return panel;
}

/* The UK_QCOLS rows a decode step computes from the `count` rows of w that
 * uk_rows_in_four_parts hands it (UK_QCOLS, or 1 for a leftover row, which
 * then fills every lane; only the first `count` are written). */
static inline void uk_qcols_rows(const int64_t *rows, int count, int64_t row[UK_QCOLS]) {
  for (int c = 0; c < UK_QCOLS; ++c)
    row[c] = rows[c < count ? c : 0];
}

/* uk_qcols_rows, and where each of those rows' codes start. */
static inline void uk_qcols_code_rows(const uk_qmatrix *w, const int64_t *rows, int count,
                                      int64_t row[UK_QCOLS], const uint8_t *codes[UK_QCOLS]) {
  uk_qcols_rows(rows, count, row);
  for (int c = 0; c < UK_QCOLS; ++c)
    codes[c] = w->codes + row[c] * w->row_bytes;
}

/* x's last, partial block of UK_QBLOCK columns for rows [0, rows), zero-padded. */
static inline void uk_qlinear_x_tail(const uk_qlinear_args *a, int rows,
                                     float tail[][UK_QBLOCK]) {
  int64_t k = a->w.k, start = k / UK_QBLOCK * UK_QBLOCK;
  for (int i = 0; i < rows; ++i)
    for (int64_t l = 0; l < UK_QBLOCK; ++l)
      tail[i][l] = start + l < k ? a->x[i * k + start + l] : 0.0f;
}

/* Runs `ranges[m - 1]` over the rows of w (output columns) when m <
 * UK_DOT_MAX_M (decode), or the GEMM on decoded panels. */
static inline void uk_quantized_linear(const slm_uk_ctx *ctx, const uk_qlinear_args *a,
                                       const uk_range_fn ranges[UK_DOT_MAX_M - 1]) {
  if (a->m < UK_DOT_MAX_M) {
    uk_parallel(ctx, a->n, uk_stream_grain(a->m, a->m * a->w.k, a->w.row_bytes), ranges[a->m - 1],
                (void *)a);
  } else {
    uk_gemm_args g = {a->x, &a->w, uk_fill_panel_quantized, a->bias, a->y, a->m, a->n, a->w.k};
    uk_gemm(ctx, &g);
  }
}

/* Runs `range` (a one-row decode over rows of w) for each row
 * of x in turn when m < UK_DOT_MAX_M (m > 1 is a prefill's last few tokens),
 * or the GEMM on decoded panels: the kernels that decode one row of x at a
 * time. */
static inline void uk_quantized_linear_by_rows(const slm_uk_ctx *ctx, const uk_qlinear_args *a,
                                               uk_range_fn range) {
  if (a->m >= UK_DOT_MAX_M) {
    uk_quantized_linear(ctx, a, NULL);
    return;
  }
  for (int64_t i = 0; i < a->m; ++i) {
    uk_qlinear_args row = *a;
    row.x = a->x + i * a->w.k;
    row.y = a->y + i * a->n;
    row.m = 1;
    uk_parallel(ctx, a->n, uk_stream_grain(1, a->w.k, a->w.row_bytes), range, &row);
  }
}

/*===--- one-row 4- and 8-bit decode with x in the codes' lane order ------===*/

/* A 4-bit decode chunk: the 128 codes one 64-byte load brings (two 32-byte
 * ones on AVX2), eight to a 32-bit lane (lane l holds codes 8l .. 8l + 7,
 * nibble j being code 8l + j). */
#define UK_CHUNK 128

#define UK_NIBBLE_MAX_K 16384 /* x in nibble order lives on the caller's stack */

/* A one-row decode over codes packed several to a 32-bit lane (8 nibbles,
 * 4 bytes), with x put in the lanes' order once per call (uk_lane_order_x). */
typedef struct {
  const uk_qlinear_args *a;
  const float *x;    /* a->x in the lanes' order, zero past k */
  const float *sums; /* sums[16 c + l]: the x of lane l of chunk c */
} uk_lane_args;

/* x in the order of codes packed `per_lane` to a 32-bit lane (8 nibbles or
 * 4 bytes: chunks of 16 * per_lane codes): out[c * chunk + 16 j + l] =
 * x[c * chunk + per_lane * l + j], zero past k; sums[16 c + l] = the sum over
 * j of those. */
static inline void uk_lane_order_x(const float *x, int64_t k, int per_lane, float *out,
                                   float *sums) {
  int64_t chunk = 16 * per_lane, chunks = (k + chunk - 1) / chunk;
  for (int64_t c = 0; c < chunks; ++c)
    for (int l = 0; l < 16; ++l) {
      float sum = 0.0f;
      for (int j = 0; j < per_lane; ++j) {
        int64_t p = c * chunk + per_lane * l + j;
        out[c * chunk + 16 * j + l] = p < k ? x[p] : 0.0f;
        sum += out[c * chunk + 16 * j + l];
      }
      sums[16 * c + l] = sum;
    }
}

/* Runs `range` (a one-row decode over rows of w, taking uk_lane_args) with x
 * put on the stack in the order of codes packed `per_lane` (8 or 4) to a
 * 32-bit lane; a->m is 1 and a->w.k at most UK_NIBBLE_MAX_K. */
static inline void uk_lane_ordered_decode(const slm_uk_ctx *ctx, const uk_qlinear_args *a,
                                          int per_lane, uk_range_fn range) {
  float ordered[UK_NIBBLE_MAX_K] __attribute__((aligned(64)));
  float sums[UK_NIBBLE_MAX_K / 4] __attribute__((aligned(64)));
  uk_lane_order_x(a->x, a->w.k, per_lane, ordered, sums);
  uk_lane_args t = {a, ordered, sums};
  uk_parallel(ctx, a->n, uk_stream_grain(1, a->w.k, a->w.row_bytes), range, &t);
}

/*===--- 5- to 8-bit integer codes, one row of x ---------------------------===*/

/* Codes of `bits` bits are packed 16 to 2 * bits bytes (uk_quant.h); the
 * wide decodes (slm_uk_linear_wide_avx512, _wide_avx2) read a block of
 * UK_QBLOCK codes as two such windows of 16 codes. */

/* Whether the 16-byte loads of block b's two halves would pass the row's end. */
static inline int uk_block_needs_mask(const uk_qmatrix *w, int64_t b, const int BITS) {
  return b * (UK_QBLOCK * BITS / 8) + 2 * BITS + 16 > w->row_bytes;
}

/* A one-row decode of wide codes, with the sums of x per group and lane
 * (uk_wide_x). */
typedef struct {
  const uk_qlinear_args *a;
  const float *x;    /* 32 floats per block, zero past k */
  const float *sums; /* sums[16 g + l]: lanes l of the group's blocks' two halves */
} uk_wide_args;

/* x padded with zeros to whole groups (`out`), and the sums of each group's
 * lanes: sums[16 g + l] = the sum over the group's blocks of x[32 b + l] and
 * x[32 b + 16 + l]. */
static inline void uk_wide_x(const float *x, int64_t k, int64_t group, int64_t groups,
                             float *out, float *sums) {
  for (int64_t g = 0; g < groups; ++g)
    for (int l = 0; l < 16; ++l) {
      float sum = 0.0f;
      for (int64_t p = g * group + l; p < (g + 1) * group; p += 16) {
        out[p] = p < k ? x[p] : 0.0f;
        sum += out[p];
      }
      sums[16 * g + l] = sum;
    }
}

/* A linear on 5- to 8-bit integer codes in groups (a->w) by a wide decode:
 * `symmetric[bits - 5]` or `asymmetric[bits - 5]` (one-row decodes over rows
 * of w, taking uk_wide_args) for each row of x in turn, with x padded and
 * summed on the stack; prefill and rows longer than UK_NIBBLE_MAX_K are
 * slm_uk_linear_qany's. */
static inline void uk_wide_linear(const slm_uk_ctx *ctx, const uk_qlinear_args *a,
                                  const uk_range_fn symmetric[3],
                                  const uk_range_fn asymmetric[4]) {
  const uk_qmatrix *w = &a->w;
  if (a->m >= UK_DOT_MAX_M || w->groups * w->group > UK_NIBBLE_MAX_K) {
    slm_uk_linear_qany(ctx, a->x, w->codes, w->scales, w->minimums, NULL, a->bias, a->y, a->m,
                       a->n, w->k, w->bits, w->group);
    return;
  }
  uk_range_fn range = w->minimums ? asymmetric[w->bits - 5] : symmetric[w->bits - 5];
  float padded[UK_NIBBLE_MAX_K] __attribute__((aligned(64)));
  float sums[UK_NIBBLE_MAX_K / 2] __attribute__((aligned(64)));
  int64_t k = a->w.k;
  for (int64_t i = 0; i < a->m; ++i) {
    uk_qlinear_args one = *a;
    one.x = a->x + i * k;
    one.y = a->y + i * a->n;
    one.m = 1;
    uk_wide_x(one.x, k, a->w.group, a->w.groups, padded, sums);
    uk_wide_args t = {&one, padded, sums};
    uk_parallel(ctx, a->n, uk_stream_grain(1, k, a->w.row_bytes), range, &t);
  }
}

/*===--- x as int8 digits, for integer dot products ----------------------===*/

/* The decodes by integer dot products (slm_uk_linear_q4_vnni, _q8_vnni,
 * _q4_avx2) carry each x as three int8 digits on a scale s of its lane's
 * own, s = max |x| / 127 over the lane's x:
 *   x = s (d0 + d1 / 128 + d2 / 128^2 + e),   |e| <= 1/2 / 128^2,
 * within 2^-22 of the lane's largest, about the float kernels' rounding. */
#define UK_DIGITS 3
#define UK_DIGIT_BASE 128.0

/* x as digits in the codes' order. 4-bit codes, per chunk of UK_CHUNK codes:
 * digits[(chunk * UK_DIGITS + d) * 2 + h][4 l + i] is digit d of code
 * 8 l + 2 i + h of the chunk (h = 0: the low nibbles of the chunk's bytes,
 * 1: the high ones), so a dot product of a nibble half with a digit vector
 * sums each lane's codes; unit[16 chunk + l] = s / 128^2 of lane l,
 * sums[16 chunk + l] = the sum of its eight x. 8-bit codes, per chunk of 64
 * codes: digits[chunk * UK_DIGITS + d][4 l + i] is digit d of code 4 l + i,
 * four x to a lane and its scale. Zero past k. */
typedef struct {
  const uk_qlinear_args *a;
  const int8_t (*digits)[64];
  const float *unit;
  const float *sums;
} uk_digit_args;

#endif /* SLM_UK_QLINEAR_H */
