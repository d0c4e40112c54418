/*===- uk_w8a8.h - what the int8-activation linears share ----------*- C -*-===*
 *
 * Private to compiler/targets/ukernels: W8A8 (linear_w8a8.c) and W4A8
 * (linear_w4a8.c) quantize their activations the same way into the same
 * scratch, define their floats by the same formula over units of columns, and
 * run prefill on the same GEMMs, which take a block of int8 weights where they
 * are stored (8-bit codes) or decoded into a panel (4-bit codes):
 *
 *     y[i, j] = (sum_u float(sum_{p in u} x_q[i, p] * q[j, p]) * s_w[j, u]) * s_x[i] + bias[j]
 *
 * with the units (a group of the weight format, or SLM_UK_W8A8_UNIT columns
 * for per-channel formats) summed in order from 0, each step a rounded
 * multiply and a rounded add.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UK_W8A8_H
#define SLM_UK_W8A8_H

#include "compiler/targets/ukernels/uk_qlinear.h"

#if defined(__x86_64__)
#include <immintrin.h>
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

static inline uk_w8a8_scratch uk_w8a8_scratch_of(uint8_t *scratch, int64_t m, int64_t k, int64_t group) {
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
  const uint8_t *codes;     /* n x row_bytes: 8-bit codes, or 4-bit ones two to a byte */
  const uint16_t *scales;   /* n x groups */
  const float *bias;
  float *y;
  int64_t m, n, k, groups, row_bytes;
  int bits; /* of a code: 8 or 4 (W4A8: symmetric, low nibble first) */
  uk_w8a8_scratch s;
} uk_w8a8_args;

/* The weight scale of unit u of row j (per channel: the row's one scale). */
static inline float uk_w8a8_weight_scale(const uk_w8a8_args *a, int64_t j, int64_t u) {
  return uk_half_to_float(a->scales[j * a->groups + (a->groups > 1 ? u : 0)]);
}

/*===--- quantizing the activations -----------------------------------------===*/

static inline void uk_w8a8_quantize_range(void *arg, int64_t begin, int64_t end) {
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

static inline void uk_w8a8_quantize(const slm_uk_ctx *ctx, uk_w8a8_args *a) {
  uk_parallel(ctx, a->m, uk_grain(4 * a->k), uk_w8a8_quantize_range, a);
}

/* y = f * s_x + bias: the last step of every way of computing y. */
static inline float uk_w8a8_output(const uk_w8a8_args *a, float f, int64_t i, int64_t j) {
  float v = f * a->s.xscale[i];
  return a->bias ? v + a->bias[j] : v;
}

/* Fills the arguments and quantizes x into the scratch; 0 when there is
 * nothing to multiply (uk_linear_trivial wrote y). Every W8A8 and W4A8
 * entry point starts here. */
static inline int uk_w8a8_begin(const slm_uk_ctx *ctx, uk_w8a8_args *a, const float *x,
                         const uint8_t *codes, const uint16_t *scales, const float *bias, float *y,
                         int64_t m, int64_t n, int64_t k, int64_t group, int bits,
                         uint8_t *scratch) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return 0;
  uk_qmatrix w = uk_qmatrix_of(codes, scales, NULL, k, bits, group);
  a->bits = bits;
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


#if defined(__x86_64__)

#define UK_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,evex512")))
#define UK_AMX_TARGET                                                                              \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,evex512,amx-tile,amx-int8")))

/* The masks of a block's two halves of 16 rows of w, for its nr rows below n. */
static inline void uk_vnni_live_rows(int64_t nr, __mmask16 live[2]) {
  for (int h = 0; h < 2; ++h) {
    int64_t rows = uk_min(16, uk_max(0, nr - 16 * h));
    live[h] = (__mmask16)((1u << rows) - 1);
  }
}

/*===--- prefill: GEMMs that read the weights where they are stored ----------===*/

/* Both GEMMs (vpdpbusd on AVX-512 VNNI targets, AMX tiles on AMX-INT8 ones)
 * take blocks of UK_W8A8_NR rows of w by UK_W8A8_MR rows of x. The rows of
 * 8-bit codes are read as they are stored (4-bit ones from a panel decoded to
 * int8, uk_w8a8_panel_of), four, 32 or 64 consecutive codes of a row at a
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
 * they are stored, or (4-bit codes, rows past n, or rows that a 64-column
 * tile would read past their end) a zero-padded copy; each unit's weight
 * scale per row; and,
 * for vpdpbusd, 128 times each unit's sum of codes per row, which x_q + 128
 * adds to the dot products. */
typedef struct {
  const int8_t *w;
  int64_t ldw;
  float scales[UK_KC / 32][UK_W8A8_NR];   /* units are at least 32 columns */
  int32_t offsets[UK_KC / 32][UK_W8A8_NR];
  int8_t copy[UK_W8A8_NR][UK_KC] __attribute__((aligned(64)));
} uk_w8a8_panel;

/* Columns p0..p0 + len (p0 even) of a row of 4-bit codes as int8 codes:
 * 32 bytes widened to 16-bit words, each word's two nibbles spread to its two
 * bytes (low nibble first: column order), then sign-extended from 4 bits. */
UK_VNNI_TARGET static inline void uk_w4_decode_row(const uint8_t *row, int64_t p0, int64_t len,
                                                   int8_t *out) {
  const __m512i low = _mm512_set1_epi16(0x000F), high = _mm512_set1_epi16(0x0F00);
  const __m512i eight = _mm512_set1_epi8(8);
  for (int64_t p = 0; p < len; p += 64) {
    int64_t left = uk_min(64, len - p), bytes = (left + 1) / 2;
    __m256i packed = _mm256_maskz_loadu_epi8((__mmask32)(((uint64_t)1 << bytes) - 1),
                                             row + (p0 + p) / 2);
    __m512i words = _mm512_cvtepu8_epi16(packed);
    __m512i nibbles = _mm512_or_si512(_mm512_and_si512(words, low),
                                      _mm512_and_si512(_mm512_slli_epi16(words, 4), high));
    __m512i codes = _mm512_sub_epi8(_mm512_xor_si512(nibbles, eight), eight);
    _mm512_mask_storeu_epi8(out + p, left >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << left) - 1,
                            codes);
  }
}

