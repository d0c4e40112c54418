/*===- linear.c - linear and matmul micro-kernels -----------------*- C -*-===*
 *
 * Two shapes of loop nest:
 *
 * - Dot products (linear with m < UK_DOT_MAX_M, decode): y[i, j] is the dot
 *   product of row i of x with row j of w, both contiguous; four rows of w
 *   (from four parts of a task's range) share each load of x. Each dot
 *   product is uk_dot's UK_LANES partial sums.
 * - Outer products (linear with larger m, every matmul): uk_gemm.h, with w^T
 *   packed into a stack panel per call, read in place where the weights are
 *   stored as panels (slm_uk_linear_panels), or, for matmul, b itself.
 *
 * Tasks are blocks of output columns (and of rows for large m): no task
 * writes what another reads, and the arithmetic of an element does not
 * depend on the blocking.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_gemm.h"

/*===--- dot products -------------------------------------------------------===*/

/* Four dot products of x with w0..w3, each exactly as uk_dot computes it. */
static inline void uk_dot4(const float *restrict x, const float *restrict w0,
                           const float *restrict w1, const float *restrict w2,
                           const float *restrict w3, int64_t k, float *out) {
  uk_f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, xv, v0, v1, v2, v3;
  int64_t p = 0;
  for (; p + UK_LANES <= k; p += UK_LANES) {
    uk_load16(&xv, x + p);
    uk_load16(&v0, w0 + p);
    uk_load16(&v1, w1 + p);
    uk_load16(&v2, w2 + p);
    uk_load16(&v3, w3 + p);
    a0 += xv * v0;
    a1 += xv * v1;
    a2 += xv * v2;
    a3 += xv * v3;
  }
  if (p < k) {
    uk_tail16(&xv, x + p, k - p, 0.0f);
    uk_tail16(&v0, w0 + p, k - p, 0.0f);
    uk_tail16(&v1, w1 + p, k - p, 0.0f);
    uk_tail16(&v2, w2 + p, k - p, 0.0f);
    uk_tail16(&v3, w3 + p, k - p, 0.0f);
    a0 += xv * v0;
    a1 += xv * v1;
    a2 += xv * v2;
    a3 += xv * v3;
  }
  out[0] = uk_fold_sum(&a0);
  out[1] = uk_fold_sum(&a1);
  out[2] = uk_fold_sum(&a2);
  out[3] = uk_fold_sum(&a3);
}

typedef struct {
  const float *x, *w, *bias;
  float *y;
  int64_t m, n, k;
} uk_linear_args;

/* y[:, r] for the rows r of w in `rows` (four, or one), every row of x. */
static void uk_linear_rows(void *arg, const int64_t *rows, int count) {
  const uk_linear_args *a = (const uk_linear_args *)arg;
  int64_t n = a->n, k = a->k;
  for (int64_t i = 0; i < a->m; ++i) {
    const float *x = a->x + i * k;
    float d[4];
    if (count == 4)
      uk_dot4(x, a->w + rows[0] * k, a->w + rows[1] * k, a->w + rows[2] * k, a->w + rows[3] * k,
              k, d);
    else
      d[0] = uk_dot(x, a->w + rows[0] * k, k);
    for (int c = 0; c < count; ++c)
      a->y[i * n + rows[c]] = a->bias ? d[c] + a->bias[rows[c]] : d[c];
  }
}

/* Items are rows of w (output columns), read four at a time from four parts
 * of the range (uk_rows_in_four_parts). */
static void uk_linear_dot_range(void *arg, int64_t begin, int64_t end) {
  uk_rows_in_four_parts(begin, end, uk_linear_rows, arg);
}

/*===--- outer products -----------------------------------------------------===*/

/* panel[p][l] = w[j0 + l][kb + p], zero past column nr. */
static const float *uk_fill_panel_f32(const void *weights, float *panel, int64_t j0,
                                      int64_t nr, int64_t kb, int64_t kc) {
  const uk_linear_args *a = (const uk_linear_args *)weights;
  uk_panel_from_rows(a->w + j0 * a->k + kb, a->k, nr, kc, panel);
  return panel;
}

void slm_uk_linear(const slm_uk_ctx *ctx, const float *x, const float *w, const float *bias,
                   float *y, int64_t m, int64_t n, int64_t k) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  uk_linear_args a = {x, w, bias, y, m, n, k};
  if (m < UK_DOT_MAX_M) {
    uk_parallel(ctx, n, uk_stream_grain(m, m * k, 4 * k), uk_linear_dot_range, &a);
  } else {
    uk_gemm_args g = {x, &a, uk_fill_panel_f32, bias, y, m, n, k};
    uk_gemm(ctx, &g);
  }
}

/*===--- weights stored as panels ------------------------------------------===*/

/* slm_uk_linear_panels: w is stored as the GEMM reads it (SLM_UK_PANEL_COLUMNS in
 * slm_ukernels.h), so a prefill takes its panels in place instead of
 * transposing 16 x 16 blocks onto the stack (11-18% of slm_uk_linear's time on
 * a 0.5B model's linears at M = 128). A decode step reads each stripe of 16
 * output channels front to back: y[i, j0..j0+16] accumulates x[i, p] *
 * stripe[p] over p in order, one fused multiply-add per term, which is how
 * the GEMM's tiles sum, so a row of y is the same floats whether it was
 * computed in a decode step or in a prefill. */

/* The panel in place: stripe j0 / 16 from row kb (j0 is a multiple of 16). */
static const float *uk_panel_in_place(const void *weights, float *panel, int64_t j0, int64_t nr,
                                      int64_t kb, int64_t kc) {
  (void)panel, (void)nr, (void)kc;
  const uk_linear_args *a = (const uk_linear_args *)weights;
  return a->w + j0 * a->k + kb * UK_NR;
}

