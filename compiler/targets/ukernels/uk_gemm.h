/*===- uk_gemm.h - the register-tiled outer-product GEMM ----------*- C -*-===*
 *
 * Private to compiler/targets/ukernels, shared by the f32 and the quantized
 * linear kernels and by matmul. A tile of UK_MR rows by UK_NR columns of y is
 * accumulated as y[i, j..j+16] += x[i, p] * B[p, j..j+16] over p, B being a
 * panel of UK_KC rows of the weights, transposed (w^T), that the caller's
 * `fill` writes onto the stack (f32 weights copied, quantized ones decoded) or
 * finds in place (weights stored as panels: slm_uk_linear_panels).
 * Every y element is summed over p in order 0..k-1, one fused multiply-add
 * per term (the micro-kernels are built without contraction, so the fma is
 * written out: FMA-bound, twice the mul + add throughput; 50 -> 60-72 GFLOP/s
 * on a 0.5B model's linears at M = 128 on one Zen 4 core), whatever tile or
 * task computes it, and the panel holds the same floats whatever the weights'
 * storage, so a quantized linear equals the f32 one on its decoded weights.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UK_GEMM_H
#define SLM_UK_GEMM_H

#include "compiler/targets/ukernels/uk_internal.h"

#define UK_NR 16           /* columns of a tile (one zmm, two ymm) */
#define UK_MR 6            /* rows of a full tile */
#define UK_KC 256          /* rows of a packed panel: UK_KC * UK_NR floats = 16 KiB */
/* Rows of y per task item. Every item fills its own panels, so a block of
 * rows is the number of rows that share one fill: 96 cut a 128-token prefill
 * into 96 + 32 rows and filled every panel twice; 128 took a 0.5B model's
 * linears at M = 128 from 130-143 to 140-160 GFLOP/s (f32) and from 114-126
 * to 135-155 (int4 panels) on one Xeon core (three interleaved rounds), and
 * 128 rows of x by a panel's columns (128 KiB) still sit in the L2. */
#define UK_MC 128
/* A linear with fewer rows of x (decode) takes dot products instead: the
 * weights are then read once per call, and a panel would cost more to fill
 * than the few rows that use it. */
#define UK_DOT_MAX_M 4

/* Handles the linears with nothing to multiply (y is the bias when k <= 0)
 * and says whether it did: every linear kernel starts with it. */
static inline int uk_linear_trivial(const float *bias, float *y, int64_t m, int64_t n,
                                    int64_t k) {
  if (m <= 0 || n <= 0)
    return 1;
  if (k > 0)
    return 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      y[i * n + j] = bias ? 0.0f + bias[j] : 0.0f;
  return 1;
}

/* Rows of w per task for a linear with m rows of x that costs `cost_per_row`
 * and reads `row_bytes` of weights per row of w: uk_grain's, or for a decode
 * (m < UK_DOT_MAX_M: GEMVs, bound by memory) enough rows for
 * UK_STREAM_TASK_BYTES, whichever is more. A task reads its rows as four
 * streams (uk_rows_in_four_parts); with uk_grain's tasks those streams were a
 * few KB long and each started cold: a 0.5B model's int4 decode ran at 22
 * tokens/s on one EPYC core with them, 42 with tasks of 256 KB. */
#define UK_STREAM_TASK_BYTES (256 * 1024)
static inline int64_t uk_stream_grain(int64_t m, int64_t cost_per_row, int64_t row_bytes) {
  int64_t grain = uk_grain(cost_per_row);
  if (m >= UK_DOT_MAX_M)
    return grain;
  int64_t streaming = UK_STREAM_TASK_BYTES / (row_bytes > 0 ? row_bytes : 1);
  return grain > streaming ? grain : streaming;
}

/* How far ahead of its loads each of a decode kernel's four row streams
 * prefetches: the hardware's prefetchers alone left the 78 MB int4 head of a
 * 0.5B model at 8 GB/s on one EPYC core; 1 KB ahead, 15.6 (512 B: 13.9, 2 KB:
 * 12.8). */
#define UK_PREFETCH_BYTES 1024
#define UK_PREFETCH_AHEAD(p) __builtin_prefetch((const char *)(p) + UK_PREFETCH_BYTES)

/* And a grouped matrix's scales (their own array, 64 bytes per 1024 int4
 * codes in groups of 32), those of the row four ahead in the stream, from
 * group g: on one EPYC core the int4-g32 head of a 0.5B model (87.5 MB) took
 * 4.1 ms with the prefetchers alone and 3.4 ms with this, W4A8's 3.2 and 2.6
 * (medians of eight interleaved runs; eight rows ahead did no better), while
 * layer shapes that stay in the L3 lost 3-5%. */
