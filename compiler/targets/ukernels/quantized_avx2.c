/*===- quantized_avx2.c - weight-only decode of packed codes on AVX2 -*- C -*-===*
 *
 * slm_uk_linear_q4_avx2: 4-bit integer codes in groups of 32, 64 or 128
 * against one row of float x (decode) on x86-64 targets with AVX2, FMA and
 * F16C but not AVX-512 (Haswell to Zen 3, most laptops). The generic
 * slm_uk_linear_q4 widens 16 codes at a time into 16-lane vectors, which AVX2
 * holds as pairs of registers: its decode spilled and reached 3 GB/s of codes
 * in cache on one Zen 3 core, where one core reads 10 GB/s from memory.
 *
 * The codes are read in slm_uk_linear_q4_avx512's one-row order (uk_nibble_rows)
 * eight lanes at a time: a 64-byte chunk of a row is two 32-byte loads, lane l
 * of half h holding codes 8 (8h + l) .. + 7 of the chunk. x is written once per
 * call as three int8 digits per value on a scale per eight in that order, as
 * slm_uk_linear_q4_vnni does (exact to 2^-22 of the largest of the eight), and
 * vpmaddubsw/vpmaddwd sum codes times digits exactly in 32-bit lanes
 * (uk_digit8_rows): about 22 instructions per 64 codes and row, 7.2-7.6 GB/s
 * of codes in cache on the Zen 3 core where a float decode (a shift, an and
 * and an xor per eight codes for the float 1 + u/16, then a multiply-add) read
 * 4.7. Within the decode kernels' tolerance of the reference, not equal to it.
 *
 * Two or three rows of x, rows longer than UK_NIBBLE_MAX_K, an x that digits
 * cannot carry (an infinity, a NaN) and prefill are slm_uk_linear_q4's.
 *
 * slm_uk_linear_q8_avx2: symmetric 8-bit codes, one row of x, eight codes per
 * sign-extending load and conversion against x in order, each group's sums
 * scaled once, as slm_uk_linear_q8 computes them; its 16-lane vectors are
 * register pairs on AVX2 (1.2-1.5x slower in slm-kernel-bench). Other calls
 * are slm_uk_linear_q8's. Digits do not pay for bytes without vpdpbusd: a
 * code and three digits take more instructions (a sign, a vpmaddubsw and a
 * vpmaddwd per digit) than one conversion and one multiply-add.
 *
 * slm_uk_linear_wide_avx2 (5- to 7-bit and asymmetric 8-bit integer codes)
 * and slm_uk_linear_table_avx2 (2- to 4-bit codebooks), the formats
 * `--quant auto` gives most layers, in groups of 32, 64 or 128, one row of x
 * at a time: slm_uk_linear_wide_avx512's and _table_avx512's decodes on eight
 * lanes, where the generic slm_uk_linear_qany copies codes through the stack
 * (2.4-2.9 GB/s of 6-bit codes, 0.6-0.9 GB/s of codebook codes on the Zen 3
 * core). The table kernel computes qany's floats exactly.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_qlinear.h"

/* x86 only: other targets' bitcode has no AVX2 kernel. */
#if defined(__x86_64__)
#include <immintrin.h>

/* Lets every x86-64 bitcode carry this code; the lowering calls it only for
 * targets with the features. */
#define UK_AVX2_TARGET __attribute__((target("avx2,fma,f16c")))

/* A row's f16 scales (or minimums) are widened eight at a time, a span of
 * 8 * group / UK_CHUNK chunks, and spread over each half chunk's lanes by a
 * permute. Groups g .. g + 7 of `row_values` (those past the row's last
 * group 0). */
UK_AVX2_TARGET static inline __m256 uk_eight_halves(const uk_qmatrix *w,
                                                    const uint16_t *row_values, int64_t g) {
  int64_t live = uk_min(8, w->groups - g);
  uint16_t part[8] = {0};
  const uint16_t *from = row_values + g;
  if (live < 8) {
    memcpy(part, from, sizeof(uint16_t) * (size_t)live);
    from = part;
  }
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)from));
}

