/*===- uk_avx512.h - helpers of the AVX-512 decode kernels ---------*- C -*-===*
 *
 * What quantized_avx512.c and quantized_vnni.c share: the function attribute
 * that lets one x86-64 bitcode carry AVX-512 code (the lowering calls those
 * kernels only for targets that have the features), the chunks of a row's
 * codes and the groups their lanes are in, and the spreading of a chunk's
 * group scales over the lanes that hold the group's codes.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UK_AVX512_H
#define SLM_UK_AVX512_H

#include "compiler/targets/ukernels/uk_qlinear.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

#define UK_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,evex512")))

/* An 8-bit decode chunk: the 64 codes one 64-byte load brings, four to a
 * 32-bit lane (lane l holds codes 4l .. 4l + 3, byte j being code 4l + j). */
#define UK_BYTE_CHUNK 64

/* The bytes of chunk ch of a row of 8-bit codes that are codes of x's k
 * columns (the last chunk may be short). */
static inline __mmask64 uk_byte_chunk_live(const uk_qmatrix *w, int64_t ch) {
  int64_t have = w->k - ch * UK_BYTE_CHUNK;
  return have >= UK_BYTE_CHUNK ? ~(__mmask64)0 : ((__mmask64)1 << have) - 1;
}

/* Of chunk ch of a row of 8-bit codes in groups of a multiple of 32 codes (so
 * that no lane straddles two): its first group, *g0, and the lanes that are in
 * the next one (none past the row's last group). */
static inline __mmask16 uk_byte_chunk_groups(const uk_qmatrix *w, int64_t ch, int64_t *g0) {
  *g0 = ch * UK_BYTE_CHUNK / w->group;
  int64_t next = (*g0 + 1) * w->group - ch * UK_BYTE_CHUNK; /* its first code in the chunk */
  return *g0 + 1 >= w->groups || next >= UK_BYTE_CHUNK ? 0 : (__mmask16)(0xFFFFu << (next / 4));
}

/* The scale of each lane of such a chunk: scales[0] (group g0's), or scales[1]
 * in the lanes `second` holds. */
UK_AVX512_TARGET static inline __m512 uk_byte_chunk_scales(const uint16_t *scales,
                                                           __mmask16 second) {
  return _mm512_mask_blend_ps(second, _mm512_set1_ps(uk_half_to_float(scales[0])),
                              _mm512_set1_ps(second ? uk_half_to_float(scales[1]) : 0.0f));
}

/* For a chunk of 4-bit codes in groups of `group` (32, 64 or 128): the index
 * of lane l's group within the chunk, 8l / group, in every lane. */
UK_AVX512_TARGET static inline __m512i uk_chunk_lane_groups(int64_t group) {
  return _mm512_srlv_epi32(
      _mm512_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120),
      _mm512_set1_epi32(__builtin_ctzll((unsigned long long)group)));
}

/* Of chunk ch of a row of 4-bit codes: the 32-bit words of the row it holds
 * (the row's last chunk may be short). */
static inline __mmask16 uk_chunk_live_words(const uk_qmatrix *w, int64_t ch) {
  return (__mmask16)(ch * 64 + 64 <= w->row_bytes ? 0xffff
                                                  : (1u << ((w->row_bytes - ch * 64) / 4)) - 1);
}

/* A row's f16 group values (scales, minimums) are widened sixteen at a time,
 * for a span of 16 / (UK_CHUNK / group) chunks, and spread into each chunk's
 * lanes by a permute: a load and a widening per chunk and row made the 4-bit
 * decodes 1-5% slower in cache (slm-kernel-bench). */
static inline int64_t uk_chunk_span(const uk_qmatrix *w) { return 16 * w->group / UK_CHUNK; }

/* Groups g .. g + 15 of a row's values (those past its last group 0). */
UK_AVX512_TARGET static inline __m512 uk_sixteen_halves(const uk_qmatrix *w,
                                                        const uint16_t *row_values, int64_t g) {
  __mmask16 live = (__mmask16)((1u << uk_min(16, w->groups - g)) - 1);
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(live, row_values + g));
}

/* At the first chunk of a span (group g): the UK_QCOLS rows' sixteen scales,
 * and their minimums if MINIMUMS. */
UK_AVX512_TARGET static inline __attribute__((always_inline)) void
uk_span_halves(const uk_qmatrix *w, const int64_t row[UK_QCOLS], int64_t g, __m512 scales[UK_QCOLS],
               __m512 minimums[UK_QCOLS], const int MINIMUMS) {
  for (int c = 0; c < UK_QCOLS; ++c) {
    scales[c] = uk_sixteen_halves(w, w->scales + row[c] * w->groups, g);
    UK_PREFETCH_SCALES_AHEAD(w, row[c], g);
    if (MINIMUMS)
      minimums[c] = uk_sixteen_halves(w, w->minimums + row[c] * w->groups, g);
  }
}

/* Lane l's group among the sixteen of a span, in its chunk `within` (0 ..
 * span - 1; `spread`: uk_chunk_lane_groups). */
UK_AVX512_TARGET static inline __m512i uk_span_lane_groups(__m512i spread, const uk_qmatrix *w,
                                                           int64_t within) {
  int64_t first = within * (UK_CHUNK / w->group);
  return _mm512_add_epi32(spread, _mm512_set1_epi32((int32_t)first));
}

/* y[row[c]] = the sum of acc[c]'s lanes times `factor` (and the row's f16
 * scale where `row_scales`, per channel, is not NULL), + bias, for the `count`
 * rows a one-row decode computed. */
UK_AVX512_TARGET static inline void uk_store_row_sums(const uk_qlinear_args *a, const int64_t *row,
                                                      int count, const __m512 *acc, float factor,
                                                      const uint16_t *row_scales) {
  for (int c = 0; c < count; ++c) {
    float d = _mm512_reduce_add_ps(acc[c]) *
              (row_scales ? factor * uk_half_to_float(row_scales[row[c]]) : factor);
    a->y[row[c]] = a->bias ? d + a->bias[row[c]] : d;
  }
}

#endif /* __x86_64__ */
#endif /* SLM_UK_AVX512_H */
