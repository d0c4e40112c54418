/*===- linear_w8a8.c - int8 weights times int8 activations --------*- C -*-===*
 *
 * W8A8: a linear whose weights are symmetric 8-bit codes also quantizes its
 * activations, per row of x (per token) and on the fly: s_x = max|x| / 127,
 * x_q = round(x / s_x) (half to even) in [-127, 127]. The products of codes
 * are exact integers; the floats come in per unit of columns: a group of the
 * weight format, or SLM_UK_W8A8_UNIT columns for per-channel formats:
 *
 *     y[i, j] = (sum_u float(sum_{p in u} x_q[i, p] * q[j, p]) * s_w[j, u]) * s_x[i] + bias[j]
 *
 * with the units summed in order from 0, each step a rounded multiply and a
 * rounded add. Every way of computing it below gives that float for float:
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
#include "compiler/targets/ukernels/uk_qlinear.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#if UK_KC % SLM_UK_W8A8_UNIT
#error "a per-channel unit must fit a GEMM panel"
#endif

/* The pieces of the scratch, as slm_uk_w8a8_scratch_bytes sizes them. */
typedef struct {
  int8_t *xq;    /* m x row_stride codes, zero past column k */
  float *xscale; /* m */
  int32_t *xsum; /* m x units: the sum of the codes of each unit */
  int8_t *xcol;  /* the prefill GEMMs': xq[i, 4s..4s+4) at (s * padded_rows + i) * 4 */
  int64_t row_stride, units, unit, padded_rows;
} uk_w8a8_scratch;

static uk_w8a8_scratch uk_w8a8_scratch_of(uint8_t *scratch, int64_t m, int64_t k, int64_t group) {
  uk_w8a8_scratch s;
  s.row_stride = slm_uk_w8a8_row_stride(k);
  s.unit = group > 0 ? group : SLM_UK_W8A8_UNIT;
  s.units = (k + s.unit - 1) / s.unit;
  s.xq = (int8_t *)scratch;
  s.xscale = (float *)(scratch + m * s.row_stride);
  s.xsum = (int32_t *)(scratch + slm_uk_w8a8_sums_offset(m, k));
  s.xcol = (int8_t *)(scratch + slm_uk_w8a8_columns_offset(m, k, group));
  s.padded_rows = (m + 31) / 32 * 32;
  return s;
}

typedef struct {
  const float *x;
  const uint8_t *codes;     /* n x row_bytes */
  const uint16_t *scales;   /* n x groups */
  const float *bias;
  float *y;
  int64_t m, n, k, groups, row_bytes;
  uk_w8a8_scratch s;
} uk_w8a8_args;

/* The weight scale of unit u of row j (per channel: the row's one scale). */
static inline float uk_w8a8_weight_scale(const uk_w8a8_args *a, int64_t j, int64_t u) {
  return uk_half_to_float(a->scales[j * a->groups + (a->groups > 1 ? u : 0)]);
}

/*===--- quantizing the activations -----------------------------------------===*/

static void uk_w8a8_quantize_range(void *arg, int64_t begin, int64_t end) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  const uk_w8a8_scratch *s = &a->s;
  int64_t k = a->k;
  for (int64_t i = begin; i < end; ++i) {
    const float *x = a->x + i * k;
    int8_t *q = s->xq + i * s->row_stride;
    float inverse = uk_int8_row_scale(x, k, &s->xscale[i]);
    for (int64_t p = 0; p < k; ++p)
      q[p] = uk_int8_code(x[p], inverse);
    for (int64_t p = k; p < s->row_stride; ++p)
      q[p] = 0;
    for (int64_t u = 0; u < s->units; ++u) {
      int32_t sum = 0;
      for (int64_t p = u * s->unit; p < uk_min(k, (u + 1) * s->unit); ++p)
        sum += q[p];
      s->xsum[i * s->units + u] = sum;
    }
  }
}

static void uk_w8a8_quantize(const slm_uk_ctx *ctx, uk_w8a8_args *a) {
  uk_parallel(ctx, a->m, uk_grain(4 * a->k), uk_w8a8_quantize_range, a);
}

