/*===- reduce.c - reduce, softmax and arg_reduce micro-kernels -----*- C -*-===*
 *
 * reduce folds the input, walked in row-major order, into the outputs. Rows
 * along a kept innermost dimension fold elementwise (vectorized over the
 * outputs, each output still in input order). Rows along a reduced innermost
 * dimension are contiguous segments: integer and max/min folds are plain
 * loops (exact in any order, LLVM vectorizes them); float sums and products
 * use UK_LANES partial results (uk_sum), then fold into the output. Tasks
 * split the first kept dimension, so each output belongs to one task.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_internal.h"

#include <float.h>

/* Column chunk of softmax and arg_reduce over a middle axis. */
#define UK_CHUNK 64

/*===--- reduce --------------------------------------------------------------===*/

typedef struct {
  uk_walk walk; /* operand 0: x (dense), operand 1: y (out_strides) */
  int32_t op;
  int32_t dtype;
  const char *x;
  char *y;
  size_t bytes;
  int64_t outer, extent, slab; /* around the dimension tasks split (extent 1: none) */
} uk_reduce_args;

/* Product of x[i], as uk_sum orders a sum. */
static inline float uk_prod_f32(const float *restrict x, int64_t n) {
  uk_f32x16 acc = (uk_f32x16){0} + 1.0f, v;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&v, x + i);
    acc *= v;
  }
  if (i < n) {
    uk_tail16(&v, x + i, n - i, 1.0f);
    acc *= v;
  }
  uk_f32x8 h = __builtin_shufflevector(acc, acc, 0, 1, 2, 3, 4, 5, 6, 7) *
               __builtin_shufflevector(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15);
  uk_f32x4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) * __builtin_shufflevector(h, h, 4, 5, 6, 7);
  uk_f32x2 d = __builtin_shufflevector(q, q, 0, 1) * __builtin_shufflevector(q, q, 2, 3);
  return d[0] * d[1];
}

/* max (GT: v > acc) or min (GT: v < acc) folded into acc, the reference's
 * rule; exact in any order up to the sign of a zero. */
#define UK_DEFINE_EXTREMUM_F32(NAME, CMP, PAD)                                                     \
  static inline float NAME(float init, const float *restrict x, int64_t n) {                       \
    float acc[UK_LANES];                                                                           \
    for (int l = 0; l < UK_LANES; ++l)                                                             \
      acc[l] = init;                                                                               \
    int64_t i = 0;                                                                                 \
    for (; i + UK_LANES <= n; i += UK_LANES)                                                       \
      for (int l = 0; l < UK_LANES; ++l)                                                           \
        acc[l] = x[i + l] CMP acc[l] ? x[i + l] : acc[l];                                          \
    if (i < n) {                                                                                   \
      float t[UK_LANES];                                                                           \
      uk_f32x16 v;                                                                                 \
      uk_tail16(&v, x + i, n - i, PAD);                                                            \
      memcpy(t, &v, sizeof t);                                                                     \
      for (int l = 0; l < UK_LANES; ++l)                                                           \
        acc[l] = t[l] CMP acc[l] ? t[l] : acc[l];                                                  \
    }                                                                                              \
    for (int w = UK_LANES / 2; w >= 1; w /= 2)                                                     \
      for (int l = 0; l < w; ++l)                                                                  \
        acc[l] = acc[l + w] CMP acc[l] ? acc[l + w] : acc[l];                                      \
    return acc[0];                                                                                 \
  }
UK_DEFINE_EXTREMUM_F32(uk_fold_max_f32, >, -INFINITY)
UK_DEFINE_EXTREMUM_F32(uk_fold_min_f32, <, INFINITY)

static void uk_reduce_row_f32(int32_t op, const float *restrict x, float *restrict y, int64_t sy,
                              int64_t n) {
  if (sy == 0) {
    switch (op) {
    case SLM_UK_SUM:
    case SLM_UK_MEAN:
      *y = *y + uk_sum(x, n);
      break;
    case SLM_UK_PROD:
      *y = *y * uk_prod_f32(x, n);
      break;
    case SLM_UK_RMAX:
      *y = uk_fold_max_f32(*y, x, n);
      break;
    case SLM_UK_RMIN:
      *y = uk_fold_min_f32(*y, x, n);
      break;
    default:
      break;
    }
    return;
  }
  switch (op) {
  case SLM_UK_SUM:
  case SLM_UK_MEAN:
    for (int64_t j = 0; j < n; ++j)
      y[j * sy] = y[j * sy] + x[j];
    break;
  case SLM_UK_PROD:
    for (int64_t j = 0; j < n; ++j)
      y[j * sy] = y[j * sy] * x[j];
    break;
  case SLM_UK_RMAX:
    for (int64_t j = 0; j < n; ++j)
      y[j * sy] = x[j] > y[j * sy] ? x[j] : y[j * sy];
    break;
  case SLM_UK_RMIN:
    for (int64_t j = 0; j < n; ++j)
      y[j * sy] = x[j] < y[j * sy] ? x[j] : y[j * sy];
    break;
  default:
    break;
  }
}