UK_VNNI_TARGET static void uk_w8a8_panel_of(const uk_w8a8_args *a, uk_w8a8_panel *w, int64_t j0,
                                            int64_t nr, int64_t kb, int64_t kc, int offsets) {
  int64_t unit = a->s.unit, units = (kc + unit - 1) / unit;
  for (int64_t u = 0; u < units; ++u)
    for (int l = 0; l < UK_W8A8_NR; ++l)
      w->scales[u][l] = uk_w8a8_weight_scale(a, j0 + uk_min(l, nr - 1), kb / unit + u);
  if (a->bits == 4) {
    if (nr < UK_W8A8_NR || kc < UK_KC)
      memset(w->copy, 0, sizeof w->copy);
    for (int64_t l = 0; l < nr; ++l)
      uk_w4_decode_row(a->codes + (j0 + l) * a->row_bytes, kb, kc, w->copy[l]);
    w->w = &w->copy[0][0];
    w->ldw = UK_KC;
  } else if (nr == UK_W8A8_NR && a->row_bytes % 64 == 0) {
    w->w = (const int8_t *)a->codes + j0 * a->row_bytes + kb;
    w->ldw = a->row_bytes;
  } else {
    memset(w->copy, 0, sizeof w->copy);
    for (int64_t l = 0; l < nr; ++l)
      memcpy(w->copy[l], a->codes + (j0 + l) * a->row_bytes + kb, (size_t)kc);
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
 * C the dot product of a row of A (TK signed bytes: TK codes of a row of w)
 * with a column of B (TK / 4 rows of 64 bytes, each four columns of 16 rows
 * of x in s->xcol): 16 x 16 x TK products in one instruction, where vpdpbusd
 * takes 64; two A and two B tiles, four C tiles per block. TK is 64, or 32
 * for units of 32 columns (int8-g32, W4A8 in groups of 32), which take
 * tiles of half the depth (uk_amx_config_of). */
UK_AMX_TARGET static inline __attribute__((always_inline)) void
uk_amx_block(const uk_w8a8_args *a, const uk_w8a8_panel *w, float (*acc)[UK_W8A8_CHUNK],
             int64_t i, int64_t rows, int64_t j0, int64_t kb, int64_t kc, const __mmask16 live[2],
             const int TK) {
  const uk_w8a8_scratch *s = &a->s;
  int64_t unit_tiles = s->unit / TK, units = (kc + s->unit - 1) / s->unit;
  int64_t tiles = (kc + TK - 1) / TK, ldx = s->padded_rows * 4;
  const int8_t *x = s->xcol + (kb / 4 * s->padded_rows + i) * 4;
  int32_t c[UK_W8A8_NR][UK_W8A8_MR];
  for (int64_t u = 0; u < units; ++u) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t t = u * unit_tiles; t < uk_min((u + 1) * unit_tiles, tiles); ++t) {
      _tile_loadd(4, w->w + TK * t, w->ldw);
      _tile_loadd(5, w->w + 16 * w->ldw + TK * t, w->ldw);
      _tile_loadd(6, x + TK / 4 * t * ldx, ldx);
      _tile_loadd(7, x + TK / 4 * t * ldx + 64, ldx);
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
UK_AMX_TARGET static void uk_amx_block64(const uk_w8a8_args *a, const uk_w8a8_panel *w,
                                         float (*acc)[UK_W8A8_CHUNK], int64_t i, int64_t rows,
                                         int64_t j0, int64_t kb, int64_t kc,
                                         const __mmask16 live[2]) {
  uk_amx_block(a, w, acc, i, rows, j0, kb, kc, live, 64);
}
UK_AMX_TARGET static void uk_amx_block32(const uk_w8a8_args *a, const uk_w8a8_panel *w,
                                         float (*acc)[UK_W8A8_CHUNK], int64_t i, int64_t rows,
                                         int64_t j0, int64_t kb, int64_t kc,
                                         const __mmask16 live[2]) {
  uk_amx_block(a, w, acc, i, rows, j0, kb, kc, live, 32);
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

/* The tile configuration (palette 1) for tiles of depth TK: C (tiles 0-3)
 * 16 rows of 16 int32, A (4, 5) 16 rows of TK codes of w, B (6, 7) TK / 4
 * rows of 64 bytes of x. */
typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} uk_amx_config;

static inline uk_amx_config uk_amx_config_of(int TK) {
  uk_amx_config config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = (uint8_t)(t >= 6 ? TK / 4 : 16);
    config.bytes_per_row[t] = (uint16_t)(t == 4 || t == 5 ? TK : 64);
  }
  return config;
}

UK_AMX_TARGET static void uk_amx_gemm_range(void *arg, int64_t begin, int64_t end) {
  const uk_w8a8_args *a = (const uk_w8a8_args *)arg;
  int deep = a->s.unit % 64 == 0;
  uk_amx_config config = uk_amx_config_of(deep ? 64 : 32);
  _tile_loadconfig(&config);
  uk_w8a8_gemm_items(a, begin, end, deep ? uk_amx_block64 : uk_amx_block32, 0);
  _tile_release();
}

/* A prefill (m >= UK_DOT_MAX_M) of a call whose x is quantized: x_q laid out
 * for the GEMM, then the GEMM over blocks of UK_W8A8_NR rows of w, by AMX
 * tiles (`amx`) or vpdpbusd. 0 when the units do not fit a panel's UK_KC
 * columns whole (the caller then takes its dot products). */
static inline int uk_w8a8_prefill(const slm_uk_ctx *ctx, uk_w8a8_args *a, int amx) {
  if (UK_KC % a->s.unit)
    return 0;
  void (*columns)(void *, int64_t, int64_t) =
      amx ? uk_w8a8_columns_signed : uk_w8a8_columns_unsigned;
  void (*gemm)(void *, int64_t, int64_t) = amx ? uk_amx_gemm_range : uk_vnni_gemm_range;
  int64_t per_cost = amx ? 64 : 4, m = a->m, n = a->n, k = a->k;
  uk_parallel(ctx, a->s.row_stride / 4, uk_grain(4 * a->s.padded_rows), columns, a);
  int64_t items = (n + UK_W8A8_NR - 1) / UK_W8A8_NR;
  int64_t rows = (m + UK_W8A8_MR - 1) / UK_W8A8_MR * UK_W8A8_MR;
  uk_parallel(ctx, items, uk_grain(rows * UK_W8A8_NR * k / per_cost), gemm, a);
  return 1;
}

/* A call of the VNNI and AMX kernels whose x is quantized: decode (m <
 * UK_DOT_MAX_M) by `decode`, a range over rows of w (integer dot products,
 * about a quarter of a cost unit per 8-bit product), prefill by
 * uk_w8a8_prefill, or by `dots` (the generic kernel's) where it cannot. */
static inline void uk_w8a8_run(const slm_uk_ctx *ctx, uk_w8a8_args *a, int amx,
                               uk_range_fn decode,
                               void (*dots)(const slm_uk_ctx *, uk_w8a8_args *)) {
  if (a->m < UK_DOT_MAX_M)
    uk_parallel(ctx, a->n, uk_stream_grain(a->m, a->m * a->k * a->bits / 32, a->row_bytes),
                decode, a);
  else if (!uk_w8a8_prefill(ctx, a, amx))
    dots(ctx, a);
}
#endif /* __x86_64__ */

#endif /* SLM_UK_W8A8_H */
