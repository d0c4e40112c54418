/*===- quantized_avx512.c - 4- to 8-bit and codebook decode on AVX-512 -*- C -*-===*
 *
 * slm_uk_linear_q4, slm_uk_linear_q8, the 2- and 3-bit codebook formats and
 * 5- to 8-bit integer codes (slm_uk_linear_wide_avx512)
 * for AVX-512 targets. Decode (m < 4) reads every weight once, so it is as fast as it
 * turns codes into floats. vpermps picks one of 16 floats per lane by the
 * low 4 bits of an index: with the decoded values of a group (q * scale,
 * plus minimum; or codebook[q] * scale) as the table, one vpermps decodes 16
 * codes exactly as the reference does, so a non-uniform grid decodes as fast
 * as integer codes.
 * - 4 bits, one row of x (decode): eight codes per 32-bit lane of a 64-byte
 *   load, decoded without the table or a conversion (uk_nibble_rows, below).
 * - 4 bits, two or three rows of x: 16 bytes zero-extended to 16 lanes give
 *   the low nibbles as indices, and shifted by 4 the high ones: codes 2t and
 *   2t + 1 of the block in lane t, which the x of the block is permuted to
 *   match.
 * - 2 and 3 bits (codebooks): the 16 codes of 2 * bits bytes brought to
 *   their lanes by a broadcast load, one vpshufb and one shift
 *   (uk_code_windows; vpermps reads the low 4 bits of each, so the table
 *   repeats the codebook to 16 entries and the next code's bits above do not
 *   matter), in order, against x in order: the same products and sums as
 *   slm_uk_linear_qany's decode, so the same floats (its table decode reads
 *   the table lane by lane, a third of a 0.5B model's decode).
 * - 8 bits, one row of x (decode): four codes per 32-bit lane, as the 4-bit
 *   decode (uk_byte_rows); other calls are slm_uk_linear_q8's.
 * - 5 to 8 bits (integer codes, but not symmetric 8-bit ones), one row of x
 *   at a time: 16 codes by a broadcast load, one vpshufb, one shift and one
 *   vpternlogd as floats 1 + u / 2^bits (uk_wide_rows); prefill (m >= 4) is
 *   slm_uk_linear_qany's.
 * Prefill (m >= 4) is the generic GEMM on decoded panels (uk_qlinear.h).
 *
 * The lowering calls these kernels only for targets with AVX-512 F/BW/VL.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_avx512.h"

/* x86 only: other targets' bitcode has no AVX-512 kernel. */
#if defined(__x86_64__)
#define UK_LUT_SCALES 16 /* groups whose scales are converted at once: one vcvtph2ps */

/* 16 codes of BITS bits (2..8) packed in 2 * BITS bytes: code i is in bytes
 * i * BITS / 8 and the next, from bit i * BITS % 8 of them. The generic
 * kernels' uk_unpack16 copies those bytes through the stack and widens two
 * shuffles of them; here a broadcast load copies them to every 128-bit lane
 * and one vpshufb puts code i's two bytes at the bottom of 32-bit lane i
 * (zeros above). The loads read 16 bytes, so where that would pass the end
 * of the row (`masked`) only the 2 * BITS bytes are loaded. */
UK_AVX512_TARGET static inline __m512i uk_code_bytes(const int BITS) {
  uint8_t control[64];
  for (int i = 0; i < 16; ++i) {
    control[4 * i] = (uint8_t)(i * BITS / 8);
    control[4 * i + 1] = (uint8_t)(i * BITS / 8 + 1);
    control[4 * i + 2] = control[4 * i + 3] = 0x80;
  }
  return _mm512_loadu_si512(control);
}

/* Lane i: the bit of its two bytes where code i starts. */
UK_AVX512_TARGET static inline __m512i uk_code_offsets(const int BITS) {
  int32_t offset[16];
  for (int i = 0; i < 16; ++i)
    offset[i] = i * BITS % 8;
  return _mm512_loadu_si512(offset);
}

