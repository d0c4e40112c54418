/*===- linear_w4a8.c - int4 weights times int8 activations --------*- C -*-===*
 *
 * W4A8: a linear whose weights are symmetric 4-bit codes in groups of 32, 64
 * or 128 (two to a byte, the low nibble first, each q in two's complement, as
 * slm_uk_linear_q4 reads them) also quantizes its activations per row, as
 * W8A8 does, into the same scratch, and gives the floats of W8A8's formula
 * (uk_w8a8.h) with its groups as the units: an exact integer dot product per
 * group, then per group in order f = f + float(dot) * s_w, y = f * s_x + bias.
 * Decode streams 4-bit weights with integer dot products instead of decoding
 * every weight to a float; prefill decodes a panel of codes to int8 once per
 * 128 tokens and runs W8A8's GEMMs on it (AMX tiles on AMX-INT8 targets).
 * Every kernel below gives the generic kernel's floats exactly, whatever the
 * target, the tiling, the threads or how a prompt is cut into calls.
 *
 * Until 2026-12-06 (late) W4A8 had a formula of its own, float sums per lane of
 * eight columns folded at the end, which fitted vpdpbusd's lanes and not a
 * tile's dot products: its prefill ran at 0.57-0.64 of oneDNN's u8s8 bound.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_w8a8.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

/* Code p of a row of 4-bit codes, sign-extended. */
static inline int32_t uk_w4_code(const uint8_t *row, int64_t p) {
  int32_t nibble = p & 1 ? row[p / 2] >> 4 : row[p / 2] & 15;
  return (nibble ^ 8) - 8;
}

/* sum_{p0 <= p < p1} x[p] * q[p]. */
static inline int32_t uk_w4a8_span(const int8_t *x, const uint8_t *row, int64_t p0, int64_t p1) {
  int32_t sum = 0;
  for (int64_t p = p0; p < p1; ++p)
    sum += (int32_t)x[p] * uk_w4_code(row, p);
  return sum;
}

/*===--- every target ---------------------------------------------------------===*/

/* Items are rows of w, for every row of x. */
static void uk_w4a8_dot_range(void *arg, int64_t begin, int64_t end) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  const uk_w8a8_scratch *s = &a->s;
  for (int64_t j = begin; j < end; ++j) {
    const uint8_t *row = a->codes + j * a->row_bytes;
    for (int64_t i = 0; i < a->m; ++i) {
      const int8_t *x = s->xq + i * s->row_stride;
      float f = 0.0f;
      for (int64_t u = 0; u < s->units; ++u) {
        int32_t sum = uk_w4a8_span(x, row, u * s->unit, uk_min(a->k, (u + 1) * s->unit));
        f = f + (float)sum * uk_w8a8_weight_scale(a, j, u);
      }
      a->y[i * a->n + j] = uk_w8a8_output(a, f, i, j);
    }
  }
}

static void uk_w4a8_dots(const slm_uk_ctx *ctx, uk_w8a8_args *a) {
  uk_parallel(ctx, a->n, uk_stream_grain(a->m, a->m * a->k, a->row_bytes), uk_w4a8_dot_range, a);
}

void slm_uk_linear_w4a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 4, scratch))
    uk_w4a8_dots(ctx, &a);
}

/* The kernels from here to the Arm section are x86's; other targets' bitcode
 * has only the generic ones above and its own (SelectKernels picks these for
 * AVX-512 VNNI targets alone). */
#if defined(__x86_64__)

/*===--- decode: vpdpbusd dot products (AVX-512 VNNI and AMX targets) --------===*/

/* The live bytes of a 64-byte load with `left` bytes left before an end. */
static inline __mmask64 uk_w4a8_live(int64_t left) {
  return left >= 64 ? ~(__mmask64)0 : left <= 0 ? 0 : ((__mmask64)1 << left) - 1;
}