/* The sum of v's eight lanes. */
UK_AVX2_TARGET static inline float uk_sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* y for rows row[0..count): each acc's lane sum (plus tail[c], if any) and
 * the bias. */
UK_AVX2_TARGET static inline void uk_store_row_sums8(const uk_qlinear_args *a, const int64_t *row,
                                                     int count, const __m256 *acc,
                                                     const float *tail) {
  for (int c = 0; c < count; ++c) {
    float d = tail ? uk_sum8(acc[c]) + tail[c] : uk_sum8(acc[c]);
    a->y[row[c]] = a->bias ? d + a->bias[row[c]] : d;
  }
}

/*===--- 4 bits against x as int8 digits -----------------------------------===*/

/* x as three int8 digits per code in the 4-bit codes' order (uk_digit_args),
 * as slm_uk_linear_q4_vnni writes them; 0 if a lane's sum is not finite. */
UK_AVX2_TARGET static int uk_x_as_nibble_digits(const float *x, int64_t k,
                                                int8_t (*digits)[64], float *unit,
                                                float *sums) {
  const __m256 zero = _mm256_setzero_ps(), base = _mm256_set1_ps((float)UK_DIGIT_BASE);
  const __m256 digit_unit = _mm256_set1_ps((float)(1.0 / (UK_DIGIT_BASE * UK_DIGIT_BASE)));
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256i byte = _mm256_set1_epi32(0xFF);
  int64_t chunks = (k + UK_CHUNK - 1) / UK_CHUNK;
  for (int64_t c = 0; c < chunks; ++c) {
    float ordered[UK_CHUNK] __attribute__((aligned(32))); /* uk_lane_order_x's */
    uk_lane_order_x(x + c * UK_CHUNK, uk_min(UK_CHUNK, k - c * UK_CHUNK), 8, ordered,
                    sums + 16 * c);
    for (int half = 0; half < 2; ++half) { /* lanes 8 half .. + 7 */
      __m256 v[8], largest = zero;
      for (int j = 0; j < 8; ++j) {
        v[j] = _mm256_load_ps(ordered + 16 * j + 8 * half);
        largest = _mm256_max_ps(largest, _mm256_and_ps(v[j], magnitude));
      }
      __m256 sum = _mm256_load_ps(sums + 16 * c + 8 * half);
      if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(sum, sum), zero, _CMP_EQ_OQ)) != 0xFF)
        return 0;
      __m256 scale = _mm256_div_ps(largest, _mm256_set1_ps(127.0f));
      _mm256_store_ps(unit + 16 * c + 8 * half, _mm256_mul_ps(scale, digit_unit));
      __m256 per_scale = _mm256_and_ps(_mm256_cmp_ps(largest, zero, _CMP_GT_OQ),
                                       _mm256_div_ps(_mm256_set1_ps(1.0f), scale));
      __m256i digit[UK_DIGITS][8];
      for (int j = 0; j < 8; ++j) {
        __m256 t = _mm256_mul_ps(v[j], per_scale); /* |t| <= 127 */
        for (int d = 0; d < UK_DIGITS; ++d) {
          __m256 nearest = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
          digit[d][j] = _mm256_and_si256(_mm256_cvtps_epi32(nearest), byte);
          t = _mm256_mul_ps(_mm256_sub_ps(t, nearest), base); /* exact */
        }
      }
      for (int d = 0; d < UK_DIGITS; ++d)
        for (int h = 0; h < 2; ++h) {
          __m256i packed = digit[d][h];
          for (int i = 1; i < 4; ++i)
            packed = _mm256_or_si256(packed, _mm256_slli_epi32(digit[d][2 * i + h], 8 * i));
          _mm256_store_si256((__m256i *)(digits[(c * UK_DIGITS + d) * 2 + h] + 32 * half), packed);
        }
    }
  }
  return 1;
}