UK_AVX512_TARGET static inline __m512i uk_code_windows(const uint8_t *p, int masked,
                                                       __m512i code_bytes, const int BITS) {
  __m512i bytes =
      masked
          ? _mm512_broadcast_i32x4(_mm_maskz_loadu_epi8((__mmask16)((1u << (2 * BITS)) - 1), p))
          : _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p));
  return _mm512_shuffle_epi8(bytes, code_bytes);
}

/* Rows rows[0..count) of w (count is UK_QCOLS, or 1 for a leftover row, whose
 * lanes repeat it) against M rows of x (M < UK_DOT_MAX_M); codes of BITS bits
 * (4, or 2 and 3 with a codebook) in groups of 32, 64 or 128 (whole blocks of
 * UK_QBLOCK). */
UK_AVX512_TARGET static inline __attribute__((always_inline)) void
uk_lut_rows(const uk_qlinear_args *a, const int64_t *rows, int count, const int M, const int BITS,
            const int SYMMETRIC, const int CODEBOOK) {
  const uk_qmatrix *w = &a->w;
  int64_t n = a->n, k = w->k;
  int64_t full = k / UK_QBLOCK, blocks = (k + UK_QBLOCK - 1) / UK_QBLOCK;
  int64_t blocks_per_group = w->group / UK_QBLOCK;
  float xtail[UK_DOT_MAX_M - 1][UK_QBLOCK];
  uk_qlinear_x_tail(a, M, xtail);
  /* Table entry u: the code whose nibble is u, as a float; symmetric codes
   * are stored as u ^ 8 = q + 8, so q * scale = fma(u ^ 8, scale, -8 scale). */
  /* A codebook of 2^BITS entries repeats to 16, so that vpermps, which reads
   * the low 4 bits of an index, may read the next code's bits above a code. */
  const __m512 codes16 = CODEBOOK    ? _mm512_permutexvar_ps(
                                        _mm512_and_si512(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7,
                                                                           8, 9, 10, 11, 12, 13,
                                                                           14, 15),
                                                         _mm512_set1_epi32((1 << BITS) - 1)),
                                        _mm512_maskz_loadu_ps(
                                            (__mmask16)((1u << (1 << BITS)) - 1), w->codebook))
                         : SYMMETRIC ? _mm512_setr_ps(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4,
                                                      5, 6, 7)
                                     : _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                                      13, 14, 15);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i code_bytes = uk_code_bytes(BITS), code_offsets = uk_code_offsets(BITS);
  float scale[UK_QCOLS][UK_LUT_SCALES], shift[UK_QCOLS][UK_LUT_SCALES];
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
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
            int masked = uk_block_needs_mask(w, b, BITS);
            __m512i q0 = _mm512_srlv_epi32(uk_code_windows(p, masked, code_bytes, BITS), code_offsets);
            __m512i q1 = _mm512_srlv_epi32(
                uk_code_windows(p + 2 * BITS, masked, code_bytes, BITS), code_offsets);
            lo = _mm512_permutexvar_ps(q0, table[c]);
            hi = _mm512_permutexvar_ps(q1, table[c]);
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
    for (int c = 0; c < count; ++c) {
      float d = _mm512_reduce_add_ps(acc[i][c]); /* uk_fold_sum's tree: 8 + 8, 4 + 4, ... */
      a->y[i * n + row[c]] = a->bias ? d + a->bias[row[c]] : d;
    }
}

/* Range functions for uk_parallel: items are rows of w, UK_QCOLS at a time
 * from as many parts of the range (uk_rows_in_four_parts). */
#define UK_DEFINE_LUT_RANGE(M, BITS, SYMMETRIC, CODEBOOK, NAME)                                    \
  UK_DEFINE_FOUR_PART_RANGE(UK_AVX512_TARGET, uk_lut##BITS##_m##M##_##NAME, uk_lut_rows,           \
                            uk_qlinear_args, M, BITS, SYMMETRIC, CODEBOOK)
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

/*===--- 5- to 8-bit integer codes, one row of x ---------------------------===*/