/* The vpdpbusd sums of columns c0..c0 + 512 (four blocks of 128) of the ROWS
 * rows of w in `rows` and row x of x_q, as W4A8's decode takes them: a
 * 64-byte load of codes is 128 columns; its nibbles, made u = q + 8
 * (unsigned) and interleaved back into column order by unpacklo/hi, give in
 * each 128-bit lane 32 columns, which x_q's two 64-byte loads give in the same
 * lanes after one 128-bit shuffle each. So each 128-bit lane of sums[r][b] is
 * one unit of 32 columns. `tail` masks the loads at the ends of x_q's row and
 * of the codes (a constant: whole runs take no masks). */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_w4a8_vnni_run(const uk_w8a8_args *a, const int64_t *rows, const int8_t *x, int64_t c0,
                 __m512i sums[4][4], const int ROWS, const int tail) {
  const uk_w8a8_scratch *s = &a->s;
  const __m512i nibble = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
  for (int b = 0; b < 4; ++b) {
    int64_t p = c0 + 128 * b;
    __mmask64 x0_live = tail ? uk_w4a8_live(s->row_stride - p) : ~(__mmask64)0;
    __mmask64 x1_live = tail ? uk_w4a8_live(s->row_stride - p - 64) : ~(__mmask64)0;
    __mmask64 live = tail ? uk_w4a8_live(a->row_bytes - p / 2) : ~(__mmask64)0;
    __m512i x0 = _mm512_maskz_loadu_epi8(x0_live, x + p);
    __m512i x1 = _mm512_maskz_loadu_epi8(x1_live, x + p + 64);
    __m512i xa = _mm512_shuffle_i64x2(x0, x1, 0x88); /* columns 32l..32l+15 of lane l */
    __m512i xb = _mm512_shuffle_i64x2(x0, x1, 0xDD); /* columns 32l+16..32l+31 */
    for (int r = 0; r < ROWS; ++r) {
      const uint8_t *codes = a->codes + rows[r] * a->row_bytes + p / 2;
      UK_PREFETCH_AHEAD(codes);
      __m512i bytes = _mm512_maskz_loadu_epi8(live, codes);
      /* u = (nibble & 15) ^ 8: one ternary-logic op per half */
      __m512i lo = _mm512_ternarylogic_epi32(bytes, nibble, eight, 0x6A);
      __m512i hi = _mm512_ternarylogic_epi32(_mm512_srli_epi16(bytes, 4), nibble, eight, 0x6A);
      __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_unpacklo_epi8(lo, hi), xa);
      sums[r][b] = _mm512_dpbusd_epi32(sum, _mm512_unpackhi_epi8(lo, hi), xb);
    }
  }
}

/* The formula's terms float(dot_g) * s_w[j, g] of the groups of columns
 * c0..c0 + 512 for the ROWS rows j of w in `rows` and row i of x, one vector
 * per row, lane g for the run's g-th group (`live` of them): four blocks'
 * sums (uk_w4a8_vnni_run) reduced across their lanes are the 16 units' exact
 * integer sums, added up per group; sum u x_q - 8 sum x_q (the scratch's
 * per-group sums) is sum q x_q. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_w4a8_vnni_terms(const uk_w8a8_args *a, const int64_t *rows, int64_t i, int64_t c0,
                   __m512 terms[4], int64_t *live, const int ROWS) {
  const uk_w8a8_scratch *s = &a->s;
  /* the reduced sums hold unit 4b + q (block b, lane q) in lane 4q + b */
  const __m512i unit_order =
      _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  const __m512i even = _mm512_set_epi32(14, 12, 10, 8, 6, 4, 2, 0, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const int8_t *x = s->xq + i * s->row_stride;
  __m512i sums[4][4];
  if (c0 + 512 <= s->row_stride && c0 + 512 <= 2 * a->row_bytes) /* loads stay inside */
    uk_w4a8_vnni_run(a, rows, x, c0, sums, ROWS, 0);
  else
    uk_w4a8_vnni_run(a, rows, x, c0, sums, ROWS, 1);
  int64_t units_per_group = s->unit / 32, g0 = c0 / s->unit;
  *live = uk_min(16 / units_per_group, s->units - g0);
  __mmask16 in = (__mmask16)((1u << *live) - 1);
  __m512i corrections =
      _mm512_slli_epi32(_mm512_maskz_loadu_epi32(in, s->xsum + i * s->units + g0), 3);
  for (int r = 0; r < ROWS; ++r) {
    const __m512i *q = sums[r];
    __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(q[0], q[1]),
                                   _mm512_unpackhi_epi32(q[0], q[1]));
    __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(q[2], q[3]),
                                   _mm512_unpackhi_epi32(q[2], q[3]));
    __m512i units = _mm512_permutexvar_epi32(
        unit_order,
        _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23)));
    for (int64_t w = units_per_group; w > 1; w /= 2) /* units to groups: pairs */
      units = _mm512_add_epi32(_mm512_permutexvar_epi32(even, units),
                               _mm512_permutexvar_epi32(odd, units));
    __m512 scale =
        _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(in, a->scales + rows[r] * a->groups + g0));
    terms[r] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(units, corrections)), scale);
  }
}

/* y[i, rows[e]] for 16 rows of w (four runs of four consecutive rows) and
 * every row of x. A row's sum of terms is a chain of dependent adds, one per
 * group (96 for 3072 columns in groups of 32); 16 rows' chains side by side
 * in the lanes of one vector (the terms of 16 rows transposed) take a
 * sixteenth of the adds, which one row or four at a time made the decode's
 * bottleneck. */
UK_VNNI_TARGET static void uk_w4a8_vnni_rows16(const uk_w8a8_args *a, const int64_t rows[16]) {
  for (int64_t i = 0; i < a->m; ++i) {
    __m512 f = _mm512_setzero_ps();
    for (int64_t c0 = 0; c0 < a->k; c0 += 512) {
      uk_f32x16 v[16];
      int64_t live = 0;
      for (int part = 0; part < 4; ++part) {
        __m512 terms[4];
        uk_w4a8_vnni_terms(a, rows + 4 * part, i, c0, terms, &live, 4);
        for (int r = 0; r < 4; ++r)
          v[4 * part + r] = (uk_f32x16)terms[r];
      }
      uk_transpose16(v); /* v[g]: group g's term of each row */
      for (int64_t g = 0; g < live; ++g)
        f = _mm512_add_ps(f, (__m512)v[g]);
    }
    float out[16];
    _mm512_storeu_ps(out, f);
    for (int e = 0; e < 16; ++e)
      a->y[i * a->n + rows[e]] = uk_w8a8_output(a, out[e], i, rows[e]);
  }
}

