/*===- quantized.c - linear and embedding on packed weights -------*- C -*-===*
 *
 * slm.dequantize fused into its readers: the kernels read packed codes and
 * f16 scales (uk_quant.h) and never hold a float copy of the matrix.
 *
 * - Embedding decodes only the rows its ids select, as the reference does.
 * - Linear with many rows of x (prefill) is the f32 GEMM of uk_gemm.h with
 *   each panel of w^T decoded onto the stack instead of copied: the same
 *   floats, so the same result as slm_uk_linear on the decoded matrix.
 * - Linear with few rows (decode) reads each weight once, and is bound by how
 *   fast it turns codes into floats: blocks of 32 codes are decoded in
 *   registers, exactly as the reference does, and multiplied into x with
 *   fused multiply-adds (close to the reference, not equal to it; 8-bit
 *   codes are converted and their sums scaled once per group). 4-bit and
 *   symmetric 8-bit formats have their own decoders (slm_uk_linear_q4, _q8;
 *   quantized_avx512.c decodes 4-bit codes faster on AVX-512 targets); other
 *   widths (slm_uk_linear_qany) gather the bytes of 16 codes by shuffles.
 *   Codebook formats (bits 2..4) look codes up in the group's scaled table
 *   (slm_uk_linear_qany; 4-bit ones by vpermps on AVX-512 targets).
 *
 * Tasks are output columns (rows of w, four at a time from four parts of the
 * task; and blocks of rows of x for large m), as in linear.c, so threaded
 * runs equal inline ones bit for bit.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_qlinear.h"

#define UK_QSCALES 64 /* groups whose scales the fast decode converts at once */

/* a * b + c, rounded once (a macro: vectors are not passed by value). */
#define UK_FMA16(a, b, c) __builtin_elementwise_fma(a, b, c)
/* v in every lane. */
#define UK_SPLAT16(v) ((uk_f32x16){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v})

/*===--- decode: blocks decoded in registers -------------------------------===*/

/* Weights 2t and 2t + 1 of a block of 32 4-bit codes (16 bytes), decoded as
 * the reference does, in w0[t] and w1[t]: the even and the odd codes, which is
 * the order the nibbles of a byte come in; the caller pairs them with x in
 * the same order. Asymmetric: q * scale + shift with shift the minimum.
 * Symmetric: q * scale as fma(q + 8, scale, shift) with shift = -8 * scale,
 * which rounds the same real number once. */
static inline void uk_decode_q4(const uint8_t *p, float scale, float shift, int symmetric,
                                uk_f32x16 *w0, uk_f32x16 *w1) {
  uk_u8x16 bytes;
  memcpy(&bytes, p, sizeof bytes);
  uk_i32x16 v = __builtin_convertvector(bytes, uk_i32x16);
  if (symmetric)
    v ^= 0x88; /* each nibble q becomes q + 8, unsigned */
  uk_f32x16 lo = __builtin_convertvector(v & 15, uk_f32x16);
  uk_f32x16 hi = __builtin_convertvector(v >> 4, uk_f32x16);
  uk_f32x16 s = UK_SPLAT16(scale), b = UK_SPLAT16(shift);
  if (symmetric) {
    *w0 = UK_FMA16(lo, s, b);
    *w1 = UK_FMA16(hi, s, b);
  } else {
    *w0 = lo * s + b;
    *w1 = hi * s + b;
  }
}

/* The 32 codes of a block of 8-bit symmetric codes, in order, as floats; the
 * caller scales their sums once per group. */
static inline void uk_decode_q8(const uint8_t *p, uk_f32x16 *w0, uk_f32x16 *w1) {
  uk_i8x16 first, second;
  memcpy(&first, p, sizeof first);
  memcpy(&second, p + 16, sizeof second);
  *w0 = __builtin_convertvector(first, uk_f32x16);
  *w1 = __builtin_convertvector(second, uk_f32x16);
}

/* How a decode kernel turns a block of 32 codes into floats. */
enum {
  UK_NIBBLES, /* 4 bits, groups of 32, 64 or 128: uk_decode_q4 (x permuted to match) */
  UK_BYTES,   /* 8 bits, symmetric: uk_decode_q8, each group's sum scaled once */
  UK_SHUFFLES, /* any width: uk_decode16, twice */
  UK_TABLE     /* codebook formats: uk_decode16_table, twice */
};

