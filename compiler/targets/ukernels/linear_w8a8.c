/*===- linear_w8a8.c - int8 weights times int8 activations --------*- C -*-===*
 *
 * W8A8: a linear whose weights are symmetric 8-bit codes also quantizes its
 * activations, per row of x (per token) and on the fly: s_x = max|x| / 127,
 * x_q = round(x / s_x) (half to even) in [-127, 127]. The products of codes
 * are exact integers; the floats come in per unit of columns, by uk_w8a8.h's
 * formula. Every way of computing it below gives that float for float:
 * dot products in generic C (every call of slm_uk_linear_w8a8) and, on VNNI
 * targets, dot products of vpdpbusd for decode and a register-tiled GEMM of
 * vpdpbusd for prefill, or on AMX targets a GEMM of AMX tiles. So results do
 * not depend on the target, the tiling, the threads, or how a prompt is cut
 * into calls.
 *
 * vpdpbusd multiplies unsigned by signed bytes: the decode dot products take
 * the weights as q + 128 (unsigned) and x_q as the signed side, then subtract
 * 128 * sum_{p in u} x_q[i, p], which the quantization step records; the
 * prefill GEMM takes x_q + 128 and subtracts 128 * sum_{p in u} q[j, p].
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_w8a8.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

/*===--- dot products (every target) ----------------------------------------===*/

/* sum_{p < len} x[p] * w[p]: how one unit's integer dot product is taken. */
typedef int32_t (*uk_w8a8_span_fn)(const int8_t *x, const int8_t *w, int64_t len);

static inline int32_t uk_w8a8_span(const int8_t *x, const int8_t *w, int64_t len) {
  int32_t sum = 0;
  for (int64_t p = 0; p < len; ++p)
    sum += (int32_t)x[p] * (int32_t)w[p];
  return sum;
}

/* y[i, j], each unit's integer sum by `span` (inlined: each caller gets its
 * own loop). */
static inline __attribute__((always_inline)) void
uk_w8a8_dot_cell(const uk_w8a8_args *a, int64_t i, int64_t j, uk_w8a8_span_fn span) {
  const uk_w8a8_scratch *s = &a->s;
  const int8_t *w = (const int8_t *)a->codes + j * a->row_bytes;
  const int8_t *x = s->xq + i * s->row_stride;
  float f = 0.0f;
  for (int64_t u = 0; u < s->units; ++u) {
    int64_t p = u * s->unit;
    int32_t sum = span(x + p, w + p, uk_min(a->k, p + s->unit) - p);
    f = f + (float)sum * uk_w8a8_weight_scale(a, j, u);
  }
  a->y[i * a->n + j] = uk_w8a8_output(a, f, i, j);
}

/* Rows begin..end of w (output columns), for every row of x. */
static inline __attribute__((always_inline)) void
uk_w8a8_dot_rows(const uk_w8a8_args *a, int64_t begin, int64_t end, uk_w8a8_span_fn span) {
  for (int64_t j = begin; j < end; ++j)
    for (int64_t i = 0; i < a->m; ++i)
      uk_w8a8_dot_cell(a, i, j, span);
}

/* Items are rows of w. */
static void uk_w8a8_dot_range(void *arg, int64_t begin, int64_t end) {
  uk_w8a8_dot_rows((const uk_w8a8_args *)arg, begin, end, uk_w8a8_span);
}

static void uk_w8a8_dots(const slm_uk_ctx *ctx, uk_w8a8_args *a) {
  uk_parallel(ctx, a->n, uk_stream_grain(a->m, a->m * a->k, a->k), uk_w8a8_dot_range, a);
}

void slm_uk_linear_w8a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 8, scratch))
    uk_w8a8_dots(ctx, &a);
}

/* The kernels from here to the Arm section are x86's; other targets' bitcode
 * has only the generic ones above and its own (SelectKernels picks these for
 * AVX-512 VNNI targets alone). */
#if defined(__x86_64__)

/*===--- decode: vpdpbusd dot products (AVX-512 VNNI and AMX targets) --------===*/