/* Rows rows[0..count) of w (count is UK_QCOLS, or 1 for a leftover row,
 * whose lanes repeat it) against x's digits; groups of 32, 64 or 128 codes,
 * so a chunk holds 4, 2 or 1 whole groups. One row's chunk at a time (four
 * rows' chunks at once would spill AVX2's 16 registers). Per lane
 * of a chunk half, vpmaddubsw multiplies its codes (u, unsigned) by a digit's
 * bytes (signed) and sums pairs into 16 bits (|sum| <= 2 * 15 * 127, and the
 * low and high nibbles' sums add without overflow); vpmaddwd by 128^(2 - d)
 * sums those pairs into the lane's exact
 *   T = (A0 128 + A1) 128 + A2,   A_d = sum of u d_d,   |T| < 2^31,
 * and sum u x = unit T. As in slm_uk_linear_q4_vnni, the symmetric sum is that
 * minus 8 sum x and the asymmetric one adds minimum sum x. About 22
 * instructions per 64 codes and row, against 35 for a float decode (above). */
UK_AVX2_TARGET static inline __attribute__((always_inline)) void
uk_digit8_rows(const uk_digit_args *t, const int64_t *rows, int count, const int SYMMETRIC) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  int64_t chunks = (w->row_bytes + 63) / 64, span = 8 * w->group / UK_CHUNK;
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i flip = _mm256_set1_epi8(SYMMETRIC ? (char)0x88 : 0);
  const __m256i weight[UK_DIGITS] = {_mm256_set1_epi16(128 * 128), _mm256_set1_epi16(128),
                                     _mm256_set1_epi16(1)};
  const __m256 eight = _mm256_set1_ps(8.0f);
  const __m256i group_shift = _mm256_set1_epi32(__builtin_ctzll((unsigned long long)w->group));
  const __m256i lane_words = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i first_code = _mm256_slli_epi32(lane_words, 3);
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
  __m256 scales[UK_QCOLS], minimums[UK_QCOLS], acc[UK_QCOLS];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = minimums[c] = _mm256_setzero_ps();
  for (int64_t s0 = 0; s0 < chunks; s0 += span) {
    int64_t g = s0 * UK_CHUNK / w->group;
    for (int c = 0; c < UK_QCOLS; ++c) {
      scales[c] = uk_eight_halves(w, w->scales + row[c] * w->groups, g);
      if (!SYMMETRIC)
        minimums[c] = uk_eight_halves(w, w->minimums + row[c] * w->groups, g);
    }
    for (int64_t ch = s0; ch < uk_min(s0 + span, chunks); ++ch) {
      int64_t words = uk_min(16, (w->row_bytes - ch * 64) / 4);
      __m256i at = _mm256_add_epi32(first_code, _mm256_set1_epi32((int32_t)((ch - s0) * UK_CHUNK)));
      __m256i lanes[2] = {_mm256_srlv_epi32(at, group_shift),
                          _mm256_srlv_epi32(_mm256_add_epi32(at, _mm256_set1_epi32(64)),
                                            group_shift)};
      const int8_t(*digit)[64] = t->digits + ch * UK_DIGITS * 2;
      __m256 unit[2], xsum[2], offset[2];
      for (int h = 0; h < 2; ++h) {
        unit[h] = _mm256_load_ps(t->unit + 16 * ch + 8 * h);
        xsum[h] = _mm256_load_ps(t->sums + 16 * ch + 8 * h);
        offset[h] = SYMMETRIC ? _mm256_mul_ps(eight, xsum[h]) : _mm256_setzero_ps();
      }
#pragma clang loop unroll(disable)
      for (int c = 0; c < UK_QCOLS; ++c) {
        const uint8_t *p = w->codes + row[c] * w->row_bytes + ch * 64;
        UK_PREFETCH_AHEAD(p);
        __m256i v[2];
        if (words == 16) {
          v[0] = _mm256_loadu_si256((const __m256i *)p);
          v[1] = _mm256_loadu_si256((const __m256i *)(p + 32));
        } else { /* the row's last chunk, short; codes past it meet zero digits */
          __m256i n = _mm256_set1_epi32((int32_t)words);
          v[0] = _mm256_maskload_epi32((const int *)p, _mm256_cmpgt_epi32(n, lane_words));
          v[1] = _mm256_maskload_epi32((const int *)(p + 32),
                                       _mm256_cmpgt_epi32(_mm256_sub_epi32(n, _mm256_set1_epi32(8)),
                                                          lane_words));
        }
        for (int h = 0; h < 2; ++h) {
          __m256i u = _mm256_xor_si256(v[h], flip); /* symmetric: q + 8 in each nibble */
          __m256i lo = _mm256_and_si256(u, nibble);
          __m256i hi = _mm256_and_si256(_mm256_srli_epi16(u, 4), nibble);
          __m256i sum = _mm256_setzero_si256();
          for (int d = 0; d < UK_DIGITS; ++d) {
            const int8_t *dd = digit[d * 2] + 32 * h, *dh = digit[d * 2 + 1] + 32 * h;
            __m256i pairs =
                _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_load_si256((const __m256i *)dd)),
                                 _mm256_maddubs_epi16(hi, _mm256_load_si256((const __m256i *)dh)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, weight[d]));
          }
          __m256 ux = _mm256_cvtepi32_ps(sum);
          __m256 scale = _mm256_permutevar8x32_ps(scales[c], lanes[h]);
          acc[c] = _mm256_fmadd_ps(scale, _mm256_fmsub_ps(ux, unit[h], offset[h]), acc[c]);
          if (!SYMMETRIC)
            acc[c] = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(minimums[c], lanes[h]), xsum[h],
                                     acc[c]);
        }
      }
    }
  }
  uk_store_row_sums8(a, row, count, acc, NULL);
}

