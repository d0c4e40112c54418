/*===- linear_w4a8.c - int4 weights times int8 activations --------*- C -*-===*
 *
 * W4A8: a linear whose weights are symmetric 4-bit codes in groups of 32, 64
 * or 128 (nibbles holding q in two's complement, as slm_uk_linear_q4 reads
 * them: u = nibble ^ 8 = q + 8 is unsigned) also quantizes its activations
 * per row, as W8A8 does (s_x = max|x| / 127, x_q = round-half-even(x / s_x)
 * in [-127, 127]). Decode then streams 4-bit weights with integer dot
 * products instead of decoding every weight to a float, which is what bounds
 * the f32-activation kernels below the memory's speed.
 *
 * The numerics are defined by lanes, the way vpdpbusd takes 64 bytes. The
 * columns are cut into blocks of 128; the 64 code bytes of block b hold its
 * even columns in their low nibbles and its odd columns in their high ones,
 * so one 64-byte load gives the 16 lanes' dot products in two vpdpbusd
 * (even columns, then odd, into the same sums): lane L sums the 8 products of
 * columns 128b + 8L + {0, ..., 7}, which lie in one group. Per row i of x and
 * row j of w:
 *
 *   D[b][L]  the lane's sum of q * x_q (an exact integer)
 *   v[L] = fma(float(D[b][L]), s_w[j, group of 128b + 8L], v[L])   (b = 0, 1, ...)
 *   v folded: v[L] += v[L + 8], then + 4, + 2, + 1
 *   y[i, j] = v[0] * s_x[i] + bias[j]
 *
 * each step rounded once (fma: one rounding, as fmaf and vfmadd give it). The
 * generic C below and the VNNI kernel give these floats exactly, whatever the
 * target or the threads.
 *
 * The scratch holds x_q block by block as its even columns then its odd ones,
 * s_x, and per block and lane -8 * the sum of the lane's 8 codes: vpdpbusd multiplies the unsigned u = q + 8 by x_q and adds to
 * what it starts from, and sum q x = -8 sum x + sum u x.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_qlinear.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#define UK_W4_BLOCK 128 /* columns per block: 64 bytes of codes */
#define UK_W4_LANES 16
#define UK_W4_TOKENS 4 /* rows of x the VNNI kernel keeps accumulators of */
#define UK_W4_ROWS 4   /* rows of w it reads at once, each from its own part of the range */

typedef struct {
  int8_t *xq;     /* m x row_stride, block by block: even columns, then odd */
  float *xscale;  /* m */
  int32_t *xcorr; /* m x blocks x 16 */
  int64_t row_stride, blocks;
} uk_w4a8_scratch;

typedef struct {
  const float *x;
  uk_qmatrix w;
  const float *bias;
  float *y;
  int64_t m, n;
  int group_shift; /* log2 of the group: 32, 64 or 128 columns (no division in the loops) */
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
    float inverse = uk_int8_row_scale(x, k, &s->xscale[i]);
    for (int64_t b = 0; b < s->blocks; ++b) {
      int8_t *block = q + b * UK_W4_BLOCK;
      for (int64_t t = 0; t < UK_W4_BLOCK; ++t) {
        /* byte t: column 2t (t < 64) or 2(t - 64) + 1 of the block */
        int64_t p = b * UK_W4_BLOCK + (t < 64 ? 2 * t : 2 * (t - 64) + 1);
        block[t] = p < k ? uk_int8_code(x[p], inverse) : 0;
      }
      int32_t *corr = s->xcorr + (i * s->blocks + b) * UK_W4_LANES;
      for (int l = 0; l < UK_W4_LANES; ++l) {
        int32_t sum = 0;
        for (int t = 4 * l; t < 4 * l + 4; ++t)
          sum += block[t] + block[64 + t];
        corr[l] = -8 * sum;
      }
    }
  }
}

/* Fills the arguments and quantizes x into the scratch; 0 when there is
 * nothing to multiply (uk_qlinear_trivial wrote y). Every W4A8 entry point
 * starts here. */
static int uk_w4a8_begin(const slm_uk_ctx *ctx, uk_w4a8_args *a, const float *x,
                         const uint8_t *codes, const uint16_t *scales, const float *bias, float *y,
                         int64_t m, int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  if (uk_qlinear_trivial(bias, y, m, n, k))
    return 0;
  a->x = x;
  a->w = uk_qmatrix_of(codes, scales, NULL, k, 4, group);
  a->bias = bias;
  a->y = y;
  a->m = m;
  a->n = n;
  a->group_shift = __builtin_ctzll((unsigned long long)group);
  a->s.row_stride = slm_uk_w4a8_row_stride(k);
  a->s.blocks = a->s.row_stride / UK_W4_BLOCK;
  a->s.xq = (int8_t *)scratch;
  a->s.xscale = (float *)(scratch + m * a->s.row_stride);
  a->s.xcorr = (int32_t *)(scratch + slm_uk_w4a8_corrections_offset(m, k));
  uk_parallel(ctx, m, uk_grain(4 * k), uk_w4a8_quantize_range, a);
  return 1;
}

