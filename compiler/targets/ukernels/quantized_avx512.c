/*===- quantized_avx512.c - decode by table lookup ----------------*- C -*-===*
 *
 * slm_uk_linear_q4 and the 2- and 3-bit codebook formats for AVX-512
 * targets. Decode (m < 4) reads every weight once, so it is as fast as it
 * turns codes into floats. vpermps picks one of 16 floats per lane by the
 * low 4 bits of an index: with the decoded values of a group (q * scale,
 * plus minimum; or codebook[q] * scale) as the table, one vpermps decodes 16
 * codes exactly as the reference does, so a non-uniform grid decodes as fast
 * as integer codes.
 * - 4 bits: 16 bytes zero-extended to 16 lanes give the low nibbles as
 *   indices, and shifted by 4 the high ones: codes 2t and 2t + 1 of the block
 *   in lane t, which the x of the block is permuted to match.
 * - 2 and 3 bits (codebooks): the 16 codes of 2 * bits bytes unpacked by
 *   shuffles (uk_unpack16), in order, against x in order: the same products
 *   and sums as slm_uk_linear_qany's decode, so the same floats (its table
 *   decode reads the table lane by lane, a third of a 0.5B model's decode).
 * Prefill (m >= 4) is the generic GEMM on decoded panels (uk_qlinear.h).
 *
 * The lowering calls these kernels only for targets with AVX-512 F/BW/VL.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_qlinear.h"

/* x86 only: other targets' bitcode has no AVX-512 kernel. */
#if defined(__x86_64__)
#include <immintrin.h>

#define UK_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,evex512")))
#define UK_LUT_SCALES 16 /* groups whose scales are converted at once: one vcvtph2ps */

/* Items are blocks of UK_QCOLS rows of w; M rows of x (M < UK_DOT_MAX_M);
 * codes of BITS bits (4, or 2 and 3 with a codebook) in groups of 32, 64 or
 * 128 (whole blocks of UK_QBLOCK). */
UK_AVX512_TARGET static inline __attribute__((always_inline)) void
uk_lut_range(const uk_qlinear_args *a, int64_t begin, int64_t end, const int M, const int BITS,
             const int SYMMETRIC, const int CODEBOOK) {
  const uk_qmatrix *w = &a->w;
  int64_t n = a->n, k = w->k;
  int64_t full = k / UK_QBLOCK, blocks = (k + UK_QBLOCK - 1) / UK_QBLOCK;
  int64_t blocks_per_group = w->group / UK_QBLOCK;
  float xtail[UK_DOT_MAX_M - 1][UK_QBLOCK];
  uk_qlinear_x_tail(a, M, xtail);
  /* Table entry u: the code whose nibble is u, as a float; symmetric codes
   * are stored as u ^ 8 = q + 8, so q * scale = fma(u ^ 8, scale, -8 scale). */
  const __m512 codes16 = CODEBOOK    ? _mm512_maskz_loadu_ps((__mmask16)((1u << (1 << BITS)) - 1),
                                                                w->codebook)
                         : SYMMETRIC ? _mm512_setr_ps(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4,
                                                      5, 6, 7)
                                     : _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                                      13, 14, 15);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  float scale[UK_QCOLS][UK_LUT_SCALES], shift[UK_QCOLS][UK_LUT_SCALES];
  for (int64_t blk = begin; blk < end; ++blk) {
    int64_t j = blk * UK_QCOLS;
    int64_t row[UK_QCOLS];
    for (int c = 0; c < UK_QCOLS; ++c)
      row[c] = uk_min(j + c, n - 1);
    __m512 acc[UK_DOT_MAX_M - 1][UK_QCOLS];
    for (int i = 0; i < M; ++i)
      for (int c = 0; c < UK_QCOLS; ++c)
        acc[i][c] = _mm512_setzero_ps();
    for (int64_t g0 = 0; g0 < w->groups; g0 += UK_LUT_SCALES) {
      __mmask16 live = (__mmask16)((1u << uk_min(UK_LUT_SCALES, w->groups - g0)) - 1);
      for (int c = 0; c < UK_QCOLS; ++c) {
        int64_t at = row[c] * w->groups + g0;
        __m512 s = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, w->scales + at));
        __m512 b = SYMMETRIC ? _mm512_mul_ps(s, _mm512_set1_ps(-8.0f))
                             : _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, w->minimums + at));
        _mm512_storeu_ps(scale[c], s);
        _mm512_storeu_ps(shift[c], b);
      }
      for (int64_t t = 0; t < UK_LUT_SCALES && g0 + t < w->groups; ++t) {
        __m512 table[UK_QCOLS];
        for (int c = 0; c < UK_QCOLS; ++c) {
          __m512 s = _mm512_set1_ps(scale[c][t]), b = _mm512_set1_ps(shift[c][t]);
          /* The reference's float(q) * scale (+ minimum), or codebook[q] *
           * scale, each rounded once. */
          table[c] = CODEBOOK    ? _mm512_mul_ps(codes16, s)
                     : SYMMETRIC ? _mm512_fmadd_ps(codes16, s, b)
                                 : _mm512_add_ps(_mm512_mul_ps(codes16, s), b);
        }
        int64_t b0 = (g0 + t) * blocks_per_group, b1 = uk_min(b0 + blocks_per_group, blocks);
        for (int64_t b = b0; b < b1; ++b) {
          __m512 x0[UK_DOT_MAX_M - 1], x1[UK_DOT_MAX_M - 1];
          for (int i = 0; i < M; ++i) {
            const float *x = b < full ? a->x + i * k + b * UK_QBLOCK : xtail[i];
            __m512 first = _mm512_loadu_ps(x), second = _mm512_loadu_ps(x + 16);
            x0[i] = BITS == 4 ? _mm512_permutex2var_ps(first, even, second) : first;
            x1[i] = BITS == 4 ? _mm512_permutex2var_ps(first, odd, second) : second;
          }
          for (int c = 0; c < UK_QCOLS; ++c) {
            const uint8_t *p = w->codes + row[c] * w->row_bytes + b * (UK_QBLOCK * BITS / 8);
            __m512 lo, hi;
            if (BITS == 4) {
              __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
              lo = _mm512_permutexvar_ps(bytes, table[c]);
              hi = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), table[c]);
            } else { /* codes 0..15 of the block, then 16..31 */
              uk_i32x16 q0, q1;
              uk_unpack16(p, BITS, &q0);
              uk_unpack16(p + 2 * BITS, BITS, &q1);
              lo = _mm512_permutexvar_ps((__m512i)q0, table[c]);
              hi = _mm512_permutexvar_ps((__m512i)q1, table[c]);
            }
            for (int i = 0; i < M; ++i) {
              acc[i][c] = _mm512_fmadd_ps(lo, x0[i], acc[i][c]);
              acc[i][c] = _mm512_fmadd_ps(hi, x1[i], acc[i][c]);
            }
          }
        }
      }
    }
    for (int i = 0; i < M; ++i)
      for (int c = 0; c < UK_QCOLS && j + c < n; ++c) {
        float d = _mm512_reduce_add_ps(acc[i][c]); /* uk_fold_sum's tree: 8 + 8, 4 + 4, ... */
        a->y[i * n + j + c] = a->bias ? d + a->bias[j + c] : d;
      }
  }
}