/* The generic kernel's uk_unpack16 copies the 2 * bits bytes of 16 codes
 * through the stack, widens two shuffles of them and converts and scales
 * every code: about 16 GFLOP/s on a 0.5B model's shapes, a fifth of the
 * 4-bit kernel's, while `--quant auto` gives most layers 5 to 7 bits.
 * Here code i's two bytes come to 32-bit lane i by a broadcast load and one
 * vpshufb (uk_code_windows), one variable shift puts the code at mantissa bits 23 - bits .. 22 and one
 * vpternlogd keeps them and writes the exponent of 1.0 above: the float
 * 1 + u / 2^bits exactly (u = q + 2^(bits - 1) for two's complement codes,
 * whose top bit the vpternlogd flips: 1.5 + q / 2^bits). Each lane sums
 * those times x over a group, and
 *   sum q x = 2^bits (that - 1.5 sum x)   (symmetric)
 *   sum u x = 2^bits (that - sum x)        (asymmetric, plus minimum * sum x)
 * is scaled once per group and lane, as the 4- and 8-bit kernels do (the
 * sums of x per group and lane are computed once per call). Four
 * instructions per 16 codes instead of nine; the sums differ from the
 * reference's by rounding of the order of the 1.5 sum x they subtract. */
UK_AVX512_TARGET static inline __m512 uk_wide_as_float(const uint8_t *p, int masked,
                                                       __m512i code_bytes, __m512i lift,
                                                       __m512i at, __m512i one, const int BITS) {
  __m512i window = _mm512_sllv_epi32(uk_code_windows(p, masked, code_bytes, BITS), lift);
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(window, at, one, 0x6A)); /* (w & at) ^ one */
}

/* Rows rows[0..count) of w (as uk_lut_rows) against one row of x; codes of
 * BITS bits in groups of 32, 64 or 128. */
UK_AVX512_TARGET static inline __attribute__((always_inline)) void
uk_wide_rows(const uk_wide_args *t, const int64_t *rows, int count, const int BITS,
             const int SYMMETRIC) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  int64_t blocks_per_group = w->group / UK_QBLOCK;
  const int64_t block_bytes = UK_QBLOCK * BITS / 8;
  /* the shift that puts code i's lowest bit at bit 23 - BITS */
  const __m512i code_bytes = uk_code_bytes(BITS),
                lifts = _mm512_sub_epi32(_mm512_set1_epi32(23 - BITS), uk_code_offsets(BITS));
  const __m512i at = _mm512_set1_epi32(((1 << BITS) - 1) << (23 - BITS));
  const __m512i one = _mm512_set1_epi32(SYMMETRIC ? 0x3F800000 | 1 << 22 : 0x3F800000);
  const __m512 offset = _mm512_set1_ps(SYMMETRIC ? 1.5f : 1.0f);
  const float unit = (float)(1 << BITS);
  float scale[UK_QCOLS][UK_LUT_SCALES], minimum[UK_QCOLS][UK_LUT_SCALES];
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
  __m512 acc[UK_QCOLS];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = _mm512_setzero_ps();
  for (int64_t g0 = 0; g0 < w->groups; g0 += UK_LUT_SCALES) {
    __mmask16 live = (__mmask16)((1u << uk_min(UK_LUT_SCALES, w->groups - g0)) - 1);
    for (int c = 0; c < UK_QCOLS; ++c) {
      int64_t first = row[c] * w->groups + g0;
      __m512 s = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, w->scales + first));
      _mm512_storeu_ps(scale[c], _mm512_mul_ps(s, _mm512_set1_ps(unit)));
      if (!SYMMETRIC)
        _mm512_storeu_ps(minimum[c],
                         _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, w->minimums + first)));
    }
    for (int64_t g = g0; g < g0 + UK_LUT_SCALES && g < w->groups; ++g) {
      __m512 sum[UK_QCOLS][2];
      for (int c = 0; c < UK_QCOLS; ++c)
        sum[c][0] = sum[c][1] = _mm512_setzero_ps();
      for (int64_t b = g * blocks_per_group; b < (g + 1) * blocks_per_group; ++b) {
        __m512 x0 = _mm512_loadu_ps(t->x + b * UK_QBLOCK);
        __m512 x1 = _mm512_loadu_ps(t->x + b * UK_QBLOCK + 16);
        int masked = uk_block_needs_mask(w, b, BITS);
        for (int c = 0; c < UK_QCOLS; ++c) {
          const uint8_t *p = w->codes + row[c] * w->row_bytes + b * block_bytes;
          UK_PREFETCH_AHEAD(p);
          __m512 lo = uk_wide_as_float(p, masked, code_bytes, lifts, at, one, BITS);
          __m512 hi = uk_wide_as_float(p + 2 * BITS, masked, code_bytes, lifts, at, one, BITS);
          sum[c][0] = _mm512_fmadd_ps(lo, x0, sum[c][0]);
          sum[c][1] = _mm512_fmadd_ps(hi, x1, sum[c][1]);
        }
      }
      const __m512 xsum = _mm512_loadu_ps(t->sums + 16 * g);
      for (int c = 0; c < UK_QCOLS; ++c) {
        __m512 part = _mm512_fnmadd_ps(offset, xsum, _mm512_add_ps(sum[c][0], sum[c][1]));
        acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(scale[c][g - g0]), part, acc[c]);
        if (!SYMMETRIC)
          acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(minimum[c][g - g0]), xsum, acc[c]);
      }
    }
  }
  uk_store_row_sums(a, row, count, acc, 1.0f, NULL);
}