/* v folded in the order the definition gives, times s_x, plus bias. */
static inline float uk_w4a8_output(const uk_w4a8_args *a, float v[UK_W4_LANES], int64_t i,
                                   int64_t j) {
  for (int w = 8; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l)
      v[l] = v[l] + v[l + w];
  float r = v[0] * a->s.xscale[i];
  return a->bias ? r + a->bias[j] : r;
}

/* The group of lane l of block b (columns past the last group, whose
 * products are zero, take the last group). */
static inline int64_t uk_w4a8_group(const uk_w4a8_args *a, int64_t b, int l) {
  return uk_min((b * UK_W4_BLOCK + 8 * l) >> a->group_shift, a->w.groups - 1);
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
      float v[UK_W4_LANES] = {0};
      for (int64_t b = 0; b < s->blocks; ++b) {
        const int8_t *xq = s->xq + i * s->row_stride + b * UK_W4_BLOCK;
        const int32_t *corr = s->xcorr + (i * s->blocks + b) * UK_W4_LANES;
        for (int l = 0; l < UK_W4_LANES; ++l) {
          int32_t sum = corr[l];
          for (int t = 4 * l; t < 4 * l + 4; ++t) {
            int64_t byte = b * 64 + t;
            uint8_t code = byte < w->row_bytes ? row[byte] : 0;
            sum += (int32_t)((code & 15) ^ 8) * xq[t]; /* u = q + 8 */
            sum += (int32_t)((code >> 4) ^ 8) * xq[64 + t];
          }
          float scale = uk_half_to_float(w->scales[j * w->groups + uk_w4a8_group(a, b, l)]);
          v[l] = fmaf((float)sum, scale, v[l]);
        }
      }
      a->y[i * a->n + j] = uk_w4a8_output(a, v, i, j);
    }
  }
}

void slm_uk_linear_w4a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch) {
  uk_w4a8_args a;
  if (uk_w4a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    uk_parallel(ctx, n, uk_stream_grain(m, m * k, a.w.row_bytes), uk_w4a8_dot_range, &a);
}

/* The kernels below are x86's; other targets' bitcode has only the generic ones
 * above (SelectKernels picks these for AVX-512 VNNI targets alone). */
#if defined(__x86_64__)

/*===--- AVX-512 VNNI ------------------------------------------------------------===*/

#define UK_VNNI_TARGET \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,evex512")))

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

/* Block b (64 bytes of codes, 128 columns) of rows [rows[0], rows[ROWS]) of w
 * against rows [i0, i0 + TOKENS) of x: the codes are split into nibbles and
 * the lanes' scales spread from `scales` (16 consecutive groups of each row)
 * once, for all the rows of x; the rows of w give independent chains to
 * overlap. `tail` masks the codes of a last, partial block (all ones
 * otherwise: the compiler drops the mask where the caller passes a constant). */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_w4a8_vnni_block(const uk_w4a8_args *a, const uint8_t *const *row_codes, const __m512 *scales,
                   __m512i lane_group, int64_t i0, int64_t b, __mmask64 tail,
                   __m512 v[UK_W4_TOKENS][UK_W4_ROWS], const int ROWS, const int TOKENS) {
  const uk_w4a8_scratch *s = &a->s;
  const __m512i nibble = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
  __m512i lo[UK_W4_ROWS], hi[UK_W4_ROWS];
  __m512 scale[UK_W4_ROWS];
  for (int r = 0; r < ROWS; ++r) {
    const uint8_t *p = row_codes[r] + b * 64;
    __m512i bytes = _mm512_maskz_loadu_epi8(tail, p);
    /* u = (nibble & 15) ^ 8: one ternary-logic op per half */
    lo[r] = _mm512_ternarylogic_epi32(bytes, nibble, eight, 0x6A);
    hi[r] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(bytes, 4), nibble, eight, 0x6A);
    scale[r] = _mm512_permutexvar_ps(lane_group, scales[r]);
  }
  for (int t = 0; t < TOKENS; ++t) {
    int64_t i = i0 + t;
    const int8_t *xq = s->xq + i * s->row_stride + b * UK_W4_BLOCK;
    const int32_t *corr = s->xcorr + (i * s->blocks + b) * UK_W4_LANES;
    __m512i xe = _mm512_loadu_si512(xq), xo = _mm512_loadu_si512(xq + 64);
    __m512i c = _mm512_loadu_si512(corr);
    for (int r = 0; r < ROWS; ++r) { /* the lanes' sums of q x_q: even columns, then odd */
      __m512i sum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(c, lo[r], xe), hi[r], xo);
      v[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale[r], v[t][r]);
    }
  }
}