/* Rows rows[0..count) of w (count is UK_QCOLS, or 1 for a leftover row, whose
 * lanes repeat it) against M rows of x (M < UK_DOT_MAX_M); codes of BITS bits
 * that DECODER decodes. Groups are whole blocks of 32 codes, except a
 * per-channel row whose length is not a multiple of 32: its last block is
 * partial. Each block of x is loaded once for the UK_QCOLS rows of w. */
static inline __attribute__((always_inline)) void
uk_qfast_dot_rows(const uk_qlinear_args *a, const int64_t *rows, int count, const int M,
                  const int BITS, const int DECODER, const int SYMMETRIC) {
  const uk_qmatrix *w = &a->w;
  int64_t n = a->n, k = w->k;
  int64_t full = k / UK_QBLOCK, blocks = (k + UK_QBLOCK - 1) / UK_QBLOCK;
  int64_t blocks_per_group = (w->group + UK_QBLOCK - 1) / UK_QBLOCK;
  const int64_t block_bytes = UK_QBLOCK * BITS / 8;
  float xtail[UK_DOT_MAX_M - 1][UK_QBLOCK];
  uk_qlinear_x_tail(a, M, xtail);
  /* Per group: the scale, and what decoding adds (see uk_decode_q4). */
  float scale[UK_QCOLS][UK_QSCALES], shift[UK_QCOLS][UK_QSCALES];
  float table[UK_QCOLS][16]; /* UK_TABLE: the group's codebook times its scale */
  uint8_t padded[UK_QCOLS][UK_QBLOCK];
  const uint8_t *codes[UK_QCOLS];
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
  for (int c = 0; c < UK_QCOLS; ++c)
    codes[c] = w->codes + row[c] * w->row_bytes;
  /* UK_BYTES sums a group's q * x in part, then adds scale * part to acc:
   * one multiply per group instead of one per weight */
  uk_f32x16 acc[UK_DOT_MAX_M - 1][UK_QCOLS], part[UK_DOT_MAX_M - 1][UK_QCOLS];
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < UK_QCOLS; ++c)
      acc[i][c] = part[i][c] = (uk_f32x16){0};
  for (int64_t g0 = 0; g0 < w->groups; g0 += UK_QSCALES) {
    int64_t live = uk_min(UK_QSCALES, w->groups - g0);
    for (int c = 0; c < UK_QCOLS; ++c) {
      const uint16_t *s = w->scales + row[c] * w->groups + g0;
      for (int64_t t = 0; t < live; ++t)
        scale[c][t] = uk_half_to_float(s[t]);
      if (DECODER == UK_NIBBLES && SYMMETRIC) {
        for (int64_t t = 0; t < live; ++t)
          shift[c][t] = -8.0f * scale[c][t];
      } else if (!SYMMETRIC) {
        const uint16_t *mn = w->minimums + row[c] * w->groups + g0;
        for (int64_t t = 0; t < live; ++t)
          shift[c][t] = uk_half_to_float(mn[t]);
      }
    }
    for (int64_t t = 0; t < live; ++t) {
      if (DECODER == UK_TABLE)
        for (int c = 0; c < UK_QCOLS; ++c)
          uk_scaled_codebook(w->codebook, BITS, scale[c][t], table[c]);
      int64_t b0 = (g0 + t) * blocks_per_group, b1 = uk_min(b0 + blocks_per_group, blocks);
      for (int64_t b = b0; b < b1; ++b) {
        uk_f32x16 x0[UK_DOT_MAX_M - 1], x1[UK_DOT_MAX_M - 1];
        for (int i = 0; i < M; ++i) {
          const float *x = b < full ? a->x + i * k + b * UK_QBLOCK : xtail[i];
          uk_f32x16 first, second;
          uk_load16(&first, x);
          uk_load16(&second, x + 16);
          if (DECODER == UK_NIBBLES) {
            x0[i] = __builtin_shufflevector(first, second, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                            20, 22, 24, 26, 28, 30);
            x1[i] = __builtin_shufflevector(first, second, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
                                            21, 23, 25, 27, 29, 31);
          } else {
            x0[i] = first;
            x1[i] = second;
          }
        }
        /* Only a per-channel 8-bit row ends inside a block; its codes are copied. */
        int partial = (b + 1) * block_bytes > w->row_bytes;
        if (partial) {
          int64_t have = w->row_bytes - b * block_bytes;
          for (int c = 0; c < UK_QCOLS; ++c)
            for (int64_t l = 0; l < block_bytes; ++l)
              padded[c][l] = l < have ? codes[c][b * block_bytes + l] : 0;
        }
        for (int c = 0; c < UK_QCOLS; ++c) {
          const uint8_t *p = partial ? padded[c] : codes[c] + b * block_bytes;
          uk_f32x16 w0, w1;
          if (DECODER == UK_NIBBLES) {
            uk_decode_q4(p, scale[c][t], shift[c][t], SYMMETRIC, &w0, &w1);
          } else if (DECODER == UK_BYTES) {
            uk_decode_q8(p, &w0, &w1);
          } else if (DECODER == UK_TABLE) {
            uk_decode16_table(p, BITS, table[c], &w0);
            uk_decode16_table(p + 2 * BITS, BITS, table[c], &w1);
          } else {
            uk_decode16(p, BITS, scale[c][t], shift[c][t], SYMMETRIC, &w0);
            uk_decode16(p + 2 * BITS, BITS, scale[c][t], shift[c][t], SYMMETRIC, &w1);
          }
          uk_f32x16(*sum)[UK_QCOLS] = DECODER == UK_BYTES ? part : acc;
          for (int i = 0; i < M; ++i) {
            sum[i][c] = UK_FMA16(w0, x0[i], sum[i][c]);
            sum[i][c] = UK_FMA16(w1, x1[i], sum[i][c]);
          }
        }
      }
      if (DECODER == UK_BYTES)
        for (int i = 0; i < M; ++i)
          for (int c = 0; c < UK_QCOLS; ++c) {
            acc[i][c] = UK_FMA16(UK_SPLAT16(scale[c][t]), part[i][c], acc[i][c]);
            part[i][c] = (uk_f32x16){0};
          }
    }
  }
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < count; ++c) {
      float d = uk_fold_sum(&acc[i][c]);
      a->y[i * n + row[c]] = a->bias ? d + a->bias[row[c]] : d;
    }
}