/* Integer folds wrap (U: T's unsigned twin). */
#define UK_DEFINE_REDUCE_ROW_INT(NAME, T, U)                                                       \
  static void NAME(int32_t op, const T *restrict x, T *restrict y, int64_t sy, int64_t n) {        \
    if (sy == 0) {                                                                                 \
      U acc = (U)*y;                                                                               \
      T ext = *y;                                                                                  \
      switch (op) {                                                                                \
      case SLM_UK_SUM:                                                                             \
      case SLM_UK_MEAN:                                                                            \
        for (int64_t j = 0; j < n; ++j)                                                            \
          acc += (U)x[j];                                                                          \
        *y = (T)acc;                                                                               \
        break;                                                                                     \
      case SLM_UK_PROD:                                                                            \
        for (int64_t j = 0; j < n; ++j)                                                            \
          acc *= (U)x[j];                                                                          \
        *y = (T)acc;                                                                               \
        break;                                                                                     \
      case SLM_UK_RMAX:                                                                            \
        for (int64_t j = 0; j < n; ++j)                                                            \
          ext = x[j] > ext ? x[j] : ext;                                                           \
        *y = ext;                                                                                  \
        break;                                                                                     \
      case SLM_UK_RMIN:                                                                            \
        for (int64_t j = 0; j < n; ++j)                                                            \
          ext = x[j] < ext ? x[j] : ext;                                                           \
        *y = ext;                                                                                  \
        break;                                                                                     \
      default:                                                                                     \
        break;                                                                                     \
      }                                                                                            \
      return;                                                                                      \
    }                                                                                              \
    switch (op) {                                                                                  \
    case SLM_UK_SUM:                                                                               \
    case SLM_UK_MEAN:                                                                              \
      for (int64_t j = 0; j < n; ++j)                                                              \
        y[j * sy] = (T)((U)y[j * sy] + (U)x[j]);                                                   \
      break;                                                                                       \
    case SLM_UK_PROD:                                                                              \
      for (int64_t j = 0; j < n; ++j)                                                              \
        y[j * sy] = (T)((U)y[j * sy] * (U)x[j]);                                                   \
      break;                                                                                       \
    case SLM_UK_RMAX:                                                                              \
      for (int64_t j = 0; j < n; ++j)                                                              \
        y[j * sy] = x[j] > y[j * sy] ? x[j] : y[j * sy];                                           \
      break;                                                                                       \
    case SLM_UK_RMIN:                                                                              \
      for (int64_t j = 0; j < n; ++j)                                                              \
        y[j * sy] = x[j] < y[j * sy] ? x[j] : y[j * sy];                                           \
      break;                                                                                       \
    default:                                                                                       \
      break;                                                                                       \
    }                                                                                              \
  }
UK_DEFINE_REDUCE_ROW_INT(uk_reduce_row_i64, int64_t, uint64_t)
UK_DEFINE_REDUCE_ROW_INT(uk_reduce_row_i32, int32_t, uint32_t)
UK_DEFINE_REDUCE_ROW_INT(uk_reduce_row_i1, uint8_t, uint8_t)

static void uk_reduce_row(void *arg, const int64_t *off, const int64_t *inner, int64_t e,
                          int64_t len) {
  const uk_reduce_args *a = (const uk_reduce_args *)arg;
  const char *x = a->x + off[0] * (int64_t)a->bytes;
  char *y = a->y + off[1] * (int64_t)a->bytes;
  int64_t sy = inner[1];
  switch (a->dtype) {
  case SLM_UK_F32:
    uk_reduce_row_f32(a->op, (const float *)x, (float *)y, sy, len);
    break;
  case SLM_UK_I64:
    uk_reduce_row_i64(a->op, (const int64_t *)x, (int64_t *)y, sy, len);
    break;
  case SLM_UK_I32:
    uk_reduce_row_i32(a->op, (const int32_t *)x, (int32_t *)y, sy, len);
    break;
  case SLM_UK_I1:
    uk_reduce_row_i1(a->op, (const uint8_t *)x, (uint8_t *)y, sy, len);
    break;
  default:
    break;
  }
}