#define UK_DEFINE_WIDE_RANGE(BITS, SYMMETRIC, NAME)                                                \
  UK_DEFINE_FOUR_PART_RANGE(UK_AVX512_TARGET, uk_wide##BITS##_##NAME, uk_wide_rows, uk_wide_args,  \
                            BITS, SYMMETRIC)
UK_DEFINE_WIDE_RANGE(5, 1, symmetric)
UK_DEFINE_WIDE_RANGE(6, 1, symmetric)
UK_DEFINE_WIDE_RANGE(7, 1, symmetric)
UK_DEFINE_WIDE_RANGE(5, 0, asymmetric)
UK_DEFINE_WIDE_RANGE(6, 0, asymmetric)
UK_DEFINE_WIDE_RANGE(7, 0, asymmetric)
UK_DEFINE_WIDE_RANGE(8, 0, asymmetric)
#undef UK_DEFINE_WIDE_RANGE

/*===--- 4-bit decode, one row of x: eight nibbles per 32-bit lane ---------===*/

/* A chunk is 128 codes, the 64 bytes one load brings: 32-bit lane l holds
 * codes 8l .. 8l + 7 of the chunk, nibble j being code 8l + j. Shifting the
 * whole vector puts code 8l + j in lane l, so a chunk decodes as eight
 * vectors with no shuffle: the zero-extension and the two table lookups per
 * 32 codes of uk_lut_rows kept this core's one shuffle port busy (about
 * 7 GB/s of codes). x is put into the same order once per call
 * (uk_lane_order_x), with the sum of each lane's eight x.
 *
 * Integer codes are not converted: one shift puts nibble u at bits 19..22 and
 * one vpternlogd writes the exponent of 1.0 above it, giving the float
 * 1 + u/16 exactly (u ^ 8 for symmetric codes, stored as two's complement:
 * 1.5 + q/16). Each lane sums (1 + u/16) x over its eight codes, and
 *   sum q x = 16 (that - 1.5 sum x)   (symmetric)
 *   sum u x = 16 (that - sum x)        (asymmetric, which also adds minimum * sum x)
 * is multiplied by the scale once per lane and chunk, since a lane's eight
 * codes share a group.
 * Three instructions per 16 codes instead of five or six: the decode was
 * bound by arithmetic, not by memory. The sums differ from the reference's
 * (float(q) * scale rounded per weight) by rounding of the order of the
 * 1.5 sum x they subtract, far inside the decode kernels' tolerance.
 * Codebooks decode through one vpermps per 16 codes: each lane sums
 * codebook[q] x over its eight codes and scales that once. */