/* y[i, rows[c]] for the ROWS rows of w in `rows` and one row i of x: the dot
 * products of uk_w8a8_dot_range by vpdpbusd, 64 columns at a time (masked at
 * the end of a unit), each load of x shared by the rows: the same integers,
 * so the same floats. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_vnni_rows(const uk_w8a8_args *a, const int64_t *rows, int64_t i, const int ROWS) {
  const uk_w8a8_scratch *s = &a->s;
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const int8_t *x = s->xq + i * s->row_stride;
  float f[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int64_t u = 0; u < s->units; ++u) {
    int64_t p1 = uk_min(a->k, (u + 1) * s->unit);
    __m512i dot[4];
    for (int c = 0; c < ROWS; ++c)
      dot[c] = _mm512_setzero_si512();
    for (int64_t p = u * s->unit; p < p1; p += 64) {
      __mmask64 live = p1 - p >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (p1 - p)) - 1;
      __m512i xv = _mm512_maskz_loadu_epi8(live, x + p);
      for (int c = 0; c < ROWS; ++c) {
        const uint8_t *w = a->codes + rows[c] * a->row_bytes;
        UK_PREFETCH_AHEAD(w + p);
        __m512i codes = _mm512_xor_si512(_mm512_maskz_loadu_epi8(live, w + p), flip);
        dot[c] = _mm512_dpbusd_epi32(dot[c], codes, xv);
      }
    }
    for (int c = 0; c < ROWS; ++c) {
      int32_t sum = _mm512_reduce_add_epi32(dot[c]) - 128 * s->xsum[i * s->units + u];
      f[c] = f[c] + (float)sum * uk_w8a8_weight_scale(a, rows[c], u);
    }
  }
  for (int c = 0; c < ROWS; ++c)
    a->y[i * a->n + rows[c]] = uk_w8a8_output(a, f[c], i, rows[c]);
}

/* The rows of w in `rows` (four, or one) for every row of x. */
UK_VNNI_TARGET static void uk_vnni_rows_all(void *arg, const int64_t *rows, int count) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  for (int64_t i = 0; i < a->m; ++i) {
    if (count == 4)
      uk_vnni_rows(a, rows, i, 4);
    else
      uk_vnni_rows(a, rows, i, 1);
  }
}

/* Items are rows of w, read four at a time from four parts of the range
 * (uk_rows_in_four_parts). */
UK_VNNI_TARGET static void uk_vnni_dot_range(void *arg, int64_t begin, int64_t end) {
  uk_rows_in_four_parts(begin, end, uk_vnni_rows_all, arg);
}

void slm_uk_linear_w8a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 8, scratch))
    uk_w8a8_run(ctx, &a, 0, uk_vnni_dot_range, uk_w8a8_dots);
}

/* Linux hands out AMX state only to processes that ask (arch_prctl
 * ARCH_REQ_XCOMP_PERM); the runtime asks when it loads an artifact built for
 * an AMX target (cpu_features.c). */
void slm_uk_linear_w8a8_amx(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                            const uint16_t *scales, const float *bias, float *y, int64_t m,
                            int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 8, scratch))
    uk_w8a8_run(ctx, &a, 1, uk_vnni_dot_range, uk_w8a8_dots);
}

#endif /* __x86_64__ */

/*===--- Arm dot products (aarch64-dotprod and aarch64-i8mm targets) ---------===*/

#if defined(__aarch64__)
/* sdot adds the four products of signed bytes 4t..4t+3 into lane t: the
 * integer sums are the generic kernel's exactly, so are the floats after. */
#define UK_SDOT_TARGET __attribute__((target("dotprod")))

/* sum_{p < len} x[p] * w[p], reading nothing past len. */
UK_SDOT_TARGET static inline int32_t uk_sdot_span(const int8_t *x, const int8_t *w, int64_t len) {
  int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
  int64_t p = 0;
  for (; p + 32 <= len; p += 32) {
    acc0 = vdotq_s32(acc0, vld1q_s8(x + p), vld1q_s8(w + p));
    acc1 = vdotq_s32(acc1, vld1q_s8(x + p + 16), vld1q_s8(w + p + 16));
  }
  if (p + 16 <= len) {
    acc0 = vdotq_s32(acc0, vld1q_s8(x + p), vld1q_s8(w + p));
    p += 16;
  }
  return vaddvq_s32(vaddq_s32(acc0, acc1)) + uk_w8a8_span(x + p, w + p, len - p);
}

/* Items are rows of w. */
UK_SDOT_TARGET static void uk_w8a8_sdot_range(void *arg, int64_t begin, int64_t end) {
  uk_w8a8_dot_rows((const uk_w8a8_args *)arg, begin, end, uk_sdot_span);
}

void slm_uk_linear_w8a8_sdot(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 8, scratch))
    uk_parallel(ctx, n, uk_stream_grain(m, m * k, k), uk_w8a8_sdot_range, &a);
}