#define UK_PREFETCH_SCALES_AHEAD(w, row, g)                                                        \
  __builtin_prefetch((w)->scales + ((row) + 4) * (w)->groups + (g))

/* acc = (accumulate ? y : 0) + x[0..MR, 0..kc] * B[0..kc, 0..16] for the MR
 * rows of x (row stride ldx) and a B of row stride ldb; stores all 16 columns
 * of MR rows of y (row stride ldy). */
#define UK_DEFINE_TILE(MR)                                                                         \
  static inline void uk_tile##MR(const float *restrict x, int64_t ldx, const float *restrict b,    \
                                 int64_t ldb, int64_t kc, float *restrict y, int64_t ldy,          \
                                 int accumulate) {                                                 \
    float acc[MR][UK_NR];                                                                          \
    for (int r = 0; r < MR; ++r)                                                                   \
      for (int l = 0; l < UK_NR; ++l)                                                              \
        acc[r][l] = accumulate ? y[r * ldy + l] : 0.0f;                                            \
    for (int64_t p = 0; p < kc; ++p) {                                                             \
      const float *restrict bp = b + p * ldb;                                                      \
      for (int r = 0; r < MR; ++r) {                                                               \
        float xv = x[r * ldx + p];                                                                 \
        for (int l = 0; l < UK_NR; ++l)                                                            \
          acc[r][l] = __builtin_fmaf(xv, bp[l], acc[r][l]);                                        \
      }                                                                                            \
    }                                                                                              \
    for (int r = 0; r < MR; ++r)                                                                   \
      for (int l = 0; l < UK_NR; ++l)                                                              \
        y[r * ldy + l] = acc[r][l];                                                                \
  }
UK_DEFINE_TILE(6)
UK_DEFINE_TILE(1)
#undef UK_DEFINE_TILE

/* A tile of UK_MR32 rows by 32 columns, uk_tile6's on two panels B0 | B1 of
 * 16 columns each (rows ldb floats apart): the same fused multiply-add per term, in the same order,
 * so the same floats. Two zmm per row where AVX-512's FMA latency needs 8 or
 * more accumulators (uk_tile6 on one zmm per row keeps 6: 97-121 GFLOP/s on a
 * 0.5B model's linears at M = 128 on one Zen 5 core, against oneDNN's
 * 141-157; six rows of this tile 134-162). Eight rows (16 accumulators, each
 * panel load feeding eight FMAs) measured 2-23% faster than six on an Intel
 * Xeon (Sapphire Rapids class, f32 and int4 panels, median 7%), twelve 0-13%
 * slower than eight. UK_MC is a multiple of it. */
#define UK_MR32 8
_Static_assert(UK_MC % UK_MR32 == 0, "row blocks of whole 32-column tiles");
static inline void uk_tile8x32(const float *restrict x, int64_t ldx, const float *restrict b0,
                               const float *restrict b1, int64_t ldb, int64_t kc,
                               float *restrict y, int64_t ldy, int accumulate) {
  float acc[UK_MR32][2 * UK_NR];
  for (int r = 0; r < UK_MR32; ++r)
    for (int l = 0; l < 2 * UK_NR; ++l)
      acc[r][l] = accumulate ? y[r * ldy + l] : 0.0f;
  for (int64_t p = 0; p < kc; ++p) {
    const float *restrict bp0 = b0 + p * ldb, *restrict bp1 = b1 + p * ldb;
    for (int r = 0; r < UK_MR32; ++r) {
      float xv = x[r * ldx + p];
      for (int l = 0; l < UK_NR; ++l)
        acc[r][l] = __builtin_fmaf(xv, bp0[l], acc[r][l]);
      for (int l = 0; l < UK_NR; ++l)
        acc[r][UK_NR + l] = __builtin_fmaf(xv, bp1[l], acc[r][UK_NR + l]);
    }
  }
  for (int r = 0; r < UK_MR32; ++r)
    for (int l = 0; l < 2 * UK_NR; ++l)
      y[r * ldy + l] = acc[r][l];
}

/* Rows [i0, i1) of y[:, j0..j0+nr) += x[:, kb..kb+kc) * B where B (row stride
 * ldb) holds 16 columns; nr < 16 goes through a stack tile. */