/* y = f * s_x + bias: the last step of every way of computing y. */
static inline float uk_w8a8_output(const uk_w8a8_args *a, float f, int64_t i, int64_t j) {
  float v = f * a->s.xscale[i];
  return a->bias ? v + a->bias[j] : v;
}

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

/* Fills the arguments and quantizes x into the scratch; 0 when there is
 * nothing to multiply (uk_qlinear_trivial wrote y). Every W8A8 entry point
 * starts here. */
static int uk_w8a8_begin(const slm_uk_ctx *ctx, uk_w8a8_args *a, const float *x,
                         const uint8_t *codes, const uint16_t *scales, const float *bias, float *y,
                         int64_t m, int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  if (uk_qlinear_trivial(bias, y, m, n, k))
    return 0;
  uk_qmatrix w = uk_qmatrix_of(codes, scales, NULL, k, 8, group);
  a->x = x;
  a->codes = codes;
  a->scales = scales;
  a->bias = bias;
  a->y = y;
  a->m = m;
  a->n = n;
  a->k = k;
  a->groups = w.groups;
  a->row_bytes = w.row_bytes;
  a->s = uk_w8a8_scratch_of(scratch, m, k, group);
  uk_w8a8_quantize(ctx, a);
  return 1;
}

void slm_uk_linear_w8a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    uk_w8a8_dots(ctx, &a);
}

/* The kernels below are x86's; other targets' bitcode has only the generic ones
 * above (SelectKernels picks these for AVX-512 VNNI targets alone). */
#if defined(__x86_64__)

#define UK_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,evex512")))
#define UK_AMX_TARGET                                                                              \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,evex512,amx-tile,amx-int8")))

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

/* The masks of a block's two halves of 16 rows of w, for its nr rows below n. */
static inline void uk_vnni_live_rows(int64_t nr, __mmask16 live[2]) {
  for (int h = 0; h < 2; ++h) {
    int64_t rows = uk_min(16, uk_max(0, nr - 16 * h));
    live[h] = (__mmask16)((1u << rows) - 1);
  }
}

/*===--- prefill: GEMMs that read the weights where they are stored ----------===*/

/* Both GEMMs (vpdpbusd on AVX-512 VNNI targets, AMX tiles on AMX-INT8 ones)
 * take blocks of UK_W8A8_NR rows of w by UK_W8A8_MR rows of x. The rows of w
 * are read as they are stored, four or 64 consecutive codes of a row at a
 * time; x_q is laid out once per call (s->xcol, uk_w8a8_columns) as
 * four columns of every row of x after another, so that one 64-byte load
 * holds four columns of 16 rows of x. Per unit, a block's integer sums c
 * (rows of w by rows of x: y transposed) are finished by uk_w8a8_finish as
 * the formula says, the same integers and so the same floats as every other
 * way of computing y, into partial sums f that a task holds for up to
 * UK_W8A8_CHUNK rows of x; after the row's last unit they take the token
 * scale and the bias and are transposed into y. Until 2026-12-06 both GEMMs
 * took the weights from panels packed per call by 16 x 16 transposes of
 * every weight, a quarter of a 0.5B model's W8A8 prefill on one Xeon core. */
#define UK_W8A8_NR 32     /* rows of w per block (a task item) */
#define UK_W8A8_MR 32     /* rows of x per block */
#define UK_W8A8_CHUNK 128 /* rows of x whose partial sums a task holds */
_Static_assert(UK_W8A8_CHUNK % UK_W8A8_MR == 0, "chunks of whole blocks");

/* Items are steps of four columns: s->xcol from s->xq, as x_q ^ flip (0x80:
 * x_q + 128, the unsigned side of vpdpbusd), rows past m as code 0. */
