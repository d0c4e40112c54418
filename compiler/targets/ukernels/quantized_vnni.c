/*===- quantized_vnni.c - 4- and 8-bit weight-only decode by integer dot products -*- C -*-===*
 *
 * slm_uk_linear_q4_vnni and slm_uk_linear_q8_vnni: integer codes against float
 * activations on AVX-512 VNNI targets. A decode (one row of x) reads every
 * weight once, and slm_uk_linear_q4_avx512 turns codes into floats with three
 * instructions per 16 codes, which bounds it below the memory's speed (20 GB/s
 * of codes in cache on an EPYC core; the 8-bit kernel likewise). Here a
 * vpdpbusd multiplies 64 codes by 64 int8 values and sums them four to a lane
 * in one instruction, exactly.
 *
 * x is not quantized the way W4A8's activations are: every eight x (the
 * codes of a 32-bit lane, as slm_uk_linear_q4_avx512 packs them; four for
 * 8-bit codes) are written as three int8 digits on a scale of their own,
 * s = max |x| / 127:
 *   x = s (d0 + d1 / 128 + d2 / 128^2 + e),   |e| <= 1/2 / 128^2,
 * so each x is carried to within 2^-22 of the largest of its eight, about
 * the rounding of the float kernels (2^-24 per operation). Per lane and
 * chunk, T = (A0 128 + A1) 128 + A2 with A_i = sum of code * d_i is an exact
 * 32-bit integer (|T| < 15 * 127 * 8 * 128^2 < 2^31), and
 *   sum u x = s / 128^2 * T,
 *   sum q x = that - 8 sum x   (symmetric: the nibble holds q in two's
 *                               complement; flipping its top bit gives
 *                               u = q + 8, as the float kernel does),
 *   sum (u scale + minimum) x = scale (that) + minimum sum x   (asymmetric),
 * the group's scale multiplying each lane once per chunk. About 20 instructions
 * per 128 codes and row, against about 31 for the float decode. 8-bit codes:
 * uk_byte_digit_rows.
 *
 * Codebook formats, other row counts, rows longer than UK_DIGITS_MAX_K and x
 * with an infinity or a NaN (which digits cannot carry) are
 * slm_uk_linear_q4_avx512's (slm_uk_linear_q8_avx512's for 8 bits).
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_avx512.h"

/* x86 only: other targets' bitcode has no AVX-512 kernel. */
#if defined(__x86_64__)

#define UK_VNNI_TARGET                                                                             \
  __attribute__((target("avx512f,avx512bw,avx512vl,evex512,avx512vnni")))
#define UK_DIGITS_MAX_K 16384 /* x's digits live on the caller's stack */