static inline void uk_panel_rows(const float *x, int64_t ldx, const float *b, int64_t ldb,
                                 int64_t kc, float *y, int64_t ldy, int64_t i0, int64_t i1,
                                 int64_t nr, int accumulate) {
  if (nr == UK_NR) {
    int64_t i = i0;
    for (; i + UK_MR <= i1; i += UK_MR)
      uk_tile6(x + i * ldx, ldx, b, ldb, kc, y + i * ldy, ldy, accumulate);
    for (; i < i1; ++i)
      uk_tile1(x + i * ldx, ldx, b, ldb, kc, y + i * ldy, ldy, accumulate);
    return;
  }
  float tmp[UK_MR * UK_NR];
  for (int64_t i = i0; i < i1; i += UK_MR) {
    int64_t rows = uk_min(UK_MR, i1 - i);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t l = 0; l < UK_NR; ++l)
        tmp[r * UK_NR + l] = accumulate && l < nr ? y[(i + r) * ldy + l] : 0.0f;
    if (rows == UK_MR)
      uk_tile6(x + i * ldx, ldx, b, ldb, kc, tmp, UK_NR, 1);
    else
      for (int64_t r = 0; r < rows; ++r)
        uk_tile1(x + (i + r) * ldx, ldx, b, ldb, kc, tmp + r * UK_NR, UK_NR, 1);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t l = 0; l < nr; ++l)
        y[(i + r) * ldy + l] = tmp[r * UK_NR + l];
  }
}

/* The 16 x 16 block of floats in v, transposed in place: four rounds of
 * two-vector shuffles, each swapping the off-diagonal h x h blocks of every
 * 2h x 2h block (h = 8, 4, 2, 1). */