static inline void uk_w8a8_columns(const uk_w8a8_args *a, int64_t begin, int64_t end,
                                   uint32_t flip) {
  const uk_w8a8_scratch *s = &a->s;
  for (int64_t step = begin; step < end; ++step) {
    uint32_t *col = (uint32_t *)(s->xcol + step * s->padded_rows * 4);
    for (int64_t i = 0; i < a->m; ++i) {
      memcpy(&col[i], s->xq + i * s->row_stride + 4 * step, 4);
      col[i] ^= flip;
    }
    for (int64_t i = a->m; i < s->padded_rows; ++i)
      col[i] = flip;
  }
}
static void uk_w8a8_columns_signed(void *arg, int64_t begin, int64_t end) {
  uk_w8a8_columns((const uk_w8a8_args *)arg, begin, end, 0);
}
static void uk_w8a8_columns_unsigned(void *arg, int64_t begin, int64_t end) {
  uk_w8a8_columns((const uk_w8a8_args *)arg, begin, end, 0x80808080u);
}

/* What a block reads of its rows of w for columns kb..kb+kc: the rows where
 * they are stored, or (rows past n, or rows that a 64-column tile would read
 * past their end) a zero-padded copy; each unit's weight scale per row; and,
 * for vpdpbusd, 128 times each unit's sum of codes per row, which x_q + 128
 * adds to the dot products. */
typedef struct {
  const int8_t *w;
  int64_t ldw;
  float scales[UK_KC / 32][UK_W8A8_NR];   /* units are at least 32 columns */
  int32_t offsets[UK_KC / 32][UK_W8A8_NR];
  int8_t copy[UK_W8A8_NR][UK_KC] __attribute__((aligned(64)));
} uk_w8a8_panel;

UK_VNNI_TARGET static void uk_w8a8_panel_of(const uk_w8a8_args *a, uk_w8a8_panel *w, int64_t j0,
                                            int64_t nr, int64_t kb, int64_t kc, int offsets) {
  int64_t unit = a->s.unit, units = (kc + unit - 1) / unit;
  for (int64_t u = 0; u < units; ++u)
    for (int l = 0; l < UK_W8A8_NR; ++l)
      w->scales[u][l] = uk_w8a8_weight_scale(a, j0 + uk_min(l, nr - 1), kb / unit + u);
  const int8_t *rows = (const int8_t *)a->codes + j0 * a->row_bytes + kb;
  if (nr == UK_W8A8_NR && a->row_bytes % 64 == 0) {
    w->w = rows;
    w->ldw = a->row_bytes;
  } else {
    memset(w->copy, 0, sizeof w->copy);
    for (int64_t l = 0; l < nr; ++l)
      memcpy(w->copy[l], rows + l * a->row_bytes, (size_t)kc);
    w->w = &w->copy[0][0];
    w->ldw = UK_KC;
  }
  if (!offsets)
    return;
  const __m512i ones = _mm512_set1_epi8(1);
  for (int l = 0; l < UK_W8A8_NR; ++l)
    for (int64_t u = 0; u < units; ++u) {
      __m512i sum = _mm512_setzero_si512();
      for (int64_t p = u * unit; p < uk_min(kc, (u + 1) * unit); p += 64) {
        int64_t left = uk_min(kc, (u + 1) * unit) - p;
        __mmask64 in = left >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << left) - 1;
        sum = _mm512_dpbusd_epi32(sum, ones, _mm512_maskz_loadu_epi8(in, w->w + l * w->ldw + p));
      }
      w->offsets[u][l] = 128 * _mm512_reduce_add_epi32(sum);
    }
}

/* Unit u of the panel for the block of rows j0.. of w (`live` below n) and
 * the rows i.. of x (`rows` below m): c's sums (less the offsets, for
 * vpdpbusd's) into f in acc, as uk_w8a8_dot_cell takes them, and after the
 * row's last unit uk_w8a8_output's steps and y. */