UK_DEFINE_FOUR_PART_RANGE(UK_AVX2_TARGET, uk_digit8_symmetric, uk_digit8_rows, uk_digit_args, 1)
UK_DEFINE_FOUR_PART_RANGE(UK_AVX2_TARGET, uk_digit8_asymmetric, uk_digit8_rows, uk_digit_args, 0)

void slm_uk_linear_q4_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const uint16_t *minimums, const float *bias,
                           float *y, int64_t m, int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  if (m == 1 && k <= UK_NIBBLE_MAX_K && group >= 32 && UK_CHUNK % group == 0) {
    uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, 4, group), bias, y, m, n};
    int8_t digits[UK_NIBBLE_MAX_K / UK_CHUNK * UK_DIGITS * 2][64] __attribute__((aligned(64)));
    float unit[UK_NIBBLE_MAX_K / 8] __attribute__((aligned(64)));
    float sums[UK_NIBBLE_MAX_K / 8] __attribute__((aligned(64)));
    if (uk_x_as_nibble_digits(x, k, digits, unit, sums)) {
      uk_digit_args t = {&a, (const int8_t(*)[64])digits, unit, sums};
      uk_parallel(ctx, n, uk_stream_grain(1, k, a.w.row_bytes),
                  minimums ? uk_digit8_asymmetric : uk_digit8_symmetric, &t);
      return;
    }
  }
  slm_uk_linear_q4(ctx, x, codes, scales, minimums, bias, y, m, n, k, group);
}

/*===--- 5- to 8-bit integer codes, one row of x ---------------------------===*/

/* slm_uk_linear_wide_avx512's decode on eight lanes (see there): code i of a
 * window of 16 (2 * BITS bytes) has its two bytes brought to the bottom of
 * 32-bit lane i % 8 of vector i / 8 by a broadcast load and one vpshufb,
 * whose control `code_bytes[i / 8]` this builds. */
UK_AVX2_TARGET static inline __m256i uk_code_bytes8(int half, const int BITS) {
  uint8_t control[32];
  for (int j = 0; j < 8; ++j) {
    int i = 8 * half + j;
    control[4 * j] = (uint8_t)(i * BITS / 8);
    control[4 * j + 1] = (uint8_t)(i * BITS / 8 + 1);
    control[4 * j + 2] = control[4 * j + 3] = 0x80;
  }
  return _mm256_loadu_si256((const __m256i *)control);
}

/* The shift that puts code 8 half + j's lowest bit, at bit (8 half + j) *
 * BITS % 8 of its window, at bit 23 - BITS. */
