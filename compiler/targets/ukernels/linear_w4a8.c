/*===- linear_w4a8.c - int4 weights times int8 activations --------*- C -*-===*
 *
 * W4A8: a linear whose weights are symmetric 4-bit codes in groups of 32, 64
 * or 128 (nibbles holding q in two's complement, as slm_uk_linear_q4 reads
 * them: u = nibble ^ 8 = q + 8 is unsigned) also
 * quantizes its activations per row, as W8A8 does (s_x = max|x| / 127,
 * x_q = round-half-even(x / s_x) in [-127, 127]). Decode then streams 4-bit
 * weights with integer dot products instead of decoding every weight to a
 * float, which is what bounds the f32-activation kernels below the memory's
 * speed.
 *
 * The numerics are defined by 16 lanes, the way vpdpbusd takes 64 bytes: the
 * columns are cut into chunks of 64; in chunk c, lane L < 8 holds the products
 * of columns 64c + 8L + {0, 2, 4, 6}, lane L >= 8 those of 64c + 8(L-8) +
 * {1, 3, 5, 7} (the low and the high nibbles of 4 code bytes). Per row i of x
 * and row j of w:
 *
 *   P[c][L]  = sum of the lane's 4 products q * x_q (an exact integer)
 *   acc[L]   = fma(float(P[c][L]), s_w[j, unit of the lane], acc[L])   (c = 0, 1, ...)
 *   y[i, j]  = (((acc folded: L + 8, then + 4, + 2, + 1)) * s_x[i]) + bias[j]
 *
 * each step rounded once (fma: one rounding, as fmaf and vfmadd give it). The
 * generic C below and the VNNI kernel give these floats exactly, whatever the
 * target or the threads.
 *
 * The scratch holds x_q with each chunk's columns reordered to the lanes'
 * bytes (even columns, then odd), s_x, and per chunk and lane -8 * the sum of
 * its 4 codes: vpdpbusd multiplies the unsigned u = q + 8 by x_q and adds to
 * what it starts from, and sum q x = -8 sum x + sum u x.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_qlinear.h"

#include <immintrin.h>

#define UK_W4_CHUNK 64 /* columns per chunk: 32 bytes of codes */
#define UK_W4_LANES 16
#define UK_W4_TOKENS 8 /* rows of x the VNNI kernel keeps accumulators of */

typedef struct {
  int8_t *xq;     /* m x row_stride, chunk by chunk in lane order */
  float *xscale;  /* m */
  int32_t *xcorr; /* m x chunks x 16: -8 x the sum of each lane's 4 codes */
  int64_t row_stride, chunks;
} uk_w4a8_scratch;

typedef struct {
  const float *x;
  uk_qmatrix w;
  const float *bias;
  float *y;
  int64_t m, n;
  uk_w4a8_scratch s;
} uk_w4a8_args;

/*===--- quantizing the activations -----------------------------------------===*/

static void uk_w4a8_quantize_range(void *arg, int64_t begin, int64_t end) {
  const uk_w4a8_args *a = (const uk_w4a8_args *)arg;
  const uk_w4a8_scratch *s = &a->s;
  int64_t k = a->w.k;
  for (int64_t i = begin; i < end; ++i) {
    const float *x = a->x + i * k;
    int8_t *q = s->xq + i * s->row_stride;
    float largest = 0.0f;
    for (int64_t p = 0; p < k; ++p)
      largest = fmaxf(largest, fabsf(x[p]));
    float inverse = largest > 0.0f ? 127.0f / largest : 0.0f;
    s->xscale[i] = largest / 127.0f;
    for (int64_t c = 0; c < s->chunks; ++c) {
      int8_t *chunk = q + c * UK_W4_CHUNK;
      for (int64_t t = 0; t < UK_W4_CHUNK; ++t) {
        /* byte t: column 2t (t < 32) or 2(t - 32) + 1 of the chunk */
        int64_t p = c * UK_W4_CHUNK + (t < 32 ? 2 * t : 2 * (t - 32) + 1);
        /* NaN becomes -127 rather than undefined behaviour. */
        chunk[t] = p < k ? (int8_t)fminf(fmaxf(nearbyintf(x[p] * inverse), -127.0f), 127.0f) : 0;
      }
      int32_t *corr = s->xcorr + (i * s->chunks + c) * UK_W4_LANES;
      for (int l = 0; l < UK_W4_LANES; ++l)
        corr[l] = -8 * (chunk[4 * l] + chunk[4 * l + 1] + chunk[4 * l + 2] + chunk[4 * l + 3]);
    }
  }
}