/* Nibble j of every lane of v as 1 + u/16 (`one` holds the exponent of 1.0,
 * and 8 << 19 to flip a symmetric code's sign bit). */
UK_AVX512_TARGET static inline __m512 uk_nibble_as_float(__m512i v, int j, __m512i one) {
  const __m512i at = _mm512_set1_epi32(0xF << 19);
  __m512i t = j < 5 ? _mm512_slli_epi32(v, 19 - 4 * j) : _mm512_srli_epi32(v, 4 * j - 19);
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(t, at, one, 0x6A)); /* (t & at) ^ one */
}

/* Rows rows[0..count) of w (as uk_lut_rows) against one row of x; groups of
 * 32, 64 or 128 codes, so a chunk holds 4, 2 or 1 whole groups. */
UK_AVX512_TARGET static inline __attribute__((always_inline)) void
uk_nibble_rows(const uk_lane_args *t, const int64_t *rows, int count, const int SYMMETRIC,
               const int CODEBOOK) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  int64_t chunks = (w->row_bytes + 63) / 64, per_chunk = UK_CHUNK / w->group;
  const __m512i spread = uk_chunk_lane_groups(w->group);
  const __m512 codebook = CODEBOOK ? _mm512_loadu_ps(w->codebook) : _mm512_setzero_ps();
  const __m512i one = _mm512_set1_epi32(SYMMETRIC ? 0x3F800000 | 8 << 19 : 0x3F800000);
  const __m512 offset = _mm512_set1_ps(SYMMETRIC ? 1.5f : 1.0f), sixteen = _mm512_set1_ps(16.0f);
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
    __m512 x[8];
    for (int j = 0; j < 8; ++j)
      x[j] = _mm512_load_ps(t->x + ch * UK_CHUNK + 16 * j);
    const __m512 xsum = _mm512_load_ps(t->sums + 16 * ch);
    for (int c = 0; c < UK_QCOLS; ++c) {
      __m512 scale = _mm512_permutexvar_ps(lanes, scales[c]);
      const uint8_t *p = w->codes + row[c] * w->row_bytes + ch * 64;
      UK_PREFETCH_AHEAD(p);
      __m512i v = _mm512_maskz_loadu_epi32(words, p);
      /* two sums per lane: eight dependent multiply-adds would wait on each other */
      __m512 s[2];
      for (int j = 0; j < 8; ++j) {
        __m512 q = CODEBOOK ? _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4 * j), codebook)
                            : uk_nibble_as_float(v, j, one);
        s[j & 1] = j < 2 ? _mm512_mul_ps(q, x[j]) : _mm512_fmadd_ps(q, x[j], s[j & 1]);
      }
      __m512 sum = _mm512_add_ps(s[0], s[1]);
      if (CODEBOOK) {
        acc[c] = _mm512_fmadd_ps(scale, sum, acc[c]);
        continue;
      }
      acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(scale, sixteen), _mm512_fnmadd_ps(offset, xsum, sum),
                               acc[c]);
      if (!SYMMETRIC)
        acc[c] = _mm512_fmadd_ps(_mm512_permutexvar_ps(lanes, minimums[c]), xsum, acc[c]);
    }
  }
  uk_store_row_sums(a, row, count, acc, 1.0f, NULL);
}

#define UK_DEFINE_NIBBLE_RANGE(SYMMETRIC, CODEBOOK, NAME)                                          \
  UK_DEFINE_FOUR_PART_RANGE(UK_AVX512_TARGET, uk_nibble_##NAME, uk_nibble_rows, uk_lane_args,      \
                            SYMMETRIC, CODEBOOK)
UK_DEFINE_NIBBLE_RANGE(1, 0, symmetric)
UK_DEFINE_NIBBLE_RANGE(0, 0, asymmetric)
UK_DEFINE_NIBBLE_RANGE(1, 1, codebook)
#undef UK_DEFINE_NIBBLE_RANGE