/* Items are indices of the split dimension; each task walks, for every
 * combination of the (reduced) dimensions before it, its own contiguous range
 * of elements, so every output sees its inputs in row-major order. */
static void uk_reduce_range(void *arg, int64_t begin, int64_t end) {
  uk_reduce_args *a = (uk_reduce_args *)arg;
  for (int64_t c = 0; c < a->outer; ++c)
    uk_walk_range(&a->walk, (c * a->extent + begin) * a->slab, (c * a->extent + end) * a->slab,
                  uk_reduce_row, a);
}

#define UK_FILL(T, VALUE)                                                                          \
  do {                                                                                             \
    T *yt = (T *)y;                                                                                \
    for (int64_t i = 0; i < out_size; ++i)                                                         \
      yt[i] = (VALUE);                                                                             \
  } while (0)

#define UK_MEAN(T)                                                                                 \
  do {                                                                                             \
    T *yt = (T *)y;                                                                                \
    for (int64_t i = 0; i < out_size; ++i)                                                         \
      yt[i] = count ? (T)(yt[i] / (T)count) : (T)0;                                                \
  } while (0)

void slm_uk_reduce(const slm_uk_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
                   int64_t out_size, int32_t rank, const int64_t *shape,
                   const int64_t *out_strides, int64_t count) {
  /* The fold's start: std::numeric_limits<T>::lowest()/max(), 1 or 0. */
  int is_max = op == SLM_UK_RMAX, is_min = op == SLM_UK_RMIN, is_prod = op == SLM_UK_PROD;
  size_t bytes;
  switch (dtype) {
  case SLM_UK_F32:
    UK_FILL(float, is_max ? -FLT_MAX : is_min ? FLT_MAX : is_prod ? 1.0f : 0.0f);
    bytes = 4;
    break;
  case SLM_UK_I64:
    UK_FILL(int64_t, is_max ? INT64_MIN : is_min ? INT64_MAX : is_prod ? 1 : 0);
    bytes = 8;
    break;
  case SLM_UK_I32:
    UK_FILL(int32_t, is_max ? INT32_MIN : is_min ? INT32_MAX : is_prod ? 1 : 0);
    bytes = 4;
    break;
  case SLM_UK_I1:
    UK_FILL(uint8_t, is_max ? 0 : is_min ? UINT8_MAX : is_prod ? 1 : 0);
    bytes = 1;
    break;
  default:
    return;
  }

  uk_reduce_args a;
  const int64_t *strides[2] = {NULL, out_strides};
  uk_walk_init(&a.walk, rank, shape, 2, strides);
  a.op = op;
  a.dtype = dtype;
  a.x = (const char *)x;
  a.y = (char *)y;
  a.bytes = bytes;
  a.outer = 1;
  a.extent = 1;
  a.slab = a.walk.total;
  if (a.walk.total > 0 && a.walk.rank > 0) {
    for (int32_t d = 0; d < a.walk.rank; ++d) {
      if (a.walk.strides[1][d] != 0) { /* the first kept dimension */
        a.extent = a.walk.shape[d];
        a.slab = a.walk.total / (a.outer * a.extent);
        break;
      }
      a.outer *= a.walk.shape[d];
    }
    if (a.extent == 1) { /* everything reduced */
      a.outer = 1;
      a.slab = a.walk.total;
    }
    uk_parallel(ctx, a.extent, uk_grain(a.outer * a.slab), uk_reduce_range, &a);
  } else if (a.walk.total > 0) { /* too many dimensions to merge: one element at a time */
    uk_walk_range(&a.walk, 0, a.walk.total, uk_reduce_row, &a);
  }

  if (op == SLM_UK_MEAN) {
    switch (dtype) {
    case SLM_UK_F32:
      UK_MEAN(float);
      break;
    case SLM_UK_I64:
      UK_MEAN(int64_t);
      break;
    case SLM_UK_I32:
      UK_MEAN(int32_t);
      break;
    case SLM_UK_I1:
      UK_MEAN(uint8_t);
      break;
    default:
      break;
    }
  }
}