/*===--- Arm matrix multiply (prefill on aarch64-i8mm) -----------------------===*/

/* smmla multiplies a 2x8 block of signed bytes by the transpose of another
 * (lanes: [a0.b0, a0.b1, a1.b0, a1.b1]), so a 4x4 tile of (rows of x) x (rows
 * of w) is four of them per eight columns. The integer sums, hence the floats,
 * are the generic kernel's. */
#define UK_SMMLA_TARGET __attribute__((target("dotprod,i8mm")))

/* Two rows' eight bytes from column p as one register. */
UK_SMMLA_TARGET static inline int8x16_t uk_smmla_pair(const int8_t *r0, const int8_t *r1,
                                                      int64_t p) {
  return vcombine_s8(vld1_s8(r0 + p), vld1_s8(r1 + p));
}

/* y for rows i..i+3 of x and rows j..j+3 of w. */
UK_SMMLA_TARGET static void uk_smmla_tile(const uk_w8a8_args *a, int64_t i, int64_t j) {
  const uk_w8a8_scratch *s = &a->s;
  const int8_t *x[4], *w[4];
  for (int r = 0; r < 4; ++r) {
    x[r] = s->xq + (i + r) * s->row_stride;
    w[r] = (const int8_t *)a->codes + (j + r) * a->row_bytes;
  }
  float f[4][4] = {{0.0f}};
  for (int64_t u = 0; u < s->units; ++u) {
    int64_t p0 = u * s->unit, p1 = uk_min(a->k, p0 + s->unit), p = p0;
    /* acc[xr][wc]: rows i+2xr, i+2xr+1 of x by rows j+2wc, j+2wc+1 of w. */
    int32x4_t acc[2][2] = {{vdupq_n_s32(0), vdupq_n_s32(0)}, {vdupq_n_s32(0), vdupq_n_s32(0)}};
    for (; p + 8 <= p1; p += 8) {
      int8x16_t x01 = uk_smmla_pair(x[0], x[1], p), x23 = uk_smmla_pair(x[2], x[3], p);
      int8x16_t w01 = uk_smmla_pair(w[0], w[1], p), w23 = uk_smmla_pair(w[2], w[3], p);
      acc[0][0] = vmmlaq_s32(acc[0][0], x01, w01);
      acc[0][1] = vmmlaq_s32(acc[0][1], x01, w23);
      acc[1][0] = vmmlaq_s32(acc[1][0], x23, w01);
      acc[1][1] = vmmlaq_s32(acc[1][1], x23, w23);
    }
    int32_t lanes[2][2][4];
    for (int b = 0; b < 4; ++b)
      vst1q_s32(lanes[b / 2][b % 2], acc[b / 2][b % 2]);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) {
        /* Columns past the last multiple of eight (k's end): generic C. */
        int32_t sum = lanes[r / 2][c / 2][(r % 2) * 2 + c % 2] +
                      uk_w8a8_span(x[r] + p, w[c] + p, p1 - p);
        f[r][c] = f[r][c] + (float)sum * uk_w8a8_weight_scale(a, j + c, u);
      }
  }
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      a->y[(i + r) * a->n + j + c] = uk_w8a8_output(a, f[r][c], i + r, j + c);
}

/* Items are blocks of four rows of w, each by smmla tiles over the rows of x;
 * what is left (rows of x past a multiple of four, rows of w past one) by sdot. */
UK_SMMLA_TARGET static void uk_w8a8_smmla_range(void *arg, int64_t begin, int64_t end) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  int64_t m4 = a->m / 4 * 4;
  for (int64_t j = 4 * begin; j < uk_min(4 * end, a->n); j += 4) {
    if (j + 4 > a->n) {
      uk_w8a8_dot_rows(a, j, a->n, uk_sdot_span);
      break;
    }
    for (int64_t i = 0; i < m4; i += 4)
      uk_smmla_tile(a, i, j);
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t i = m4; i < a->m; ++i)
        uk_w8a8_dot_cell(a, i, j + c, uk_sdot_span);
  }
}

void slm_uk_linear_w8a8_smmla(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                              const uint16_t *scales, const float *bias, float *y, int64_t m,
                              int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (!uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, 8, scratch))
    return;
  if (m < 4) /* decode: the dot products */
    uk_parallel(ctx, n, uk_stream_grain(m, m * k, k), uk_w8a8_sdot_range, &a);
  else
    uk_parallel(ctx, (n + 3) / 4, uk_grain(4 * m * k), uk_w8a8_smmla_range, &a);
}
#endif /* __aarch64__ */