UK_AVX2_TARGET static inline __m256i uk_code_lifts8(int half, const int BITS) {
  int32_t lift[8];
  for (int j = 0; j < 8; ++j)
    lift[j] = 23 - BITS - (8 * half + j) * BITS % 8;
  return _mm256_loadu_si256((const __m256i *)lift);
}

/* The 2 * BITS bytes of the window of 16 codes at p in both 128-bit lanes. A
 * window whose 16-byte load would pass the row's end (`masked`) is copied
 * first. */
UK_AVX2_TARGET static inline __m256i uk_window16(const uint8_t *p, int masked, const int BITS) {
  if (masked) {
    uint8_t copy[16] = {0};
    memcpy(copy, p, 2 * BITS);
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)copy));
  }
  return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p));
}

/* Codes 0..7 and 8..15 of the window at p as the floats 1 + u / 2^BITS (u ^
 * 2^(BITS - 1) where `one` flips a symmetric code's top bit). */
UK_AVX2_TARGET static inline __attribute__((always_inline)) void
uk_wide8_as_floats(const uint8_t *p, int masked, const __m256i code_bytes[2],
                   const __m256i lifts[2], __m256i at, __m256i one, const int BITS,
                   __m256 out[2]) {
  __m256i bytes = uk_window16(p, masked, BITS);
  for (int h = 0; h < 2; ++h) {
    __m256i window = _mm256_sllv_epi32(_mm256_shuffle_epi8(bytes, code_bytes[h]), lifts[h]);
    out[h] = _mm256_castsi256_ps(_mm256_xor_si256(_mm256_and_si256(window, at), one));
  }
}

/* Rows rows[0..count) of w (as uk_digit8_rows) against one row of x; codes
 * of BITS bits in groups of 32, 64 or 128. Lane l of a group's sums holds
 * codes l, l + 8, l + 16 and l + 24 of each block, so its sum of x is that of
 * uk_wide_x's lanes l and l + 8. */
UK_AVX2_TARGET static inline __attribute__((always_inline)) void
uk_wide8_rows(const uk_wide_args *t, const int64_t *rows, int count, const int BITS,
              const int SYMMETRIC) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  int64_t blocks_per_group = w->group / UK_QBLOCK;
  const int64_t block_bytes = UK_QBLOCK * BITS / 8;
  const __m256i code_bytes[2] = {uk_code_bytes8(0, BITS), uk_code_bytes8(1, BITS)};
  const __m256i lifts[2] = {uk_code_lifts8(0, BITS), uk_code_lifts8(1, BITS)};
  const __m256i at = _mm256_set1_epi32(((1 << BITS) - 1) << (23 - BITS));
  const __m256i one = _mm256_set1_epi32(SYMMETRIC ? 0x3F800000 | 1 << 22 : 0x3F800000);
  const __m256 offset = _mm256_set1_ps(SYMMETRIC ? 1.5f : 1.0f);
  const __m256 unit = _mm256_set1_ps((float)(1 << BITS));
  float scale[UK_QCOLS][8], minimum[UK_QCOLS][8];
  int64_t row[UK_QCOLS];
  const uint8_t *codes[UK_QCOLS];
  uk_qcols_code_rows(w, rows, count, row, codes);
  __m256 acc[UK_QCOLS];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = _mm256_setzero_ps();
  for (int64_t g0 = 0; g0 < w->groups; g0 += 8) {
    for (int c = 0; c < UK_QCOLS; ++c) {
      _mm256_storeu_ps(scale[c],
                       _mm256_mul_ps(unit, uk_eight_halves(w, w->scales + row[c] * w->groups, g0)));
      if (!SYMMETRIC)
        _mm256_storeu_ps(minimum[c], uk_eight_halves(w, w->minimums + row[c] * w->groups, g0));
    }
    for (int64_t g = g0; g < g0 + 8 && g < w->groups; ++g) {
      __m256 sum[UK_QCOLS]; /* in registers: the four rows' loop is unrolled */
      for (int c = 0; c < UK_QCOLS; ++c)
        sum[c] = _mm256_setzero_ps();
      for (int64_t b = g * blocks_per_group; b < (g + 1) * blocks_per_group; ++b) {
        const float *x = t->x + b * UK_QBLOCK;
        int masked = uk_block_needs_mask(w, b, BITS);
        for (int c = 0; c < UK_QCOLS; ++c) {
          const uint8_t *p = codes[c] + b * block_bytes;
          UK_PREFETCH_AHEAD(p);
          __m256 q[4];
          uk_wide8_as_floats(p, masked, code_bytes, lifts, at, one, BITS, q);
          uk_wide8_as_floats(p + 2 * BITS, masked, code_bytes, lifts, at, one, BITS, q + 2);
          for (int i = 0; i < 4; ++i)
            sum[c] = _mm256_fmadd_ps(q[i], _mm256_loadu_ps(x + 8 * i), sum[c]);
        }
      }
      const __m256 xsum =
          _mm256_add_ps(_mm256_loadu_ps(t->sums + 16 * g), _mm256_loadu_ps(t->sums + 16 * g + 8));
      for (int c = 0; c < UK_QCOLS; ++c) {
        __m256 part = _mm256_fnmadd_ps(offset, xsum, sum[c]);
        acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(scale[c][g - g0]), part, acc[c]);
        if (!SYMMETRIC)
          acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(minimum[c][g - g0]), xsum, acc[c]);
      }
    }
  }
  uk_store_row_sums8(a, row, count, acc, NULL);
}