/* Stripes per decode group: four independent chains of fused multiply-adds
 * per row of x (one chain waits on the FMA's latency) and four streams of
 * weights, as the dot-product kernels read four rows of w. */
#define UK_PANEL_GEMV_STRIPES 4

/* y[i, 16 s .. 16 s + 16) for the stripes s of [begin, end), every row of x
 * (m < UK_DOT_MAX_M). */
static void uk_linear_panels_gemv_range(void *arg, int64_t begin, int64_t end) {
  const uk_linear_args *a = (const uk_linear_args *)arg;
  int64_t m = a->m, n = a->n, k = a->k;
  for (int64_t s0 = begin; s0 < end; s0 += UK_PANEL_GEMV_STRIPES) {
    int stripes = (int)uk_min(UK_PANEL_GEMV_STRIPES, end - s0);
    uk_f32x16 acc[UK_DOT_MAX_M - 1][UK_PANEL_GEMV_STRIPES] = {{{0}}};
    const float *w = a->w + s0 * UK_NR * k;
    for (int64_t p = 0; p < k; ++p) {
      uk_f32x16 b[UK_PANEL_GEMV_STRIPES];
      for (int s = 0; s < stripes; ++s) {
        const float *bp = w + (s * k + p) * UK_NR;
        UK_PREFETCH_AHEAD(bp);
        uk_load16(&b[s], bp);
      }
      for (int64_t i = 0; i < m; ++i) {
        uk_f32x16 xv;
        for (int l = 0; l < UK_LANES; ++l) /* a broadcast; 0 + x would turn -0 into +0 */
          xv[l] = a->x[i * k + p];
        for (int s = 0; s < stripes; ++s)
          acc[i][s] = __builtin_elementwise_fma(xv, b[s], acc[i][s]);
      }
    }
    for (int64_t i = 0; i < m; ++i)
      for (int s = 0; s < stripes; ++s) {
        int64_t j0 = (s0 + s) * UK_NR;
        for (int64_t l = 0; l < UK_NR && j0 + l < n; ++l)
          a->y[i * n + j0 + l] = a->bias ? acc[i][s][l] + a->bias[j0 + l] : acc[i][s][l];
      }
  }
}

void slm_uk_linear_panels(const slm_uk_ctx *ctx, const float *x, const float *w,
                          const float *bias, float *y, int64_t m, int64_t n, int64_t k) {
  if (uk_linear_trivial(bias, y, m, n, k))
    return;
  uk_linear_args a = {x, w, bias, y, m, n, k};
  if (m < UK_DOT_MAX_M) {
    int64_t stripes = (n + UK_NR - 1) / UK_NR;
    uk_parallel(ctx, stripes, uk_stream_grain(m, m * UK_NR * k, 4 * UK_NR * k),
                uk_linear_panels_gemv_range, &a);
  } else {
    uk_gemm_args g = {x, &a, uk_panel_in_place, bias, y, m, n, k};
    uk_gemm(ctx, &g);
  }
}

/*===--- matmul --------------------------------------------------------------===*/

typedef struct {
  const float *a, *b;
  float *y;
  int64_t m, n, k, a_stride, b_stride;
} uk_matmul_args;

/* Items are (batch, row block, column block): item = (bt * mb + ib) * nb + jb. */
static void uk_matmul_range(void *arg, int64_t begin, int64_t end) {
  const uk_matmul_args *a = (const uk_matmul_args *)arg;
  int64_t m = a->m, n = a->n, k = a->k;
  int64_t nb = (n + UK_NR - 1) / UK_NR, mb = (m + UK_MC - 1) / UK_MC;
  float panel[UK_KC * UK_NR];
  for (int64_t item = begin; item < end; ++item) {
    int64_t jb = item % nb, ib = (item / nb) % mb, bt = item / (nb * mb);
    const float *x = a->a + bt * a->a_stride;
    const float *bm = a->b + bt * a->b_stride;
    float *y = a->y + bt * m * n;
    int64_t i0 = ib * UK_MC, i1 = uk_min(i0 + UK_MC, m);
    int64_t j0 = jb * UK_NR, nr = uk_min(UK_NR, n - j0);
    for (int64_t kb = 0; kb < k; kb += UK_KC) {
      int64_t kc = uk_min(UK_KC, k - kb);
      const float *b = bm + kb * n + j0;
      int64_t ldb = n;
      if (nr < UK_NR) { /* a ragged last block: pack it, zero-padded */
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t l = 0; l < UK_NR; ++l)
            panel[p * UK_NR + l] = l < nr ? b[p * n + l] : 0.0f;
        b = panel;
        ldb = UK_NR;
      }
      uk_panel_rows(x + kb, k, b, ldb, kc, y + j0, n, i0, i1, nr, kb > 0);
    }
  }
}

void slm_uk_matmul(const slm_uk_ctx *ctx, const float *a, const float *b, float *y, int64_t batch,
                   int64_t m, int64_t n, int64_t k, int64_t a_batch_stride,
                   int64_t b_batch_stride) {
  if (batch <= 0 || m <= 0 || n <= 0)
    return;
  if (k <= 0) {
    memset(y, 0, sizeof(float) * (size_t)(batch * m * n));
    return;
  }
  uk_matmul_args args = {a, b, y, m, n, k, a_batch_stride, b_batch_stride};
  int64_t items = batch * ((m + UK_MC - 1) / UK_MC) * ((n + UK_NR - 1) / UK_NR);
  uk_parallel(ctx, items, uk_grain(uk_min(m, UK_MC) * UK_NR * k), uk_matmul_range, &args);
}