/*===--- 8-bit decode, one row of x: four bytes per 32-bit lane ------------===*/

/* The same for symmetric 8-bit codes: a chunk is 64 codes, one 64-byte load;
 * 32-bit lane l holds codes 4l .. 4l + 3 of the chunk, byte j being code
 * 4l + j. One shift puts byte j at bits 15..22 and one vpternlogd writes the
 * exponent of 1.0 above it and flips its top bit, giving the float
 * 1 + (q + 128)/256 = 1.5 + q/256 exactly for the two's complement code q, so
 *   sum q x = 256 (sum (1.5 + q/256) x - 1.5 sum x).
 * Three instructions per 16 codes, none on the shuffle port: the generic
 * kernel widens codes with vpmovsxbd, which on this core's one shuffle port
 * bounds it below the memory's speed. Per channel (one group per row, the
 * `int8` format) the scale multiplies the row's sum once; groups (a multiple
 * of 32 codes, so no lane straddles two) scale each lane's sum per chunk.
 * The sums differ from the reference's by rounding of the order of the
 * 1.5 sum x they subtract per chunk, as the 4-bit kernel's do. */
/* Byte j of every lane of v as 1.5 + q/256 (`one` holds the exponent of 1.0
 * and the code's flipped top bit, 0x80 << 15). */
UK_AVX512_TARGET static inline __m512 uk_byte_as_float(__m512i v, int j, __m512i one) {
  const __m512i at = _mm512_set1_epi32(0xFF << 15);
  __m512i t = j < 2 ? _mm512_slli_epi32(v, 15 - 8 * j) : _mm512_srli_epi32(v, 8 * j - 15);
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(t, at, one, 0x6A)); /* (t & at) ^ one */
}

/* Rows rows[0..count) of w (as uk_lut_rows) against one row of x. */
UK_AVX512_TARGET static inline __attribute__((always_inline)) void
uk_byte_rows(const uk_lane_args *t, const int64_t *rows, int count, const int PER_CHANNEL) {
  const uk_qlinear_args *a = t->a;
  const uk_qmatrix *w = &a->w;
  /* Codes past k (a row padded to whole groups) are zero: not read. */
  int64_t chunks = (w->k + UK_BYTE_CHUNK - 1) / UK_BYTE_CHUNK;
  const __m512i one = _mm512_set1_epi32(0x3F800000 | 0x80 << 15);
  const __m512 offset = _mm512_set1_ps(1.5f);
  int64_t row[UK_QCOLS];
  uk_qcols_rows(rows, count, row);
  __m512 acc[UK_QCOLS];
  for (int c = 0; c < UK_QCOLS; ++c)
    acc[c] = _mm512_setzero_ps();
  for (int64_t ch = 0; ch < chunks; ++ch) {
    __mmask64 bytes = uk_byte_chunk_live(w, ch);
    __m512 x[4];
    for (int j = 0; j < 4; ++j)
      x[j] = _mm512_load_ps(t->x + ch * UK_BYTE_CHUNK + 16 * j);
    /* Groups: the chunk's lanes are in group g0, or g0 + 1 where `second` is set. */
    int64_t g0 = 0;
    __mmask16 second = PER_CHANNEL ? 0 : uk_byte_chunk_groups(w, ch, &g0);
    const __m512 xsum = _mm512_load_ps(t->sums + 16 * ch);
    for (int c = 0; c < UK_QCOLS; ++c) {
      const uint8_t *p = w->codes + row[c] * w->row_bytes + ch * UK_BYTE_CHUNK;
      UK_PREFETCH_AHEAD(p);
      __m512i v = _mm512_maskz_loadu_epi8(bytes, p);
      __m512 s[2];
      for (int j = 0; j < 4; ++j) {
        __m512 q = uk_byte_as_float(v, j, one);
        s[j & 1] = j < 2 ? _mm512_mul_ps(q, x[j]) : _mm512_fmadd_ps(q, x[j], s[j & 1]);
      }
      /* 1.5 sum x subtracted per chunk, as the 4-bit kernel does: over a
       * whole row the cancellation would grow with k */
      __m512 sum = _mm512_fnmadd_ps(offset, xsum, _mm512_add_ps(s[0], s[1]));
      if (PER_CHANNEL) {
        acc[c] = _mm512_add_ps(acc[c], sum);
        continue;
      }
      __m512 scale = uk_byte_chunk_scales(w->scales + row[c] * w->groups + g0, second);
      acc[c] = _mm512_fmadd_ps(scale, sum, acc[c]);
    }
  }
  uk_store_row_sums(a, row, count, acc, 256.0f, PER_CHANNEL ? w->scales : NULL);
}