#define UK_DEFINE_WIDE8_RANGE(BITS, SYMMETRIC, NAME)                                               \
  UK_DEFINE_FOUR_PART_RANGE(UK_AVX2_TARGET, uk_wide8_##BITS##_##NAME, uk_wide8_rows, uk_wide_args, \
                            BITS, SYMMETRIC)
UK_DEFINE_WIDE8_RANGE(5, 1, symmetric)
UK_DEFINE_WIDE8_RANGE(6, 1, symmetric)
UK_DEFINE_WIDE8_RANGE(7, 1, symmetric)
UK_DEFINE_WIDE8_RANGE(5, 0, asymmetric)
UK_DEFINE_WIDE8_RANGE(6, 0, asymmetric)
UK_DEFINE_WIDE8_RANGE(7, 0, asymmetric)
UK_DEFINE_WIDE8_RANGE(8, 0, asymmetric)
#undef UK_DEFINE_WIDE8_RANGE

void slm_uk_linear_wide_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const uint16_t *minimums, const float *bias,
                             float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                             int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn symmetric[] = {uk_wide8_5_symmetric, uk_wide8_6_symmetric,
                                          uk_wide8_7_symmetric};
  static const uk_range_fn asymmetric[] = {uk_wide8_5_asymmetric, uk_wide8_6_asymmetric,
                                           uk_wide8_7_asymmetric, uk_wide8_8_asymmetric};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, bits, group), bias, y, m, n};
  uk_wide_linear(ctx, &a, symmetric, asymmetric);
}

/*===--- 2- to 4-bit codebooks, one row of x ------------------------------===*/

/* Code 8 half + j's first bit in its window (uk_code_bytes8). */
UK_AVX2_TARGET static inline __m256i uk_code_offsets8(int half, const int BITS) {
  int32_t offset[8];
  for (int j = 0; j < 8; ++j)
    offset[j] = (8 * half + j) * BITS % 8;
  return _mm256_loadu_si256((const __m256i *)offset);
}

/* slm_uk_linear_qany's codebook decode (uk_qfast_dot_rows with UK_TABLE, one
 * row of x) in the same floats: per group, table[q] = codebook[q] * scale
 * rounded once; codes come to their lanes as in uk_wide8_rows and vpermps
 * picks their entries (2 and 3 bits: one lookup in the codebook repeated to
 * eight entries, which ignores the next code's bits above; 4 bits: two
 * lookups and a blend by bit 3). The 16 lanes of qany's sums are two vectors
 * here, lo (codes 0..7 of each 16) and hi (8..15), each lane multiplied and
 * added in qany's order, and folded by its tree (lo + hi, then uk_sum8). */