/* y[i, j] for one row j of w and every row of x. */
UK_VNNI_TARGET static void uk_w4a8_vnni_row(const uk_w8a8_args *a, int64_t j) {
  for (int64_t i = 0; i < a->m; ++i) {
    float f = 0.0f;
    for (int64_t c0 = 0; c0 < a->k; c0 += 512) {
      __m512 terms[4];
      int64_t live = 0;
      uk_w4a8_vnni_terms(a, &j, i, c0, terms, &live, 1);
      float t[16];
      _mm512_storeu_ps(t, terms[0]);
      for (int64_t g = 0; g < live; ++g)
        f = f + t[g];
    }
    a->y[i * a->n + j] = uk_w8a8_output(a, f, i, j);
  }
}

/* Items are rows of w: a task's range in four parts read side by side, four
 * consecutive rows of each at a time (four streams far apart, which the
 * prefetchers follow at once; see uk_rows_in_four_parts), the rows past
 * whole fours one by one. */
UK_VNNI_TARGET static void uk_w4a8_vnni_range(void *arg, int64_t begin, int64_t end) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  int64_t part = (end - begin) / 16 * 4;
  for (int64_t t = 0; t < part; t += 4) {
    int64_t rows[16];
    for (int p = 0; p < 4; ++p)
      for (int e = 0; e < 4; ++e)
        rows[4 * p + e] = begin + p * part + t + e;
    uk_w4a8_vnni_rows16(a, rows);
  }
  for (int64_t j = begin + 4 * part; j < end; ++j)
    uk_w4a8_vnni_row(a, j);
}

void slm_uk_linear_w4a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 4, scratch))
    uk_w8a8_run(ctx, &a, 0, uk_w4a8_vnni_range, uk_w4a8_dots);
}

/* AMX state: see slm_uk_linear_w8a8_amx. */
void slm_uk_linear_w4a8_amx(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                            const uint16_t *scales, const float *bias, float *y, int64_t m,
                            int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 4, scratch))
    uk_w8a8_run(ctx, &a, 1, uk_w4a8_vnni_range, uk_w4a8_dots);
}

#endif /* __x86_64__ */

/*===--- Arm dot products (aarch64-dotprod and aarch64-i8mm targets) ---------===*/

#if defined(__aarch64__)
/* sdot adds the four products of signed bytes 4c..4c+3 into lane c: 16 bytes
 * of codes (32 columns) against x_q's even and odd columns (vld2q splits
 * them) give a unit's integer sum, so the generic kernel's floats. */
#define UK_SDOT_TARGET __attribute__((target("dotprod")))

/* y[i, j] for one row of x and one of w. */
UK_SDOT_TARGET static inline float uk_w4a8_sdot_cell(const uk_w8a8_args *a, int64_t i, int64_t j) {
  const uk_w8a8_scratch *s = &a->s;
  const int8_t *x = s->xq + i * s->row_stride;
  const uint8_t *row = a->codes + j * a->row_bytes;
  float f = 0.0f;
  for (int64_t u = 0; u < s->units; ++u) {
    int64_t p = u * s->unit, p1 = uk_min(a->k, p + s->unit);
    int32x4_t acc = vdupq_n_s32(0);
    for (; p + 32 <= p1; p += 32) {
      int8x16x2_t columns = vld2q_s8(x + p); /* even columns, odd columns */
      int8x16_t c = vreinterpretq_s8_u8(vld1q_u8(row + p / 2));
      acc = vdotq_s32(acc, vshrq_n_s8(vshlq_n_s8(c, 4), 4), columns.val[0]);
      acc = vdotq_s32(acc, vshrq_n_s8(c, 4), columns.val[1]);
    }
    int32_t sum = vaddvq_s32(acc) + uk_w4a8_span(x, row, p, p1);
    f = f + (float)sum * uk_w8a8_weight_scale(a, j, u);
  }
  return uk_w8a8_output(a, f, i, j);
}

/* Items are rows of w, for every row of x. */
UK_SDOT_TARGET static void uk_w4a8_sdot_range(void *arg, int64_t begin, int64_t end) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  for (int64_t j = begin; j < end; ++j)
    for (int64_t i = 0; i < a->m; ++i)
      a->y[i * a->n + j] = uk_w4a8_sdot_cell(a, i, j);
}

void slm_uk_linear_w4a8_sdot(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 4, scratch))
    uk_parallel(ctx, n, uk_stream_grain(m, m * k / 4, a.row_bytes), uk_w4a8_sdot_range, &a);
}
#endif /* __aarch64__ */