UK_VNNI_TARGET static inline __attribute__((always_inline)) void
uk_w8a8_finish(const uk_w8a8_args *a, const uk_w8a8_panel *w, const int32_t (*c)[UK_W8A8_MR],
               float (*acc)[UK_W8A8_CHUNK], int64_t i, int64_t rows, int64_t j0, int64_t kb,
               int64_t u, const __mmask16 live[2], int offsets) {
  const uk_w8a8_scratch *s = &a->s;
  int64_t unit = kb / s->unit + u;
  int first = kb == 0 && u == 0, last = unit == s->units - 1;
  __mmask16 in_m[2];
  uk_vnni_live_rows(rows, in_m);
  for (int64_t r = 0; r < UK_W8A8_NR; ++r)
    for (int h = 0; h < 2; ++h) {
      float *f = acc[r] + i % UK_W8A8_CHUNK + 16 * h;
      __m512i dot = _mm512_loadu_si512(&c[r][16 * h]);
      if (offsets)
        dot = _mm512_sub_epi32(dot, _mm512_set1_epi32(w->offsets[u][r]));
      __m512 prev = first ? _mm512_setzero_ps() : _mm512_loadu_ps(f);
      __m512 v = _mm512_add_ps(
          prev, _mm512_mul_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(w->scales[u][r])));
      if (last) { /* uk_w8a8_output's two steps */
        v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(in_m[h], s->xscale + i + 16 * h));
        if (a->bias && (live[r / 16] >> (r % 16) & 1))
          v = _mm512_add_ps(v, _mm512_set1_ps(a->bias[j0 + r]));
      }
      _mm512_storeu_ps(f, v);
    }
  if (!last)
    return;
  for (int hw = 0; hw < 2; ++hw) /* f transposed into y, 16 x 16 at a time */
    for (int hx = 0; hx < 2; ++hx) {
      uk_f32x16 v[16];
      for (int l = 0; l < 16; ++l)
        memcpy(&v[l], acc[16 * hw + l] + i % UK_W8A8_CHUNK + 16 * hx, sizeof v[l]);
      uk_transpose16(v); /* v[e]: row i + 16 hx + e of x, rows 16 hw.. of w */
      for (int e = 0; e < 16 && 16 * hx + e < rows; ++e)
        _mm512_mask_storeu_ps(a->y + (i + 16 * hx + e) * a->n + j0 + 16 * hw, live[hw],
                              (__m512)v[e]);
    }
}

/* A block's sums by vpdpbusd: eight rows of w at a time, each broadcast of
 * four codes of a row feeding two vpdpbusd (16 rows of x each), 16
 * independent sums. */
UK_VNNI_TARGET static void uk_vnni_block(const uk_w8a8_args *a, const uk_w8a8_panel *w,
                                         float (*acc)[UK_W8A8_CHUNK], int64_t i, int64_t rows,
                                         int64_t j0, int64_t kb, int64_t kc,
                                         const __mmask16 live[2]) {
  const uk_w8a8_scratch *s = &a->s;
  int64_t unit_steps = s->unit / 4, units = (kc + s->unit - 1) / s->unit, steps = (kc + 3) / 4;
  int64_t ldx = s->padded_rows * 4;
  const int8_t *x = s->xcol + (kb / 4 * s->padded_rows + i) * 4;
  int32_t c[UK_W8A8_NR][UK_W8A8_MR];
  for (int64_t u = 0; u < units; ++u) {
    for (int64_t r0 = 0; r0 < UK_W8A8_NR; r0 += 8) {
      __m512i dot[8][2];
      for (int r = 0; r < 8; ++r)
        dot[r][0] = dot[r][1] = _mm512_setzero_si512();
      for (int64_t step = u * unit_steps; step < uk_min((u + 1) * unit_steps, steps); ++step) {
        __m512i x0 = _mm512_loadu_si512(x + step * ldx);
        __m512i x1 = _mm512_loadu_si512(x + step * ldx + 64);
        for (int r = 0; r < 8; ++r) {
          int32_t w4;
          memcpy(&w4, w->w + (r0 + r) * w->ldw + 4 * step, 4);
          __m512i wb = _mm512_set1_epi32(w4);
          dot[r][0] = _mm512_dpbusd_epi32(dot[r][0], x0, wb);
          dot[r][1] = _mm512_dpbusd_epi32(dot[r][1], x1, wb);
        }
      }
      for (int r = 0; r < 8; ++r) {
        _mm512_storeu_si512(&c[r0 + r][0], dot[r][0]);
        _mm512_storeu_si512(&c[r0 + r][16], dot[r][1]);
      }
    }
    uk_w8a8_finish(a, w, (const int32_t(*)[UK_W8A8_MR])c, acc, i, rows, j0, kb, u, live, 1);
  }
}