/* Writes x's digits, units and sums (uk_digit_args) for codes of PER_LANE (8:
 * 4 bits, 4: 8 bits) to a 32-bit lane; 0 if an x (or the sum of a lane's) is
 * not finite. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) int
uk_x_as_digits(const float *x, int64_t k, int8_t (*digits)[64], float *unit, float *sums,
               const int PER_LANE) {
  const int HALVES = PER_LANE / 4, CHUNK = 16 * PER_LANE;
  const __m512i lane_first = /* code PER_LANE l of lane l */
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(PER_LANE));
  const __m512 zero = _mm512_setzero_ps(), base = _mm512_set1_ps((float)UK_DIGIT_BASE);
  const __m512 digit_unit = _mm512_set1_ps((float)(1.0 / (UK_DIGIT_BASE * UK_DIGIT_BASE)));
  const __mmask64 byte_of[4] = {0x1111111111111111ull, 0x2222222222222222ull,
                                0x4444444444444444ull, 0x8888888888888888ull};
  int64_t chunks = (k + CHUNK - 1) / CHUNK;
  for (int64_t c = 0; c < chunks; ++c) {
    const float *chunk = x + c * CHUNK;
    __m512 v[8], largest = zero, sum = zero;
    for (int j = 0; j < PER_LANE; ++j) { /* v[j], lane l: code PER_LANE l + j */
      __m512i at = _mm512_add_epi32(lane_first, _mm512_set1_epi32(j));
      __mmask16 live = _mm512_cmplt_epi32_mask(at, _mm512_set1_epi32((int32_t)(k - c * CHUNK)));
      v[j] = _mm512_mask_i32gather_ps(zero, live, at, chunk, 4);
      largest = _mm512_max_ps(largest, _mm512_abs_ps(v[j]));
      sum = _mm512_add_ps(sum, v[j]);
    }
    if (_mm512_cmp_ps_mask(_mm512_sub_ps(sum, sum), zero, _CMP_EQ_OQ) != 0xFFFF)
      return 0;
    _mm512_store_ps(sums + 16 * c, sum);
    __m512 scale = _mm512_div_ps(largest, _mm512_set1_ps(127.0f)); /* s, lane by lane */
    _mm512_store_ps(unit + 16 * c, _mm512_mul_ps(scale, digit_unit));
    __m512 per_scale =
        _mm512_maskz_div_ps(_mm512_cmp_ps_mask(largest, zero, _CMP_GT_OQ), _mm512_set1_ps(1.0f),
                            scale);
    __m512i digit[UK_DIGITS][8];
    for (int j = 0; j < PER_LANE; ++j) {
      __m512 t = _mm512_mul_ps(v[j], per_scale); /* |t| <= 127 */
      for (int d = 0; d < UK_DIGITS; ++d) {
        __m512 nearest = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        digit[d][j] = _mm512_cvtps_epi32(nearest);
        t = _mm512_mul_ps(_mm512_sub_ps(t, nearest), base); /* exact */
      }
    }
    /* byte i of lane l of half h: the digit of code PER_LANE l + HALVES i + h */
    for (int d = 0; d < UK_DIGITS; ++d)
      for (int h = 0; h < HALVES; ++h) {
        __m512i packed = digit[d][h];
        for (int i = 1; i < 4; ++i)
          packed = _mm512_mask_mov_epi8(packed, byte_of[i],
                                        _mm512_slli_epi32(digit[d][HALVES * i + h], 8 * i));
        _mm512_store_si512(digits[(c * UK_DIGITS + d) * HALVES + h], packed);
      }
  }
  return 1;
}
UK_VNNI_TARGET static int uk_x_as_nibble_digits(const float *x, int64_t k, int8_t (*digits)[64],
                                                float *unit, float *sums) {
  return uk_x_as_digits(x, k, digits, unit, sums, 8);
}
UK_VNNI_TARGET static int uk_x_as_byte_digits(const float *x, int64_t k, int8_t (*digits)[64],
                                              float *unit, float *sums) {
  return uk_x_as_digits(x, k, digits, unit, sums, 4);
}

/* Rows rows[0..count) of w (UK_QCOLS, or 1 for a leftover row, whose lanes
 * repeat it) against one row of x; groups of 32, 64 or 128 codes. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_digit_rows(const uk_digit_args *t, const int64_t *rows, int count, const int SYMMETRIC) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  int64_t chunks = (w->row_bytes + 63) / 64, per_chunk = UK_CHUNK / w->group;
  const __m512i spread = uk_chunk_lane_groups(w->group);
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i flip = _mm512_set1_epi8(SYMMETRIC ? 0x08 : 0x00);
  const __m512 eight = _mm512_set1_ps(8.0f);
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
  int64_t span = uk_chunk_span(w);
  __m512 scales[UK_QCOLS], minimums[UK_QCOLS]; /* sixteen groups', a span's */
  __m512 acc[UK_QCOLS];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = _mm512_setzero_ps();
  for (int64_t ch = 0; ch < chunks; ++ch) {
    int64_t g = ch * per_chunk;
    __mmask16 words = uk_chunk_live_words(w, ch);
    int64_t within = ch % span;
    if (within == 0)
      uk_span_halves(w, row, g, scales, minimums, !SYMMETRIC);
    const __m512i lanes = uk_span_lane_groups(spread, w, within);
    __m512i digit[UK_DIGITS][2];
    for (int d = 0; d < UK_DIGITS; ++d)
      for (int h = 0; h < 2; ++h)
        digit[d][h] = _mm512_load_si512(t->digits[(ch * UK_DIGITS + d) * 2 + h]);
    const __m512 unit = _mm512_load_ps(t->unit + 16 * ch);
    const __m512 xsum = _mm512_load_ps(t->sums + 16 * ch);
    const __m512 offset = SYMMETRIC ? _mm512_mul_ps(eight, xsum) : _mm512_setzero_ps();
    for (int c = 0; c < UK_QCOLS; ++c) {
      const uint8_t *p = w->codes + row[c] * w->row_bytes + ch * 64;
      UK_PREFETCH_AHEAD(p);
      __m512i v = _mm512_maskz_loadu_epi32(words, p);
      /* (v & 0x0F) ^ flip: a symmetric code's nibble is q in two's complement */
      __m512i lo = _mm512_ternarylogic_epi32(v, nibble, flip, 0x6A);
      __m512i hi = _mm512_ternarylogic_epi32(_mm512_srli_epi32(v, 4), nibble, flip, 0x6A);
      __m512i sum = _mm512_setzero_si512();
      for (int d = 0; d < UK_DIGITS; ++d) {
        if (d > 0)
          sum = _mm512_slli_epi32(sum, 7); /* times UK_DIGIT_BASE */
        sum = _mm512_dpbusd_epi32(sum, lo, digit[d][0]);
        sum = _mm512_dpbusd_epi32(sum, hi, digit[d][1]);
      }
      __m512 scale = _mm512_permutexvar_ps(lanes, scales[c]);
      __m512 ux = _mm512_cvtepi32_ps(sum);
      if (SYMMETRIC) {
        acc[c] = _mm512_fmadd_ps(scale, _mm512_fmsub_ps(ux, unit, offset), acc[c]);
      } else {
        acc[c] = _mm512_fmadd_ps(scale, _mm512_mul_ps(ux, unit), acc[c]);
        acc[c] = _mm512_fmadd_ps(_mm512_permutexvar_ps(lanes, minimums[c]), xsum, acc[c]);
      }
    }
  }
  uk_store_row_sums(a, row, count, acc, 1.0f, NULL);
}