/* One range function per specialization, for uk_parallel: items are rows of
 * w, UK_QCOLS at a time from as many parts of the range (uk_rows_in_four_parts). */
#define UK_DEFINE_QFAST_RANGE(NAME, M, BITS, DECODER, SYMMETRIC)                                   \
  UK_DEFINE_FOUR_PART_RANGE(, NAME, uk_qfast_dot_rows, uk_qlinear_args, M, BITS, DECODER, SYMMETRIC)
UK_DEFINE_QFAST_RANGE(uk_q4_dot_m1_symmetric, 1, 4, UK_NIBBLES, 1)
UK_DEFINE_QFAST_RANGE(uk_q4_dot_m2_symmetric, 2, 4, UK_NIBBLES, 1)
UK_DEFINE_QFAST_RANGE(uk_q4_dot_m3_symmetric, 3, 4, UK_NIBBLES, 1)
UK_DEFINE_QFAST_RANGE(uk_q4_dot_m1_asymmetric, 1, 4, UK_NIBBLES, 0)
UK_DEFINE_QFAST_RANGE(uk_q4_dot_m2_asymmetric, 2, 4, UK_NIBBLES, 0)
UK_DEFINE_QFAST_RANGE(uk_q4_dot_m3_asymmetric, 3, 4, UK_NIBBLES, 0)
UK_DEFINE_QFAST_RANGE(uk_q8_dot_m1, 1, 8, UK_BYTES, 1)
UK_DEFINE_QFAST_RANGE(uk_q8_dot_m2, 2, 8, UK_BYTES, 1)
UK_DEFINE_QFAST_RANGE(uk_q8_dot_m3, 3, 8, UK_BYTES, 1)
/* The generic kernel: one row of x at a time, every width. */
#define UK_DEFINE_QANY_RANGES(BITS)                                                                \
  UK_DEFINE_QFAST_RANGE(uk_qany##BITS##_dot_symmetric, 1, BITS, UK_SHUFFLES, 1)                    \
  UK_DEFINE_QFAST_RANGE(uk_qany##BITS##_dot_asymmetric, 1, BITS, UK_SHUFFLES, 0)
UK_DEFINE_QANY_RANGES(2)
UK_DEFINE_QANY_RANGES(3)
UK_DEFINE_QANY_RANGES(4)
UK_DEFINE_QANY_RANGES(5)
UK_DEFINE_QANY_RANGES(6)
UK_DEFINE_QANY_RANGES(7)
UK_DEFINE_QANY_RANGES(8)
#undef UK_DEFINE_QANY_RANGES
UK_DEFINE_QFAST_RANGE(uk_qtable2_dot, 1, 2, UK_TABLE, 1)
UK_DEFINE_QFAST_RANGE(uk_qtable3_dot, 1, 3, UK_TABLE, 1)
UK_DEFINE_QFAST_RANGE(uk_qtable4_dot, 1, 4, UK_TABLE, 1)
#undef UK_DEFINE_QFAST_RANGE

#if UK_DOT_MAX_M != 4
#error "the decode kernels are specialized for 1, 2 and 3 rows of x"
#endif

void slm_uk_linear_q4(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                      const uint16_t *scales, const uint16_t *minimums, const float *bias,
                      float *y, int64_t m, int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn symmetric[] = {uk_q4_dot_m1_symmetric, uk_q4_dot_m2_symmetric,
                                          uk_q4_dot_m3_symmetric};
  static const uk_range_fn asymmetric[] = {uk_q4_dot_m1_asymmetric, uk_q4_dot_m2_asymmetric,
                                           uk_q4_dot_m3_asymmetric};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, 4, group), bias, y, m, n};
  uk_quantized_linear(ctx, &a, minimums ? asymmetric : symmetric);
}