static void uk_w4a8_begin(const slm_uk_ctx *ctx, uk_w4a8_args *a, const float *x,
                          const uint8_t *codes, const uint16_t *scales, const float *bias,
                          float *y, int64_t m, int64_t n, int64_t k, int64_t group,
                          uint8_t *scratch) {
  a->x = x;
  a->w = uk_qmatrix_of(codes, scales, NULL, k, 4, group);
  a->bias = bias;
  a->y = y;
  a->m = m;
  a->n = n;
  a->s.row_stride = slm_uk_w8a8_row_stride(k);
  a->s.chunks = a->s.row_stride / UK_W4_CHUNK;
  a->s.xq = (int8_t *)scratch;
  a->s.xscale = (float *)(scratch + m * a->s.row_stride);
  a->s.xcorr = (int32_t *)(scratch + slm_uk_w8a8_sums_offset(m, k));
  uk_parallel(ctx, m, uk_grain(4 * k), uk_w4a8_quantize_range, a);
}

/* The lanes folded in the order the definition gives, times s_x, plus bias. */
static inline float uk_w4a8_output(const uk_w4a8_args *a, float acc[UK_W4_LANES], int64_t i,
                                   int64_t j) {
  for (int w = 8; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l)
      acc[l] = acc[l] + acc[l + w];
  float v = acc[0] * a->s.xscale[i];
  return a->bias ? v + a->bias[j] : v;
}

/* The weight scale of lane l of chunk c in row j (columns past the last
 * group, whose products are zero, take the last group's). */
static inline float uk_w4a8_scale(const uk_qmatrix *w, int64_t j, int64_t c, int l) {
  int64_t unit = uk_min((c * UK_W4_CHUNK + 8 * (l % 8)) / w->group, w->groups - 1);
  return uk_half_to_float(w->scales[j * w->groups + unit]);
}

/*===--- every target ---------------------------------------------------------===*/

/* Items are rows of w, for every row of x. */
static void uk_w4a8_dot_range(void *arg, int64_t begin, int64_t end) {
  const uk_w4a8_args *a = (const uk_w4a8_args *)arg;
  const uk_w4a8_scratch *s = &a->s;
  const uk_qmatrix *w = &a->w;
  for (int64_t j = begin; j < end; ++j) {
    const uint8_t *row = w->codes + j * w->row_bytes;
    for (int64_t i = 0; i < a->m; ++i) {
      float acc[UK_W4_LANES] = {0};
      for (int64_t c = 0; c < s->chunks; ++c) {
        const int8_t *xq = s->xq + i * s->row_stride + c * UK_W4_CHUNK;
        const int32_t *corr = s->xcorr + (i * s->chunks + c) * UK_W4_LANES;
        for (int l = 0; l < UK_W4_LANES; ++l) {
          int32_t sum = corr[l];
          for (int b = 0; b < 4; ++b) {
            int64_t t = 4 * l + b, byte = c * 32 + t % 32;
            uint8_t code = byte < w->row_bytes ? row[byte] : 0;
            int32_t u = (t < 32 ? code & 15 : code >> 4) ^ 8; /* q + 8 */
            sum += u * xq[t];
          }
          acc[l] = fmaf((float)sum, uk_w4a8_scale(w, j, c, l), acc[l]);
        }
      }
      a->y[i * a->n + j] = uk_w4a8_output(a, acc, i, j);
    }
  }
}

void slm_uk_linear_w4a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch) {
  if (uk_qlinear_trivial(bias, y, m, n, k))
    return;
  uk_w4a8_args a;
  uk_w4a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch);
  uk_parallel(ctx, n, uk_grain(m * k), uk_w4a8_dot_range, &a);
}

/*===--- AVX-512 VNNI ------------------------------------------------------------===*/

#define UK_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,evex512")))

/* The lanes' weight scales for the 8 chunks from chunk c0 (512 columns): the
 * row's scales of those columns converted at once, each chunk's spread over
 * its lanes by one permute (lane_unit[r] holds, per lane of chunk c0 + r, its
 * group's index among the loaded scales). */
typedef struct {
  __m512i lane_unit[8];
} uk_w4a8_spread;

UK_VNNI_TARGET static inline uk_w4a8_spread uk_w4a8_spread_of(int64_t group) {
  uk_w4a8_spread s;
  for (int r = 0; r < 8; ++r) {
    int32_t idx[UK_W4_LANES];
    for (int l = 0; l < UK_W4_LANES; ++l)
      idx[l] = (int32_t)((r * UK_W4_CHUNK + 8 * (l % 8)) / group);
    s.lane_unit[r] = _mm512_loadu_si512(idx);
  }
  return s;
}

/* The 16 (or fewer) scales of row j's groups from group g0, as floats;
 * groups past the row repeat its last (their products are zero). */