/*===--- softmax -------------------------------------------------------------===*/

typedef struct {
  const float *x;
  float *y;
  int64_t extent, inner, chunks;
  int32_t log;
} uk_softmax_args;

/* inner == 1: items are rows of `extent` contiguous values. */
static void uk_softmax_rows(void *arg, int64_t begin, int64_t end) {
  const uk_softmax_args *a = (const uk_softmax_args *)arg;
  int64_t n = a->extent;
  for (int64_t o = begin; o < end; ++o) {
    const float *restrict x = a->x + o * n;
    float *restrict y = a->y + o * n;
    float max = uk_max_f32(x, n);
    for (int64_t k = 0; k < n; ++k)
      y[k] = expf(x[k] - max);
    float sum = uk_sum(y, n);
    if (a->log) {
      float log_sum = logf(sum);
      for (int64_t k = 0; k < n; ++k)
        y[k] = x[k] - max - log_sum;
    } else {
      for (int64_t k = 0; k < n; ++k)
        y[k] = y[k] / sum;
    }
  }
}

/* inner > 1: items are (outer, chunk of UK_CHUNK columns), vectorized across
 * columns; sums run over the axis in order, as the reference's. */
static void uk_softmax_columns(void *arg, int64_t begin, int64_t end) {
  const uk_softmax_args *a = (const uk_softmax_args *)arg;
  int64_t extent = a->extent, inner = a->inner;
  float max[UK_CHUNK], sum[UK_CHUNK];
  for (int64_t item = begin; item < end; ++item) {
    int64_t o = item / a->chunks, i0 = (item % a->chunks) * UK_CHUNK;
    int64_t cnt = uk_min(UK_CHUNK, inner - i0);
    const float *x = a->x + o * extent * inner + i0;
    float *y = a->y + o * extent * inner + i0;
    for (int64_t i = 0; i < cnt; ++i) {
      max[i] = -INFINITY;
      sum[i] = 0.0f;
    }
    for (int64_t k = 0; k < extent; ++k) {
      const float *restrict xk = x + k * inner;
      for (int64_t i = 0; i < cnt; ++i)
        max[i] = max[i] < xk[i] ? xk[i] : max[i];
    }
    for (int64_t k = 0; k < extent; ++k) {
      const float *restrict xk = x + k * inner;
      float *restrict yk = y + k * inner;
      for (int64_t i = 0; i < cnt; ++i) {
        yk[i] = expf(xk[i] - max[i]);
        sum[i] += yk[i];
      }
    }
    if (a->log)
      for (int64_t i = 0; i < cnt; ++i)
        sum[i] = logf(sum[i]);
    for (int64_t k = 0; k < extent; ++k) {
      const float *restrict xk = x + k * inner;
      float *restrict yk = y + k * inner;
      if (a->log)
        for (int64_t i = 0; i < cnt; ++i)
          yk[i] = xk[i] - max[i] - sum[i];
      else
        for (int64_t i = 0; i < cnt; ++i)
          yk[i] = yk[i] / sum[i];
    }
  }
}

void slm_uk_softmax(const slm_uk_ctx *ctx, const float *x, float *y, int64_t outer,
                    int64_t extent, int64_t inner, int32_t log) {
  if (outer <= 0 || extent <= 0 || inner <= 0)
    return;
  uk_softmax_args a = {x, y, extent, inner, (inner + UK_CHUNK - 1) / UK_CHUNK, log};
  if (inner == 1)
    uk_parallel(ctx, outer, uk_grain(16 * extent), uk_softmax_rows, &a);
  else
    uk_parallel(ctx, outer * a.chunks, uk_grain(16 * extent * uk_min(inner, UK_CHUNK)),
                uk_softmax_columns, &a);
}

/*===--- arg_reduce ----------------------------------------------------------===*/

typedef struct {
  int32_t dtype, is_max, last;
  const void *x;
  int64_t *y;
  int64_t extent, inner, chunks;
} uk_arg_args;

/* BETTER(c, b): whether candidate c replaces the best value b. */
#define UK_ARG_ROWS(T, BETTER)                                                                     \
  do {                                                                                             \
    for (int64_t o = begin; o < end; ++o) {                                                        \
      const T *restrict x = (const T *)a->x + o * extent;                                          \
      int64_t best = 0;                                                                            \
      T b = x[0];                                                                                  \
      for (int64_t k = 1; k < extent; ++k) {                                                       \
        T c = x[k];                                                                                \
        if (BETTER) {                                                                              \
          best = k;                                                                                \
          b = c;                                                                                   \
        }                                                                                          \
      }                                                                                            \
      a->y[o] = best;                                                                              \
    }                                                                                              \
  } while (0)