/* A block's sums by AMX tiles: tdpbssd adds to each int32 of a 16 x 16 tile
 * C the dot product of a row of A (64 signed bytes: 64 codes of a row of w)
 * with a column of B (16 rows of 64 bytes, each four columns of 16 rows of x
 * in s->xcol): 16K products in one instruction, where vpdpbusd takes 64; two
 * A and two B tiles, four C tiles per block. Units of 32 columns (int8-g32)
 * would split a tile's 64 and take the vpdpbusd GEMM. */
UK_AMX_TARGET static void uk_amx_block(const uk_w8a8_args *a, const uk_w8a8_panel *w,
                                       float (*acc)[UK_W8A8_CHUNK], int64_t i, int64_t rows,
                                       int64_t j0, int64_t kb, int64_t kc,
                                       const __mmask16 live[2]) {
  const uk_w8a8_scratch *s = &a->s;
  int64_t unit_tiles = s->unit / 64, units = (kc + s->unit - 1) / s->unit;
  int64_t tiles = (kc + 63) / 64, ldx = s->padded_rows * 4;
  const int8_t *x = s->xcol + (kb / 4 * s->padded_rows + i) * 4;
  int32_t c[UK_W8A8_NR][UK_W8A8_MR];
  for (int64_t u = 0; u < units; ++u) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t t = u * unit_tiles; t < uk_min((u + 1) * unit_tiles, tiles); ++t) {
      _tile_loadd(4, w->w + 64 * t, w->ldw);
      _tile_loadd(5, w->w + 16 * w->ldw + 64 * t, w->ldw);
      _tile_loadd(6, x + 16 * t * ldx, ldx);
      _tile_loadd(7, x + 16 * t * ldx + 64, ldx);
      _tile_dpbssd(0, 4, 6);
      _tile_dpbssd(1, 4, 7);
      _tile_dpbssd(2, 5, 6);
      _tile_dpbssd(3, 5, 7);
    }
    _tile_stored(0, &c[0][0], sizeof c[0]);
    _tile_stored(1, &c[0][16], sizeof c[0]);
    _tile_stored(2, &c[16][0], sizeof c[0]);
    _tile_stored(3, &c[16][16], sizeof c[0]);
    uk_w8a8_finish(a, w, (const int32_t(*)[UK_W8A8_MR])c, acc, i, rows, j0, kb, u, live, 0);
  }
}

typedef void (*uk_w8a8_block_fn)(const uk_w8a8_args *, const uk_w8a8_panel *,
                                 float (*)[UK_W8A8_CHUNK], int64_t, int64_t, int64_t, int64_t,
                                 int64_t, const __mmask16[2]);

/* Items are blocks of UK_W8A8_NR rows of w, each for every row of x,
 * UK_W8A8_CHUNK rows of x at a time (inlined: each caller its own loop). */
static inline __attribute__((always_inline)) void
uk_w8a8_gemm_items(const uk_w8a8_args *a, int64_t begin, int64_t end, uk_w8a8_block_fn block,
                   int offsets) {
  int64_t m = a->m, n = a->n, k = a->k;
  uk_w8a8_panel w;
  float acc[UK_W8A8_NR][UK_W8A8_CHUNK] __attribute__((aligned(64)));
  for (int64_t item = begin; item < end; ++item) {
    int64_t j0 = item * UK_W8A8_NR, nr = uk_min(UK_W8A8_NR, n - j0);
    __mmask16 live[2];
    uk_vnni_live_rows(nr, live);
    for (int64_t i0 = 0; i0 < m; i0 += UK_W8A8_CHUNK)
      for (int64_t kb = 0; kb < k; kb += UK_KC) {
        int64_t kc = uk_min(UK_KC, k - kb);
        uk_w8a8_panel_of(a, &w, j0, nr, kb, kc, offsets);
        for (int64_t i = i0; i < uk_min(m, i0 + UK_W8A8_CHUNK); i += UK_W8A8_MR)
          block(a, &w, acc, i, uk_min(UK_W8A8_MR, m - i), j0, kb, kc, live);
      }
  }
}