#define UK_DEFINE_DIGIT_RANGE(SYMMETRIC, NAME)                                                     \
  UK_DEFINE_FOUR_PART_RANGE(UK_VNNI_TARGET, uk_digit_##NAME, uk_digit_rows, uk_digit_args,         \
                            SYMMETRIC)
UK_DEFINE_DIGIT_RANGE(1, symmetric)
UK_DEFINE_DIGIT_RANGE(0, asymmetric)
#undef UK_DEFINE_DIGIT_RANGE

/*===--- 8 bits: four codes per 32-bit lane -------------------------------===*/

/* Rows rows[0..count) of symmetric 8-bit codes (UK_QCOLS, or 1 for a leftover
 * row) against one row of x, per channel or in groups of a multiple of 32.
 * Flipping a code's top bit gives u = q + 128 in 0..255, vpdpbusd's unsigned
 * operand; x's digits (four x to a lane) are the signed one. Per lane and
 * chunk T = (A0 128 + A1) 128 + A2 is exact (|T| <= 4 * 255 * (127 * 128^2
 * + 64 * 128 + 64) < 2^31: digits after the first are at most 64), and
 *   sum q x = s / 128^2 * T - 128 sum x,
 * subtracted per lane and chunk as the 4-bit kernels do. About 9 instructions
 * per 64 codes and row, against about 15 for slm_uk_linear_q8_avx512's. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_byte_digit_rows(const uk_digit_args *t, const int64_t *rows, int count, const int PER_CHANNEL) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  /* Codes past k (a row padded to whole groups) are zero: not read. */
  int64_t chunks = (w->k + UK_BYTE_CHUNK - 1) / UK_BYTE_CHUNK;
  const __m512i top = _mm512_set1_epi8((char)0x80);
  const __m512 flipped = _mm512_set1_ps(128.0f);
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
  __m512 acc[UK_QCOLS];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = _mm512_setzero_ps();
  for (int64_t ch = 0; ch < chunks; ++ch) {
    __mmask64 bytes = uk_byte_chunk_live(w, ch);
    __m512i digit[UK_DIGITS];
    for (int d = 0; d < UK_DIGITS; ++d)
      digit[d] = _mm512_load_si512(t->digits[ch * UK_DIGITS + d]);
    const __m512 unit = _mm512_load_ps(t->unit + 16 * ch);
    const __m512 offset = _mm512_mul_ps(flipped, _mm512_load_ps(t->sums + 16 * ch));
    int64_t g0 = 0;
    __mmask16 second = PER_CHANNEL ? 0 : uk_byte_chunk_groups(w, ch, &g0);
    for (int c = 0; c < UK_QCOLS; ++c) {
      const uint8_t *p = w->codes + row[c] * w->row_bytes + ch * UK_BYTE_CHUNK;
      UK_PREFETCH_AHEAD(p);
      /* bytes past k load as 0, u = 128, against digits of 0 */
      __m512i u = _mm512_xor_si512(_mm512_maskz_loadu_epi8(bytes, p), top);
      __m512i sum = _mm512_setzero_si512();
      for (int d = 0; d < UK_DIGITS; ++d) {
        if (d > 0)
          sum = _mm512_slli_epi32(sum, 7); /* times UK_DIGIT_BASE */
        sum = _mm512_dpbusd_epi32(sum, u, digit[d]);
      }
      __m512 qx = _mm512_fmsub_ps(_mm512_cvtepi32_ps(sum), unit, offset);
      if (PER_CHANNEL) {
        acc[c] = _mm512_add_ps(acc[c], qx);
        continue;
      }
      __m512 scale = uk_byte_chunk_scales(w->scales + row[c] * w->groups + g0, second);
      acc[c] = _mm512_fmadd_ps(scale, qx, acc[c]);
    }
  }
  uk_store_row_sums(a, row, count, acc, 1.0f, PER_CHANNEL ? w->scales : NULL);
}