#define UK_TRANSPOSE_ROUND(h, ...)                                                                 \
  for (int i = 0; i < 16; ++i)                                                                     \
    if (!(i & (h))) {                                                                              \
      uk_f32x16 lo = v[i], hi = v[i + (h)];                                                        \
      v[i] = __builtin_shufflevector(lo, hi, __VA_ARGS__);                                         \
      v[i + (h)] = __builtin_shufflevector(lo, hi, UK_TRANSPOSE_HI_##h);                           \
    }
#define UK_TRANSPOSE_HI_8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define UK_TRANSPOSE_HI_4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define UK_TRANSPOSE_HI_2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define UK_TRANSPOSE_HI_1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
static inline void uk_transpose16(uk_f32x16 v[16]) {
  UK_TRANSPOSE_ROUND(8, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
  UK_TRANSPOSE_ROUND(4, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27)
  UK_TRANSPOSE_ROUND(2, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29)
  UK_TRANSPOSE_ROUND(1, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)
}
#undef UK_TRANSPOSE_ROUND
#undef UK_TRANSPOSE_HI_8
#undef UK_TRANSPOSE_HI_4
#undef UK_TRANSPOSE_HI_2
#undef UK_TRANSPOSE_HI_1
_Static_assert(UK_NR == 16, "uk_panel_from_rows fills panels of 16 x 16 blocks");
_Static_assert(UK_NR == SLM_UK_PANEL_COLUMNS, "weights stored as panels are the GEMM's panels");

/* panel[p * UK_NR + l] = rows[l * ld + p] for p < kc and l < nr, zero for
 * l >= nr: 16 rows of w turned into a panel 16 x 16 floats at a time. Stored
 * one float at a time, as the fills did, the panel cost about as much as the
 * GEMM that reads it (a 0.5B model's linears at M = 128, one Zen 5 core). */
static inline void uk_panel_from_rows(const float *rows, int64_t ld, int64_t nr, int64_t kc,
                                      float *panel) {
  int64_t p0 = 0;
  for (; p0 + 16 <= kc; p0 += 16) {
    uk_f32x16 v[16];
    for (int l = 0; l < 16; ++l) {
      v[l] = (uk_f32x16){0};
      if (l < nr)
        uk_load16(&v[l], rows + l * ld + p0);
    }
    uk_transpose16(v);
    memcpy(panel + p0 * UK_NR, v, sizeof v); /* row q of v is panel row p0 + q */
  }
  for (; p0 < kc; ++p0)
    for (int64_t l = 0; l < UK_NR; ++l)
      panel[p0 * UK_NR + l] = l < nr ? rows[l * ld + p0] : 0.0f;
}

/* The panel B[p * UK_NR + l] = w[j0 + l, kb + p] for p < kc and l < nr, and
 * zeros for l >= nr: written into `panel` (UK_KC * UK_NR floats on the
 * caller's stack) and returned, or, where the weights are stored as panels
 * already (slm_uk_linear_panels), a pointer into them; `weights` is the
 * kernel's own description of w. */
typedef const float *(*uk_panel_fill_fn)(const void *weights, float *panel, int64_t j0,
                                         int64_t nr, int64_t kb, int64_t kc);

/* y[m, n] = x[m, k] * w[n, k]^T (+ bias[n]). */
typedef struct {
  const float *x;
  const void *weights;
  uk_panel_fill_fn fill;
  const float *bias;
  float *y;
  int64_t m, n, k;
} uk_gemm_args;

/* The columns of a task item's block: slm_uk_gemm_tile_columns
 * (slm_ukernels.h), 32 where 8 x 32 floats fit the target's vector registers
 * with room to spare (AVX-512: 16 of 32 zmm), else 16 (AVX2's 16 ymm hold
 * 6 x 16 in 12, NEON's 32 q registers in 24). */
static inline int64_t uk_gemm_block_columns(void) {
  return slm_uk_gemm_tile_columns == 2 * UK_NR ? 2 * UK_NR : UK_NR;
}

/* Rows [i0, i1) of y[:, 0..32) (+)= x[:, 0..kc) * [B0 | B1], two panels of 16
 * columns (rows ldb floats apart): uk_tile8x32 where the target prefers
 * 32-column tiles, the rows past the last whole one (or all of them) by
 * uk_panel_rows per panel. */
static inline void uk_block32_rows(const float *x, int64_t ldx, const float *b0, const float *b1,
                                   int64_t ldb, int64_t kc, float *y, int64_t ldy, int64_t i0,
                                   int64_t i1, int accumulate) {
  int64_t i = i0;
  if (uk_gemm_block_columns() == 2 * UK_NR)
    for (; i + UK_MR32 <= i1; i += UK_MR32)
      uk_tile8x32(x + i * ldx, ldx, b0, b1, ldb, kc, y + i * ldy, ldy, accumulate);
  uk_panel_rows(x, ldx, b0, ldb, kc, y, ldy, i, i1, UK_NR, accumulate);
  uk_panel_rows(x, ldx, b1, ldb, kc, y + UK_NR, ldy, i, i1, UK_NR, accumulate);
}

/* Items are (row block, column block) pairs, item = ib * nb + jb, a column
 * block being the tile's columns. A block of 32 columns that all exist takes
 * uk_tile8x32 on two panels; any other goes 16 columns at a time. */
static inline void uk_gemm_range(void *arg, int64_t begin, int64_t end) {
  const uk_gemm_args *a = (const uk_gemm_args *)arg;
  int64_t m = a->m, n = a->n, k = a->k;
  int64_t block = uk_gemm_block_columns(), nb = (n + block - 1) / block;
  float panel[2][UK_KC * UK_NR];
  for (int64_t item = begin; item < end; ++item) {
    int64_t i0 = (item / nb) * UK_MC, i1 = uk_min(i0 + UK_MC, m);
    int64_t jb0 = (item % nb) * block, jb1 = uk_min(jb0 + block, n);
    for (int64_t kb = 0; kb < k; kb += UK_KC) {
      int64_t kc = uk_min(UK_KC, k - kb);
      if (jb1 - jb0 == 2 * UK_NR) {
        const float *b0 = a->fill(a->weights, panel[0], jb0, UK_NR, kb, kc);
        const float *b1 = a->fill(a->weights, panel[1], jb0 + UK_NR, UK_NR, kb, kc);
        uk_block32_rows(a->x + kb, k, b0, b1, UK_NR, kc, a->y + jb0, n, i0, i1, kb > 0);
        continue;
      }
      for (int64_t j0 = jb0; j0 < jb1; j0 += UK_NR) {
        int64_t nr = uk_min(UK_NR, jb1 - j0);
        const float *b = a->fill(a->weights, panel[0], j0, nr, kb, kc);
        uk_panel_rows(a->x + kb, k, b, UK_NR, kc, a->y + j0, n, i0, i1, nr, kb > 0);
      }
    }
    if (a->bias)
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = jb0; j < jb1; ++j)
          a->y[i * n + j] += a->bias[j];
  }
}

/* Runs the GEMM over tasks of whole tiles (m, n >= 1, k >= 1). */
static inline void uk_gemm(const slm_uk_ctx *ctx, uk_gemm_args *a) {
  int64_t block = uk_gemm_block_columns();
  int64_t items = ((a->m + UK_MC - 1) / UK_MC) * ((a->n + block - 1) / block);
  uk_parallel(ctx, items, uk_grain(uk_min(a->m, UK_MC) * block * a->k), uk_gemm_range, a);
}

#endif /* SLM_UK_GEMM_H */
