/*===- linear_half.c - linears and embeddings of bf16 and f16 weights -*- C -*-===*
 *
 * Float weights stored at half width (an slm.widen of a bf16 or f16 constant):
 * decode streams half the bytes of f32. Each weight is widened to f32 as it is
 * loaded (bf16: the 16 bits moved to the top of an f32; f16: an F16C
 * conversion) and then used exactly as linear.c uses an f32 weight, in the
 * same order, so the results equal slm_uk_linear's on the widened matrix bit
 * for bit:
 *
 * - decode (m < UK_DOT_MAX_M): dot products, four rows of w (from four parts
 *   of a task's range) per load of x, each row read once per call;
 * - prefill: uk_gemm with panels widened from the stored rows.
 *
 * Both storages share the loops; UK_DEFINE_HALF_KERNELS instantiates them
 * with a loader that widens 16 values.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_gemm.h"

typedef uint16_t uk_u16x16 __attribute__((vector_size(32), aligned(2)));
typedef uint32_t uk_u32x16 __attribute__((vector_size(64), aligned(4)));
typedef _Float16 uk_f16x16 __attribute__((vector_size(32), aligned(2)));

/* bf16 is the top half of an f32: widening is exact. */
static inline void uk_widen16_bf16(uk_f32x16 *v, const uint16_t *p) {
  uk_u16x16 h;
  memcpy(&h, p, sizeof h);
  uk_u32x16 w = __builtin_convertvector(h, uk_u32x16) << 16;
  memcpy(v, &w, sizeof w);
}

/* Every f16 value is an f32 value: exact too. */
static inline void uk_widen16_f16(uk_f32x16 *v, const uint16_t *p) {
  uk_f16x16 h;
  memcpy(&h, p, sizeof h);
  *v = __builtin_convertvector(h, uk_f32x16);
}

static inline float uk_widen1_bf16(uint16_t h) {
  uint32_t w = (uint32_t)h << 16;
  float f;
  memcpy(&f, &w, sizeof f);
  return f;
}

static inline float uk_widen1_f16(uint16_t h) {
  _Float16 f;
  memcpy(&f, &h, sizeof f);
  return (float)f;
}

typedef struct {
  const float *x;
  const uint16_t *w;
  const float *bias;
  float *y;
  int64_t m, n, k;
} uk_half_linear_args;

typedef struct {
  const uint16_t *table;
  const int64_t *ids;
  float *out;
  int64_t width;
} uk_half_embedding_args;

/* For one storage S (bf16, f16): dot products as uk_dot/uk_dot4, the decode
 * range, the panel fill, slm_uk_linear_S and slm_uk_embedding_S. */