#define UK_DEFINE_BYTE_DIGIT_RANGE(PER_CHANNEL, NAME)                                              \
  UK_DEFINE_FOUR_PART_RANGE(UK_VNNI_TARGET, uk_byte_digit_##NAME, uk_byte_digit_rows,              \
                            uk_digit_args, PER_CHANNEL)
UK_DEFINE_BYTE_DIGIT_RANGE(1, channel)
UK_DEFINE_BYTE_DIGIT_RANGE(0, grouped)
#undef UK_DEFINE_BYTE_DIGIT_RANGE

void slm_uk_linear_q8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const float *bias, float *y, int64_t m,
                           int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  /* groups of a multiple of 32 codes (the format's rule): no lane straddles two */
  if (m == 1 && k <= UK_DIGITS_MAX_K && group % 32 == 0) {
    uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, 8, group), bias, y, m, n};
    int8_t digits[UK_DIGITS_MAX_K / UK_BYTE_CHUNK * UK_DIGITS][64] __attribute__((aligned(64)));
    float unit[UK_DIGITS_MAX_K / 4] __attribute__((aligned(64)));
    float sums[UK_DIGITS_MAX_K / 4] __attribute__((aligned(64)));
    if (uk_x_as_byte_digits(x, k, digits, unit, sums)) {
      uk_digit_args t = {&a, (const int8_t(*)[64])digits, unit, sums};
      uk_parallel(ctx, n, uk_stream_grain(1, k, a.w.row_bytes),
                  a.w.groups == 1 ? uk_byte_digit_channel : uk_byte_digit_grouped, &t);
      return;
    }
  }
  slm_uk_linear_q8_avx512(ctx, x, codes, scales, bias, y, m, n, k, group);
}

/*===--- 4 bits -------------------------------------------------------------===*/

void slm_uk_linear_q4_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const uint16_t *minimums, const float *bias,
                           float *y, int64_t m, int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, 4, group), bias, y, m, n};
  if (m == 1 && k <= UK_DIGITS_MAX_K && UK_CHUNK % a.w.group == 0) {
    int8_t digits[UK_DIGITS_MAX_K / UK_CHUNK * UK_DIGITS * 2][64] __attribute__((aligned(64)));
    float unit[UK_DIGITS_MAX_K / 8] __attribute__((aligned(64)));
    float sums[UK_DIGITS_MAX_K / 8] __attribute__((aligned(64)));
    if (uk_x_as_nibble_digits(x, k, digits, unit, sums)) {
      uk_digit_args t = {&a, (const int8_t(*)[64])digits, unit, sums};
      uk_parallel(ctx, n, uk_stream_grain(1, k, a.w.row_bytes),
                  minimums ? uk_digit_asymmetric : uk_digit_symmetric, &t);
      return;
    }
  }
  slm_uk_linear_q4_avx512(ctx, x, codes, scales, minimums, NULL, bias, y, m, n, k, group);
}

#endif /* __x86_64__ */