/* Rows of x [i0, i0 + TOKENS) against rows rows[0..ROWS) of w. Every 4 blocks
 * (512 columns) take 16, 8 or 4 consecutive scales of a row; lane_group[r]
 * says which of them each lane of block r of the 4 takes. The 4 blocks of
 * a whole 512 columns run unrolled with no masks; what is left of the row
 * (fewer than 512 columns) runs masked. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_w4a8_vnni_rows(const uk_w4a8_args *a, const __m512i lane_group[4], const int64_t *rows,
                  int64_t i0, const int ROWS, const int TOKENS) {
  const uk_w4a8_scratch *s = &a->s;
  const uk_qmatrix *w = &a->w;
  int64_t groups_per_4 = (4 * UK_W4_BLOCK) >> a->group_shift; /* 16, 8 or 4 */
  __m512 v[UK_W4_TOKENS][UK_W4_ROWS];
  for (int t = 0; t < TOKENS; ++t)
    for (int r = 0; r < ROWS; ++r)
      v[t][r] = _mm512_setzero_ps();
  const uint8_t *row_codes[UK_W4_ROWS];
  const uint16_t *row_scales[UK_W4_ROWS];
  for (int r = 0; r < ROWS; ++r) {
    row_codes[r] = w->codes + rows[r] * w->row_bytes;
    row_scales[r] = w->scales + rows[r] * w->groups;
  }
  __m512 scales[UK_W4_ROWS];
  const __mmask64 all = ~(__mmask64)0;
  int64_t whole = w->row_bytes / 256 * 4; /* blocks in whole runs of 4 */
  for (int64_t b = 0; b < whole; b += 4) {
    for (int r = 0; r < ROWS; ++r) { /* exactly this run's groups */
      const uint16_t *g = row_scales[r] + b / 4 * groups_per_4;
      UK_PREFETCH_SCALES_AHEAD(w, rows[r], b / 4 * groups_per_4);
      scales[r] = _mm512_cvtph_ps(
          _mm256_maskz_loadu_epi16((__mmask16)((1u << groups_per_4) - 1), g));
    }
    for (int step = 0; step < 4; ++step)
      uk_w4a8_vnni_block(a, row_codes, scales, lane_group[step], i0, b + step, all, v, ROWS,
                         TOKENS);
  }
  for (int64_t b = whole; b < s->blocks; ++b) {
    int step = (int)(b % 4);
    if (step == 0)
      for (int r = 0; r < ROWS; ++r)
        scales[r] = uk_w4a8_scales(w, rows[r], b / 4 * groups_per_4);
    int64_t left = uk_max(w->row_bytes - b * 64, 0);
    __mmask64 tail = left >= 64 ? all : ((__mmask64)1 << left) - 1;
    uk_w4a8_vnni_block(a, row_codes, scales, lane_group[step], i0, b, tail, v, ROWS, TOKENS);
  }
  for (int t = 0; t < TOKENS; ++t)
    for (int r = 0; r < ROWS; ++r) {
      /* uk_w4a8_output's fold, in its order: + 8, + 4, + 2, + 1 */
      __m256 v8 = _mm256_add_ps(_mm512_castps512_ps256(v[t][r]),
                                _mm512_extractf32x8_ps(v[t][r], 1));
      __m128 v4 = _mm_add_ps(_mm256_castps256_ps128(v8), _mm256_extractf128_ps(v8, 1));
      __m128 v2 = _mm_add_ps(v4, _mm_movehl_ps(v4, v4));
      __m128 v1 = _mm_add_ss(v2, _mm_movehdup_ps(v2));
      float out = _mm_cvtss_f32(v1) * a->s.xscale[i0 + t];
      a->y[(i0 + t) * a->n + rows[r]] = a->bias ? out + a->bias[rows[r]] : out;
    }
}