#define UK_ARG_COLUMNS(T, BETTER)                                                                  \
  do {                                                                                             \
    int64_t best_at[UK_CHUNK];                                                                     \
    T best_val[UK_CHUNK];                                                                          \
    for (int64_t item = begin; item < end; ++item) {                                               \
      int64_t o = item / a->chunks, i0 = (item % a->chunks) * UK_CHUNK;                            \
      int64_t cnt = uk_min(UK_CHUNK, inner - i0);                                                  \
      const T *x = (const T *)a->x + o * extent * inner + i0;                                      \
      for (int64_t i = 0; i < cnt; ++i) {                                                          \
        best_at[i] = 0;                                                                            \
        best_val[i] = x[i];                                                                        \
      }                                                                                            \
      for (int64_t k = 1; k < extent; ++k) {                                                       \
        const T *restrict xk = x + k * inner;                                                      \
        for (int64_t i = 0; i < cnt; ++i) {                                                        \
          T c = xk[i], b = best_val[i];                                                            \
          int better = (BETTER);                                                                   \
          best_at[i] = better ? k : best_at[i];                                                    \
          best_val[i] = better ? c : b;                                                            \
        }                                                                                          \
      }                                                                                            \
      for (int64_t i = 0; i < cnt; ++i)                                                            \
        a->y[o * inner + i0 + i] = best_at[i];                                                     \
    }                                                                                              \
  } while (0)

#define UK_ARG_DISPATCH(LOOP, T)                                                                   \
  do {                                                                                             \
    if (a->is_max) {                                                                               \
      if (a->last)                                                                                 \
        LOOP(T, c >= b);                                                                           \
      else                                                                                         \
        LOOP(T, c > b);                                                                            \
    } else {                                                                                       \
      if (a->last)                                                                                 \
        LOOP(T, c <= b);                                                                           \
      else                                                                                         \
        LOOP(T, c < b);                                                                            \
    }                                                                                              \
  } while (0)

static void uk_arg_range(void *arg, int64_t begin, int64_t end) {
  const uk_arg_args *a = (const uk_arg_args *)arg;
  int64_t extent = a->extent, inner = a->inner;
  if (inner == 1) {
    switch (a->dtype) {
    case SLM_UK_F32: UK_ARG_DISPATCH(UK_ARG_ROWS, float); break;
    case SLM_UK_I64: UK_ARG_DISPATCH(UK_ARG_ROWS, int64_t); break;
    case SLM_UK_I32: UK_ARG_DISPATCH(UK_ARG_ROWS, int32_t); break;
    case SLM_UK_I1: UK_ARG_DISPATCH(UK_ARG_ROWS, uint8_t); break;
    default: break;
    }
  } else {
    switch (a->dtype) {
    case SLM_UK_F32: UK_ARG_DISPATCH(UK_ARG_COLUMNS, float); break;
    case SLM_UK_I64: UK_ARG_DISPATCH(UK_ARG_COLUMNS, int64_t); break;
    case SLM_UK_I32: UK_ARG_DISPATCH(UK_ARG_COLUMNS, int32_t); break;
    case SLM_UK_I1: UK_ARG_DISPATCH(UK_ARG_COLUMNS, uint8_t); break;
    default: break;
    }
  }
}

void slm_uk_arg_reduce(const slm_uk_ctx *ctx, int32_t dtype, const void *x, int64_t *y,
                       int64_t outer, int64_t extent, int64_t inner, int32_t is_max,
                       int32_t last) {
  if (outer <= 0 || inner <= 0)
    return;
  if (extent <= 0) { /* no candidates: index 0, as the reference */
    for (int64_t i = 0; i < outer * inner; ++i)
      y[i] = 0;
    return;
  }
  uk_arg_args a = {dtype, is_max, last, x, y, extent, inner, (inner + UK_CHUNK - 1) / UK_CHUNK};
  if (inner == 1)
    uk_parallel(ctx, outer, uk_grain(extent), uk_arg_range, &a);
  else
    uk_parallel(ctx, outer * a.chunks, uk_grain(extent * uk_min(inner, UK_CHUNK)), uk_arg_range,
                &a);
}