UK_AVX2_TARGET static inline __attribute__((always_inline)) void
uk_table8_rows(const uk_qlinear_args *a, const int64_t *rows, int count, const int BITS) {
  const uk_qmatrix *w = &a->w;
  int64_t k = w->k, full = k / UK_QBLOCK, blocks = (k + UK_QBLOCK - 1) / UK_QBLOCK;
  int64_t blocks_per_group = w->group / UK_QBLOCK;
  const int64_t block_bytes = UK_QBLOCK * BITS / 8;
  float xtail[1][UK_QBLOCK];
  uk_qlinear_x_tail(a, 1, xtail);
  const __m256i code_bytes[2] = {uk_code_bytes8(0, BITS), uk_code_bytes8(1, BITS)};
  const __m256i offsets[2] = {uk_code_offsets8(0, BITS), uk_code_offsets8(1, BITS)};
  __m256 book[2]; /* entries 0..7 and 8..15, repeated for 2 and 3 bits */
  for (int h = 0; h < 2; ++h) {
    float entries[8];
    for (int e = 0; e < 8; ++e)
      entries[e] = w->codebook[(8 * h + e) % (1 << BITS)];
    book[h] = _mm256_loadu_ps(entries);
  }
  int64_t row[UK_QCOLS];
  const uint8_t *codes[UK_QCOLS];
  uk_qcols_code_rows(w, rows, count, row, codes);
  __m256 acc[UK_QCOLS][2];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c][0] = acc[c][1] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w->groups; ++g) {
    __m256 table[UK_QCOLS][2];
    for (int c = 0; c < UK_QCOLS; ++c) {
      __m256 scale = _mm256_set1_ps(uk_half_to_float(w->scales[row[c] * w->groups + g]));
      table[c][0] = _mm256_mul_ps(book[0], scale);
      table[c][1] = _mm256_mul_ps(book[1], scale);
    }
    int64_t b0 = g * blocks_per_group, b1 = uk_min(b0 + blocks_per_group, blocks);
    for (int64_t b = b0; b < b1; ++b) {
      const float *x = b < full ? a->x + b * UK_QBLOCK : xtail[0];
      int masked = uk_block_needs_mask(w, b, BITS);
      for (int c = 0; c < UK_QCOLS; ++c) {
        const uint8_t *p = codes[c] + b * block_bytes;
        UK_PREFETCH_AHEAD(p);
        for (int window = 0; window < 2; ++window) { /* codes 0..15 of the block, then 16..31 */
          __m256i bytes = uk_window16(p + window * 2 * BITS, masked, BITS);
          for (int h = 0; h < 2; ++h) {
            __m256i q = _mm256_srlv_epi32(_mm256_shuffle_epi8(bytes, code_bytes[h]), offsets[h]);
            __m256 v = _mm256_permutevar8x32_ps(table[c][0], q);
            if (BITS == 4)
              v = _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(table[c][1], q),
                                   _mm256_castsi256_ps(_mm256_slli_epi32(q, 28)));
            acc[c][h] = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + 16 * window + 8 * h), acc[c][h]);
          }
        }
      }
    }
  }
  __m256 folded[UK_QCOLS]; /* qany's fold: lanes l and l + 8, then uk_sum8's tree */
  for (int c = 0; c < UK_QCOLS; ++c)
    folded[c] = _mm256_add_ps(acc[c][0], acc[c][1]);
  uk_store_row_sums8(a, row, count, folded, NULL);
}

UK_DEFINE_FOUR_PART_RANGE(UK_AVX2_TARGET, uk_table8_2, uk_table8_rows, uk_qlinear_args, 2)
UK_DEFINE_FOUR_PART_RANGE(UK_AVX2_TARGET, uk_table8_3, uk_table8_rows, uk_qlinear_args, 3)
UK_DEFINE_FOUR_PART_RANGE(UK_AVX2_TARGET, uk_table8_4, uk_table8_rows, uk_qlinear_args, 4)