#define UK_DEFINE_BYTE_RANGE(PER_CHANNEL, NAME)                                                    \
  UK_DEFINE_FOUR_PART_RANGE(UK_AVX512_TARGET, uk_byte_##NAME, uk_byte_rows, uk_lane_args,          \
                            PER_CHANNEL)
UK_DEFINE_BYTE_RANGE(1, channel)
UK_DEFINE_BYTE_RANGE(0, grouped)
#undef UK_DEFINE_BYTE_RANGE

void slm_uk_linear_q8_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  /* groups of a multiple of 32 codes (the format's rule): no lane straddles two */
  if (m == 1 && k <= UK_NIBBLE_MAX_K && group % 32 == 0) {
    uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, 8, group), bias, y, m, n};
    uk_lane_ordered_decode(ctx, &a, 4, a.w.groups == 1 ? uk_byte_channel : uk_byte_grouped);
    return;
  }
  slm_uk_linear_q8(ctx, x, codes, scales, bias, y, m, n, k, group);
}

void slm_uk_linear_q4_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const uint16_t *minimums,
                             const float *codebook, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn symmetric[] = {uk_lut4_m1_symmetric, uk_lut4_m2_symmetric,
                                          uk_lut4_m3_symmetric};
  static const uk_range_fn asymmetric[] = {uk_lut4_m1_asymmetric, uk_lut4_m2_asymmetric,
                                           uk_lut4_m3_asymmetric};
  static const uk_range_fn tables[] = {uk_lut4_m1_codebook, uk_lut4_m2_codebook,
                                       uk_lut4_m3_codebook};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, 4, group), bias, y, m, n};
  a.w.codebook = codebook;
  if (m == 1 && k <= UK_NIBBLE_MAX_K && UK_CHUNK % a.w.group == 0) {
    uk_lane_ordered_decode(ctx, &a, 8,
                           codebook   ? uk_nibble_codebook
                           : minimums ? uk_nibble_asymmetric
                                      : uk_nibble_symmetric);
    return;
  }
  uk_quantized_linear(ctx, &a, codebook ? tables : minimums ? asymmetric : symmetric);
}

void slm_uk_linear_table_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                                const uint16_t *scales, const float *codebook, const float *bias,
                                float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                                int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, NULL, k, bits, group), bias, y, m, n};
  a.w.codebook = codebook;
  /* a row of x at a time, as slm_uk_linear_qany, so the same floats */
  uk_quantized_linear_by_rows(ctx, &a, bits == 2 ? uk_lut2_m1_codebook : uk_lut3_m1_codebook);
}

void slm_uk_linear_wide_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                               const uint16_t *scales, const uint16_t *minimums, const float *bias,
                               float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                               int64_t group) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  static const uk_range_fn symmetric[] = {uk_wide5_symmetric, uk_wide6_symmetric,
                                          uk_wide7_symmetric};
  static const uk_range_fn asymmetric[] = {uk_wide5_asymmetric, uk_wide6_asymmetric,
                                           uk_wide7_asymmetric, uk_wide8_asymmetric};
  uk_qlinear_args a = {x, uk_qmatrix_of(codes, scales, minimums, k, bits, group), bias, y, m, n};
  uk_wide_linear(ctx, &a, symmetric, asymmetric);
}

#endif /* __x86_64__ */