void slm_uk_linear_q8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                      const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                      int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn ranges[] = {uk_q8_dot_m1, uk_q8_dot_m2, uk_q8_dot_m3};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, 8, group), bias, y, m, n};
  uk_quantized_linear(ctx, &a, ranges);
}

void slm_uk_linear_qany(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const uint16_t *minimums, const float *codebook,
                        const float *bias, float *y, int64_t m, int64_t n, int64_t k,
                        int32_t bits, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn ranges[7][2] = {
      {uk_qany2_dot_symmetric, uk_qany2_dot_asymmetric},
      {uk_qany3_dot_symmetric, uk_qany3_dot_asymmetric},
      {uk_qany4_dot_symmetric, uk_qany4_dot_asymmetric},
      {uk_qany5_dot_symmetric, uk_qany5_dot_asymmetric},
      {uk_qany6_dot_symmetric, uk_qany6_dot_asymmetric},
      {uk_qany7_dot_symmetric, uk_qany7_dot_asymmetric},
      {uk_qany8_dot_symmetric, uk_qany8_dot_asymmetric}};
  static const uk_range_fn tables[3] = {uk_qtable2_dot, uk_qtable3_dot, uk_qtable4_dot};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, bits, group), bias, y, m, n};
  a.w.codebook = codebook;
  uk_quantized_linear_by_rows(ctx, &a,
                              codebook ? tables[bits - 2] : ranges[bits - 2][minimums != NULL]);
}

/*===--- embedding ----------------------------------------------------------===*/

typedef struct {
  uk_qmatrix table;
  const int64_t *ids;
  float *out;
} uk_qembedding_args;

/* A negative id gives zeros, as slm_uk_embedding does. */
static void uk_qembedding_range(void *arg, int64_t begin, int64_t end) {
  const uk_qembedding_args *a = (const uk_qembedding_args *)arg;
  int64_t width = a->table.k;
  for (int64_t i = begin; i < end; ++i) {
    float *dst = a->out + i * width;
    if (a->ids[i] >= 0)
      uk_dequantize_segment(&a->table, a->ids[i], 0, width, dst);
    else
      memset(dst, 0, sizeof(float) * (size_t)width);
  }
}

void slm_uk_embedding_q(const slm_uk_ctx *ctx, const uint8_t *codes, const uint16_t *scales,
                        const uint16_t *minimums, const float *codebook, const int64_t *ids,
                        float *out, int64_t n, int64_t width, int32_t bits, int64_t group) {
  if (width <= 0)
    return;
  uk_qembedding_args a = {uk_qmatrix_of(codes, scales, minimums, width, bits, group), ids, out};
  a.table.codebook = codebook;
  uk_parallel(ctx, n, uk_grain(width), uk_qembedding_range, &a);
}