void slm_uk_linear_table_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                              const uint16_t *scales, const float *codebook, const float *bias,
                              float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                              int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn ranges[] = {uk_table8_2, uk_table8_3, uk_table8_4};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, bits, group), bias, y, m, n};
  a.w.codebook = codebook;
  /* a row of x at a time, as slm_uk_linear_qany, so the same floats */
  uk_quantized_linear_by_rows(ctx, &a, ranges[bits - 2]);
}

/*===--- symmetric 8-bit codes, one row of x ------------------------------===*/

/* Eight codes at p as floats: one sign-extending load and one conversion,
 * against x in its own order. */
UK_AVX2_TARGET static inline __m256 uk_bytes8_as_float(const uint8_t *p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* Rows rows[0..count) of w (as uk_digit8_rows) against one row of x; groups
 * of a multiple of 32 codes, or one per row (per channel, any k). Each group's
 * sums are scaled once. */
UK_AVX2_TARGET static inline __attribute__((always_inline)) void
uk_bytes8_rows(const uk_qlinear_args *a, const int64_t *rows, int count) {
  const uk_qmatrix *w = &a->w;
  int64_t k = w->k;
  int64_t row[UK_QCOLS];
  const uint8_t *codes[UK_QCOLS];
  uk_qcols_code_rows(w, rows, count, row, codes);
  __m256 acc[UK_QCOLS];
  float tail[UK_QCOLS] = {0};
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = _mm256_setzero_ps();
  for (int64_t g = 0; g < w->groups; ++g) {
    int64_t p = g * w->group, end = uk_min(p + w->group, k);
    __m256 part[UK_QCOLS][2];
    for (int c = 0; c < UK_QCOLS; ++c)
      part[c][0] = part[c][1] = _mm256_setzero_ps();
    for (; p + 16 <= end; p += 16) {
      __m256 x0 = _mm256_loadu_ps(a->x + p), x1 = _mm256_loadu_ps(a->x + p + 8);
      for (int c = 0; c < UK_QCOLS; ++c) {
        if (p % 64 == 0)
          UK_PREFETCH_AHEAD(codes[c] + p);
        part[c][0] = _mm256_fmadd_ps(uk_bytes8_as_float(codes[c] + p), x0, part[c][0]);
        part[c][1] = _mm256_fmadd_ps(uk_bytes8_as_float(codes[c] + p + 8), x1, part[c][1]);
      }
    }
    if (p + 8 <= end) { /* a per-channel row's last few codes */
      __m256 x0 = _mm256_loadu_ps(a->x + p);
      for (int c = 0; c < UK_QCOLS; ++c)
        part[c][0] = _mm256_fmadd_ps(uk_bytes8_as_float(codes[c] + p), x0, part[c][0]);
      p += 8;
    }
    for (int c = 0; c < UK_QCOLS; ++c) {
      float scale = uk_half_to_float(w->scales[row[c] * w->groups + g]), rest = 0.0f;
      for (int64_t q = p; q < end; ++q)
        rest = __builtin_fmaf((float)(int8_t)codes[c][q], a->x[q], rest);
      acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(scale), _mm256_add_ps(part[c][0], part[c][1]),
                               acc[c]);
      tail[c] = __builtin_fmaf(scale, rest, tail[c]);
    }
  }
  uk_store_row_sums8(a, row, count, acc, tail);
}

UK_AVX2_TARGET static void uk_bytes8_some_rows(void *arg, const int64_t *rows, int count) {
  uk_bytes8_rows((const uk_qlinear_args *)arg, rows, count);
}
UK_AVX2_TARGET static void uk_bytes8(void *arg, int64_t begin, int64_t end) {
  uk_rows_in_four_parts(begin, end, uk_bytes8_some_rows, arg);
}

void slm_uk_linear_q8_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const float *bias, float *y, int64_t m,
                           int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, 8, group), bias, y, m, n};
  if (m == 1 && (a.w.groups == 1 || group % 32 == 0)) {
    uk_parallel(ctx, n, uk_stream_grain(1, k, a.w.row_bytes), uk_bytes8, &a);
    return;
  }
  slm_uk_linear_q8(ctx, x, codes, scales, bias, y, m, n, k, group);
}

#endif /* __x86_64__ */