#define UK_DEFINE_HALF_KERNELS(S)                                                                  \
  /* 16 widened values, or count < 16 then zeros (the padding of uk_tail16). */                   \
  static inline void uk_tail16_##S(uk_f32x16 *v, const uint16_t *p, int64_t count) {               \
    uint16_t t[UK_LANES] = {0};                                                                    \
    for (int64_t l = 0; l < count; ++l)                                                            \
      t[l] = p[l];                                                                                 \
    uk_widen16_##S(v, t);                                                                          \
  }                                                                                                \
                                                                                                   \
  static inline float uk_dot_##S(const float *restrict x, const uint16_t *restrict w, int64_t k) { \
    uk_f32x16 acc = {0}, xv, wv;                                                                   \
    int64_t p = 0;                                                                                 \
    for (; p + UK_LANES <= k; p += UK_LANES) {                                                     \
      uk_load16(&xv, x + p);                                                                       \
      uk_widen16_##S(&wv, w + p);                                                                  \
      acc += xv * wv;                                                                              \
    }                                                                                              \
    if (p < k) {                                                                                   \
      uk_tail16(&xv, x + p, k - p, 0.0f);                                                          \
      uk_tail16_##S(&wv, w + p, k - p);                                                            \
      acc += xv * wv;                                                                              \
    }                                                                                              \
    return uk_fold_sum(&acc);                                                                      \
  }                                                                                                \
                                                                                                   \
  static inline void uk_dot4_##S(const float *restrict x, const uint16_t *restrict w0,             \
                                 const uint16_t *restrict w1, const uint16_t *restrict w2,         \
                                 const uint16_t *restrict w3, int64_t k, float *out) {             \
    uk_f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, xv, v0, v1, v2, v3;                          \
    int64_t p = 0;                                                                                 \
    for (; p + UK_LANES <= k; p += UK_LANES) {                                                     \
      if (p % (2 * UK_LANES) == 0) { /* a line per row every other step */                        \
        UK_PREFETCH_AHEAD(w0 + p);                                                                 \
        UK_PREFETCH_AHEAD(w1 + p);                                                                 \
        UK_PREFETCH_AHEAD(w2 + p);                                                                 \
        UK_PREFETCH_AHEAD(w3 + p);                                                                 \
      }                                                                                            \
      uk_load16(&xv, x + p);                                                                       \
      uk_widen16_##S(&v0, w0 + p);                                                                 \
      uk_widen16_##S(&v1, w1 + p);                                                                 \
      uk_widen16_##S(&v2, w2 + p);                                                                 \
      uk_widen16_##S(&v3, w3 + p);                                                                 \
      a0 += xv * v0;                                                                               \
      a1 += xv * v1;                                                                               \
      a2 += xv * v2;                                                                               \
      a3 += xv * v3;                                                                               \
    }                                                                                              \
    if (p < k) {                                                                                   \
      uk_tail16(&xv, x + p, k - p, 0.0f);                                                          \
      uk_tail16_##S(&v0, w0 + p, k - p);                                                           \
      uk_tail16_##S(&v1, w1 + p, k - p);                                                           \
      uk_tail16_##S(&v2, w2 + p, k - p);                                                           \
      uk_tail16_##S(&v3, w3 + p, k - p);                                                           \
      a0 += xv * v0;                                                                               \
      a1 += xv * v1;                                                                               \
      a2 += xv * v2;                                                                               \
      a3 += xv * v3;                                                                               \
    }                                                                                              \
    out[0] = uk_fold_sum(&a0);                                                                     \
    out[1] = uk_fold_sum(&a1);                                                                     \
    out[2] = uk_fold_sum(&a2);                                                                     \
    out[3] = uk_fold_sum(&a3);                                                                     \
  }                                                                                                \
                                                                                                   \
  /* y[:, r] for the rows r of w in `rows` (four, or one), every row of x. */                      \
  static void uk_linear_rows_##S(void *arg, const int64_t *rows, int count) {                      \
    const uk_half_linear_args *a = (const uk_half_linear_args *)arg;                               \
    int64_t n = a->n, k = a->k;                                                                    \
    for (int64_t i = 0; i < a->m; ++i) {                                                           \
      const float *x = a->x + i * k;                                                               \
      float d[4];                                                                                  \
      if (count == 4)                                                                              \
        uk_dot4_##S(x, a->w + rows[0] * k, a->w + rows[1] * k, a->w + rows[2] * k,                 \
                    a->w + rows[3] * k, k, d);                                                     \
      else                                                                                         \
        d[0] = uk_dot_##S(x, a->w + rows[0] * k, k);                                               \
      for (int c = 0; c < count; ++c)                                                              \
        a->y[i * n + rows[c]] = a->bias ? d[c] + a->bias[rows[c]] : d[c];                          \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  /* Items are rows of w, read four at a time from four parts of the range. */                     \
  static void uk_linear_dot_range_##S(void *arg, int64_t begin, int64_t end) {                     \
    uk_rows_in_four_parts(begin, end, uk_linear_rows_##S, arg);                                    \
  }                                                                                                \
                                                                                                   \
  /* panel[p][l] = widen(w[j0 + l][kb + p]), zero past column nr. */                              \
  static const float *uk_fill_panel_##S(const void *weights, float *panel, int64_t j0,            \
                                        int64_t nr, int64_t kb, int64_t kc) {                      \
    const uk_half_linear_args *a = (const uk_half_linear_args *)weights;                           \
    float rows[UK_NR][UK_KC];                                                                      \
    for (int64_t l = 0; l < nr; ++l) {                                                             \
      const uint16_t *w = a->w + (j0 + l) * a->k + kb;                                             \
      for (int64_t p = 0; p < kc; ++p)                                                             \
        rows[l][p] = uk_widen1_##S(w[p]);                                                          \
    }                                                                                              \
    uk_panel_from_rows(&rows[0][0], UK_KC, nr, kc, panel);                                         \
    return panel;                                                                                  \
  }                                                                                                \
                                                                                                   \
  void slm_uk_linear_##S(const slm_uk_ctx *ctx, const float *x, const uint16_t *w,                 \
                         const float *bias, float *y, int64_t m, int64_t n, int64_t k) {           \
    if (uk_linear_trivial(bias, y, m, n, k))                                                       \
      return;                                                                                      \
    uk_half_linear_args a = {x, w, bias, y, m, n, k};                                              \
    if (m < UK_DOT_MAX_M) {                                                                        \
      uk_parallel(ctx, n, uk_stream_grain(m, m * k, 2 * k), uk_linear_dot_range_##S, &a);         \
    } else {                                                                                       \
      uk_gemm_args g = {x, &a, uk_fill_panel_##S, bias, y, m, n, k};                               \
      uk_gemm(ctx, &g);                                                                            \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  /* A negative id gives zeros, as slm_uk_embedding. */                                            \
  static void uk_embedding_range_##S(void *arg, int64_t begin, int64_t end) {                      \
    const uk_half_embedding_args *a = (const uk_half_embedding_args *)arg;                         \
    int64_t width = a->width;                                                                      \
    for (int64_t i = begin; i < end; ++i) {                                                        \
      int64_t id = a->ids[i];                                                                      \
      float *dst = a->out + i * width;                                                             \
      const uint16_t *row = a->table + id * width;                                                 \
      int64_t p = 0;                                                                               \
      if (id < 0) {                                                                                \
        memset(dst, 0, sizeof(float) * (size_t)width);                                             \
        continue;                                                                                  \
      }                                                                                            \
      for (; p + UK_LANES <= width; p += UK_LANES) {                                               \
        uk_f32x16 v;                                                                               \
        uk_widen16_##S(&v, row + p);                                                               \
        memcpy(dst + p, &v, sizeof v);                                                             \
      }                                                                                            \
      for (; p < width; ++p)                                                                       \
        dst[p] = uk_widen1_##S(row[p]);                                                            \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  void slm_uk_embedding_##S(const slm_uk_ctx *ctx, const uint16_t *table, const int64_t *ids,      \
                            float *out, int64_t n, int64_t width) {                                \
    if (width <= 0)                                                                                \
      return;                                                                                      \
    uk_half_embedding_args a = {table, ids, out, width};                                           \
    uk_parallel(ctx, n, uk_grain(width), uk_embedding_range_##S, &a);                              \
  }

UK_DEFINE_HALF_KERNELS(bf16)
UK_DEFINE_HALF_KERNELS(f16)