UK_VNNI_TARGET static inline __m512 uk_w4a8_scales(const uk_qmatrix *w, int64_t j, int64_t g0) {
  int64_t live = uk_min(w->groups - g0, 16);
  __m256i half = _mm256_maskz_loadu_epi16((__mmask16)((1u << live) - 1),
                                          w->scales + j * w->groups + g0);
  __m512 s = _mm512_cvtph_ps(half);
  if (live < 16) /* repeat the last live scale */
    s = _mm512_mask_permutexvar_ps(s, (__mmask16)~((1u << live) - 1),
                                   _mm512_set1_epi32((int)live - 1), s);
  return s;
}

/* Rows of x [i0, i0 + TOKENS) against rows [j, j + ROWS) of w: each chunk's
 * codes are unpacked and its scales spread over the lanes once, for all the
 * rows of x; the rows of w give independent chains to overlap. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_w4a8_vnni_rows(const uk_w4a8_args *a, const uk_w4a8_spread *spread, int64_t j, int64_t i0,
                  const int ROWS, const int TOKENS) {
  const uk_w4a8_scratch *s = &a->s;
  const uk_qmatrix *w = &a->w;
  const __m512i nibble = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
  int64_t groups_per_block = 8 * UK_W4_CHUNK / w->group; /* 16, 8 or 4 */
  __m512 acc[UK_W4_TOKENS][2];
  for (int t = 0; t < TOKENS; ++t)
    for (int r = 0; r < ROWS; ++r)
      acc[t][r] = _mm512_setzero_ps();
  __m512 scales[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int64_t c = 0; c < s->chunks; ++c) {
    int step = (int)(c % 8);
    int64_t left = uk_max(w->row_bytes - c * 32, 0);
    __mmask32 tail = (__mmask32)((1ull << uk_min(left, 32)) - 1);
    __m512i codes[2];
    __m512 scale[2];
    for (int r = 0; r < ROWS; ++r) {
      if (step == 0)
        scales[r] = uk_w4a8_scales(w, j + r, c / 8 * groups_per_block);
      const uint8_t *p = w->codes + (j + r) * w->row_bytes + c * 32;
      __m256i bytes = left >= 32 ? _mm256_loadu_si256((const __m256i *)p)
                                 : _mm256_maskz_loadu_epi8(tail, p);
      __m512i both = _mm512_broadcast_i64x4(bytes);
      codes[r] = _mm512_xor_si512(
          _mm512_and_si512(_mm512_mask_blend_epi64(0xF0, both, _mm512_srli_epi16(both, 4)),
                           nibble),
          eight); /* u = q + 8 */
      scale[r] = _mm512_permutexvar_ps(spread->lane_unit[step], scales[r]);
    }
    for (int t = 0; t < TOKENS; ++t) {
      int64_t i = i0 + t;
      __m512i x = _mm512_loadu_si512(s->xq + i * s->row_stride + c * UK_W4_CHUNK);
      __m512i corr = _mm512_loadu_si512(s->xcorr + (i * s->chunks + c) * UK_W4_LANES);
      for (int r = 0; r < ROWS; ++r) {
        __m512i dot = _mm512_dpbusd_epi32(corr, codes[r], x); /* sum of q x_q per lane */
        acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale[r], acc[t][r]);
      }
    }
  }
  for (int t = 0; t < TOKENS; ++t)
    for (int r = 0; r < ROWS; ++r) {
      float lanes[UK_W4_LANES];
      _mm512_storeu_ps(lanes, acc[t][r]);
      a->y[(i0 + t) * a->n + j + r] = uk_w4a8_output(a, lanes, i0 + t, j + r);
    }
}

/* Items are rows of w, for every row of x. */
UK_VNNI_TARGET static void uk_w4a8_vnni_range(void *arg, int64_t begin, int64_t end) {
  const uk_w4a8_args *a = (const uk_w4a8_args *)arg;
  uk_w4a8_spread spread = uk_w4a8_spread_of(a->w.group);
  int64_t j = begin;
  for (; j + 2 <= end; j += 2) {
    int64_t i = 0;
    for (; i + UK_W4_TOKENS <= a->m; i += UK_W4_TOKENS)
      uk_w4a8_vnni_rows(a, &spread, j, i, 2, UK_W4_TOKENS);
    for (; i < a->m; ++i)
      uk_w4a8_vnni_rows(a, &spread, j, i, 2, 1);
  }
  for (; j < end; ++j) {
    int64_t i = 0;
    for (; i + UK_W4_TOKENS <= a->m; i += UK_W4_TOKENS)
      uk_w4a8_vnni_rows(a, &spread, j, i, 1, UK_W4_TOKENS);
    for (; i < a->m; ++i)
      uk_w4a8_vnni_rows(a, &spread, j, i, 1, 1);
  }
}

void slm_uk_linear_w4a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  if (uk_qlinear_trivial(bias, y, m, n, k))
    return;
  uk_w4a8_args a;
  uk_w4a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch);
  uk_parallel(ctx, n, uk_grain(m * k / 8), uk_w4a8_vnni_range, &a);
}