UK_VNNI_TARGET static void uk_vnni_gemm_range(void *arg, int64_t begin, int64_t end) {
  uk_w8a8_gemm_items((const uk_w8a8_args *)arg, begin, end, uk_vnni_block, 1);
}

/* The tile configuration: palette 1, every tile 16 rows of 64 bytes. */
typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} uk_amx_config;

UK_AMX_TARGET static void uk_amx_gemm_range(void *arg, int64_t begin, int64_t end) {
  uk_amx_config config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.bytes_per_row[t] = 64;
  }
  _tile_loadconfig(&config);
  uk_w8a8_gemm_items((const uk_w8a8_args *)arg, begin, end, uk_amx_block, 0);
  _tile_release();
}

/* A call whose x is quantized: decode (m < UK_DOT_MAX_M) by the vpdpbusd dot
 * products; units that a panel's UK_KC columns do not hold whole by the
 * generic dot products; else x_q laid out by `columns` and `gemm` over blocks
 * of UK_W8A8_NR rows of w, a product costing 1 / `per_cost` of a cost unit. */
static void uk_w8a8_run(const slm_uk_ctx *ctx, uk_w8a8_args *a,
                        void (*columns)(void *, int64_t, int64_t),
                        void (*gemm)(void *, int64_t, int64_t), int64_t per_cost) {
  int64_t m = a->m, n = a->n, k = a->k;
  if (m < UK_DOT_MAX_M) {
    uk_parallel(ctx, n, uk_stream_grain(m, m * k / 4, k), uk_vnni_dot_range, a);
    return;
  }
  if (UK_KC % a->s.unit) {
    uk_w8a8_dots(ctx, a);
    return;
  }
  uk_parallel(ctx, a->s.row_stride / 4, uk_grain(4 * a->s.padded_rows), columns, a);
  int64_t items = (n + UK_W8A8_NR - 1) / UK_W8A8_NR;
  int64_t rows = (m + UK_W8A8_MR - 1) / UK_W8A8_MR * UK_W8A8_MR;
  uk_parallel(ctx, items, uk_grain(rows * UK_W8A8_NR * k / per_cost), gemm, a);
}

void slm_uk_linear_w8a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    uk_w8a8_run(ctx, &a, uk_w8a8_columns_unsigned, uk_vnni_gemm_range, 4);
}

/* Linux hands out AMX state only to processes that ask (arch_prctl
 * ARCH_REQ_XCOMP_PERM); the runtime asks when it loads an artifact built for
 * an AMX target (cpu_features.c). */
void slm_uk_linear_w8a8_amx(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                            const uint16_t *scales, const float *bias, float *y, int64_t m,
                            int64_t n, int64_t k, int64_t group, uint8_t *scratch) {
  uk_w8a8_args a;
  if (!uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    return;
  if (a.s.unit % 64) /* int8-g32 */
    uk_w8a8_run(ctx, &a, uk_w8a8_columns_unsigned, uk_vnni_gemm_range, 4);
  else
    uk_w8a8_run(ctx, &a, uk_w8a8_columns_signed, uk_amx_gemm_range, 64);
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
  if (uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
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
  if (!uk_w8a8_begin(ctx, &a, x, codes, scales, bias, y, m, n, k, group, scratch))
    return;
  if (m < 4) /* decode: the dot products */
    uk_parallel(ctx, n, uk_stream_grain(m, m * k, k), uk_w8a8_sdot_range, &a);
  else
    uk_parallel(ctx, (n + 3) / 4, uk_grain(4 * m * k), uk_w8a8_smmla_range, &a);
}
#endif /* __aarch64__ */