/* Items are rows of w, for every row of x. */
UK_VNNI_TARGET static void uk_w4a8_vnni_range(void *arg, int64_t begin, int64_t end) {
  const uk_w4a8_args *a = (const uk_w4a8_args *)arg;
  __m512i lane_group[4];
  for (int r = 0; r < 4; ++r) {
    int32_t idx[UK_W4_LANES];
    for (int l = 0; l < UK_W4_LANES; ++l)
      idx[l] = (r * UK_W4_BLOCK + 8 * l) >> a->group_shift;
    lane_group[r] = _mm512_loadu_si512(idx);
  }
  /* Rows of w read together come from separate parts of the range: that many
   * sequential streams far apart, which the prefetchers follow at once (one
   * stream leaves the core waiting on memory). Four for decode; two when
   * every row of w meets UK_W4_TOKENS rows of x (registers). */
  int64_t count = end - begin;
  int parts = a->m < UK_W4_TOKENS ? UK_W4_ROWS : 2;
  int64_t part = count / parts;
  for (int64_t j = begin; j < begin + part; ++j) {
    int64_t rows[UK_W4_ROWS];
    for (int r = 0; r < parts; ++r)
      rows[r] = j + r * part;
    int64_t i = 0;
    for (; i + UK_W4_TOKENS <= a->m; i += UK_W4_TOKENS)
      uk_w4a8_vnni_rows(a, lane_group, rows, i, 2, UK_W4_TOKENS);
    for (; i < a->m; ++i) {
      if (parts == 4)
        uk_w4a8_vnni_rows(a, lane_group, rows, i, 4, 1);
      else
        uk_w4a8_vnni_rows(a, lane_group, rows, i, 2, 1);
    }
  }
  for (int64_t j = begin + parts * part; j < end; ++j) { /* what is left over */
    int64_t i = 0;
    for (; i + UK_W4_TOKENS <= a->m; i += UK_W4_TOKENS)
      uk_w4a8_vnni_rows(a, lane_group, &j, i, 1, UK_W4_TOKENS);
    for (; i < a->m; ++i)
      uk_w4a8_vnni_rows(a, lane_group, &j, i, 1, 1);
  }
}

void slm_uk_linear_w4a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w4a8_args a;
  if (uk_w4a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    uk_parallel(ctx, n, uk_stream_grain(m, m * k / 8, a.w.row_bytes), uk_w4a8_vnni_range, &a);
}

#endif /* __x86_64__ */

/*===--- Arm dot products (aarch64-dotprod and aarch64-i8mm targets) ---------===*/

#if defined(__aarch64__)
/* sdot adds the four products of signed bytes 4c..4c+3 into lane c, so 16
 * bytes of codes give four of the definition's lanes. The codes go in signed
 * (q, the nibble sign-extended) rather than as q + 8 with the correction: the
 * same integer sums, so the same floats. */
#define UK_SDOT_TARGET __attribute__((target("dotprod")))

/* y[i, j] for one row of x and one of w. */
UK_SDOT_TARGET static inline float uk_w4a8_sdot_cell(const uk_w4a8_args *a, int64_t i, int64_t j) {
  const uk_w4a8_scratch *s = &a->s;
  const uk_qmatrix *w = &a->w;
  const uint8_t *row = w->codes + j * w->row_bytes;
  float32x4_t v[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
  /* Four lanes (32 columns) lie in one group: W4A8's groups are 32, 64 or 128
   * columns, so quad q of the row is in group q >> shift (no division). */
  const int shift = a->group_shift - 5;
  const uint16_t *row_scales = w->scales + j * w->groups;
  for (int64_t b = 0; b < s->blocks; ++b) {
    const int8_t *xq = s->xq + i * s->row_stride + b * UK_W4_BLOCK;
    const uint8_t *codes = row + b * 64;
    uint8_t last[64];
    if (b * 64 + 64 > w->row_bytes) { /* a partial last block: zero codes add nothing */
      memset(last, 0, sizeof last);
      memcpy(last, codes, (size_t)(w->row_bytes - b * 64));
      codes = last;
    }
    for (int r = 0; r < 4; ++r) {
      int8x16_t c = vreinterpretq_s8_u8(vld1q_u8(codes + 16 * r));
      int8x16_t lo = vshrq_n_s8(vshlq_n_s8(c, 4), 4), hi = vshrq_n_s8(c, 4);
      int32x4_t sum = vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(xq + 16 * r));
      sum = vdotq_s32(sum, hi, vld1q_s8(xq + 64 + 16 * r));
      float scale = uk_half_to_float(row_scales[uk_min((4 * b + r) >> shift, w->groups - 1)]);
      v[r] = vfmaq_f32(v[r], vcvtq_f32_s32(sum), vdupq_n_f32(scale)); /* fmaf per lane */
    }
  }
  float lanes[UK_W4_LANES];
  for (int r = 0; r < 4; ++r)
    vst1q_f32(lanes + 4 * r, v[r]);
  return uk_w4a8_output(a, lanes, i, j);
}

/* Items are rows of w, for every row of x. */
UK_SDOT_TARGET static void uk_w4a8_sdot_range(void *arg, int64_t begin, int64_t end) {
  const uk_w4a8_args *a = (const uk_w4a8_args *)arg;
  for (int64_t j = begin; j < end; ++j)
    for (int64_t i = 0; i < a->m; ++i)
      a->y[i * a->n + j] = uk_w4a8_sdot_cell(a, i, j);
}

void slm_uk_linear_w4a8_sdot(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w4a8_args a;
  if (uk_w4a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    uk_parallel(ctx, n, uk_stream_grain(m, m * k / 4, a.w.row_bytes), uk_w4a8_sdot_range, &a);
}
#endif /* __aarch64__ */