#define UK_DEFINE_LUT_RANGE(M, BITS, SYMMETRIC, CODEBOOK, NAME)                                    \
  UK_AVX512_TARGET static void uk_lut##BITS##_m##M##_##NAME(void *arg, int64_t begin,             \
                                                            int64_t end) {                         \
    uk_lut_range((const uk_qlinear_args *)arg, begin, end, M, BITS, SYMMETRIC, CODEBOOK);          \
  }
UK_DEFINE_LUT_RANGE(1, 4, 1, 0, symmetric)
UK_DEFINE_LUT_RANGE(2, 4, 1, 0, symmetric)
UK_DEFINE_LUT_RANGE(3, 4, 1, 0, symmetric)
UK_DEFINE_LUT_RANGE(1, 4, 0, 0, asymmetric)
UK_DEFINE_LUT_RANGE(2, 4, 0, 0, asymmetric)
UK_DEFINE_LUT_RANGE(3, 4, 0, 0, asymmetric)
UK_DEFINE_LUT_RANGE(1, 4, 1, 1, codebook)
UK_DEFINE_LUT_RANGE(2, 4, 1, 1, codebook)
UK_DEFINE_LUT_RANGE(3, 4, 1, 1, codebook)
/* 2- and 3-bit codebooks: one row of x at a time, as slm_uk_linear_qany. */
UK_DEFINE_LUT_RANGE(1, 2, 1, 1, codebook)
UK_DEFINE_LUT_RANGE(1, 3, 1, 1, codebook)
#undef UK_DEFINE_LUT_RANGE

void slm_uk_linear_q4_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const uint16_t *minimums,
                             const float *codebook, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group) {
  if (uk_qlinear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn symmetric[] = {uk_lut4_m1_symmetric, uk_lut4_m2_symmetric,
                                          uk_lut4_m3_symmetric};
  static const uk_range_fn asymmetric[] = {uk_lut4_m1_asymmetric, uk_lut4_m2_asymmetric,
                                           uk_lut4_m3_asymmetric};
  static const uk_range_fn tables[] = {uk_lut4_m1_codebook, uk_lut4_m2_codebook,
                                       uk_lut4_m3_codebook};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, 4, group), bias, y, m, n};
  a.w.codebook = codebook;
  uk_quantized_linear(ctx, &a, codebook ? tables : minimums ? asymmetric : symmetric);
}

void slm_uk_linear_table_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                                const uint16_t *scales, const float *codebook, const float *bias,
                                float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                                int64_t group) {
  if (uk_qlinear_trivial(bias, y, m, n, k))
    return;
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, bits, group), bias, y, m, n};
  a.w.codebook = codebook;
  /* a row of x at a time, as slm_uk_linear_qany, so the same floats */
  uk_quantized_linear_by_rows(ctx, &a, bits == 2 ? uk_lut2_m1_codebook : uk_lut3_m1_codebook);
}

#endif /* __x86_64__ */
