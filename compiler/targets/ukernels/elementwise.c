/*===- elementwise.c - unary, binary, where and cast micro-kernels -*- C -*-===*
 *
 * The formulas are the reference executor's (kernels/Elementwise.cpp) written
 * out in C: std::max(a, b) is (a < b ? b : a), std::min(a, b) is (b < a ? b :
 * a), integer arithmetic wraps (the reference's overflow is undefined; this
 * is what it does in practice), integer division and remainder by 0 give 0.
 * Each op is its own counted loop over a row, so the switch stays outside
 * the loops LLVM vectorizes.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_internal.h"

/* float(M_SQRT1_2) and float(M_PI), without relying on POSIX's M_ names. */
#define UK_SQRT1_2 ((float)0.70710678118654752440)
#define UK_PI ((float)3.14159265358979323846)

static inline float uk_std_max(float a, float b) { return a < b ? b : a; }
static inline float uk_std_min(float a, float b) { return b < a ? b : a; }
static inline float uk_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/*===--- unary ---------------------------------------------------------------===*/

static void uk_unary_f32(int32_t op, const float *restrict x, float *restrict y, int64_t n,
                         float alpha, float beta) {
  const float gelu_k = sqrtf(2.0f / UK_PI);
  switch (op) {
#define UK_MAP(CODE, EXPR)                                                                         \
  case CODE:                                                                                       \
    for (int64_t i = 0; i < n; ++i) {                                                              \
      float v = x[i];                                                                              \
      y[i] = (EXPR);                                                                               \
    }                                                                                              \
    break;
    UK_MAP(SLM_UK_NEG, -v)
    UK_MAP(SLM_UK_ABS, v < 0 ? -v : v)
    UK_MAP(SLM_UK_SIGN, (float)((v > 0) - (v < 0)))
    UK_MAP(SLM_UK_EXP, expf(v))
    UK_MAP(SLM_UK_LOG, logf(v))
    UK_MAP(SLM_UK_SQRT, sqrtf(v))
    UK_MAP(SLM_UK_RSQRT, 1.0f / sqrtf(v))
    UK_MAP(SLM_UK_RECIPROCAL, 1.0f / v)
    UK_MAP(SLM_UK_TANH, tanhf(v))
    UK_MAP(SLM_UK_ERF, erff(v))
    UK_MAP(SLM_UK_SIGMOID, uk_sigmoid(v))
    UK_MAP(SLM_UK_SILU, v * uk_sigmoid(v))
    UK_MAP(SLM_UK_RELU, v > 0 ? v : 0.0f)
    UK_MAP(SLM_UK_SIN, sinf(v))
    UK_MAP(SLM_UK_COS, cosf(v))
    UK_MAP(SLM_UK_TAN, tanf(v))
    UK_MAP(SLM_UK_ASIN, asinf(v))
    UK_MAP(SLM_UK_ACOS, acosf(v))
    UK_MAP(SLM_UK_ATAN, atanf(v))
    UK_MAP(SLM_UK_SINH, sinhf(v))
    UK_MAP(SLM_UK_COSH, coshf(v))
    UK_MAP(SLM_UK_ASINH, asinhf(v))
    UK_MAP(SLM_UK_ACOSH, acoshf(v))
    UK_MAP(SLM_UK_ATANH, atanhf(v))
    UK_MAP(SLM_UK_CEIL, ceilf(v))
    UK_MAP(SLM_UK_FLOOR, floorf(v))
    UK_MAP(SLM_UK_ROUND, nearbyintf(v))
    UK_MAP(SLM_UK_SOFTPLUS, log1pf(expf(v)))
    UK_MAP(SLM_UK_SOFTSIGN, v / (1.0f + fabsf(v)))
    UK_MAP(SLM_UK_HARD_SWISH, v * uk_std_max(0.0f, uk_std_min(1.0f, v / 6.0f + 0.5f)))
    UK_MAP(SLM_UK_GELU, 0.5f * v * (1.0f + erff(v * UK_SQRT1_2)))
    UK_MAP(SLM_UK_GELU_TANH, 0.5f * v * (1.0f + tanhf(gelu_k * (v + 0.044715f * v * v * v))))
    UK_MAP(SLM_UK_LEAKY_RELU, v < 0 ? alpha * v : v)
    UK_MAP(SLM_UK_ELU, v < 0 ? alpha * (expf(v) - 1.0f) : v)
    UK_MAP(SLM_UK_CELU,
           uk_std_max(0.0f, v) + uk_std_min(0.0f, alpha * (expf(v / alpha) - 1.0f)))
    UK_MAP(SLM_UK_SELU, beta * (v <= 0 ? alpha * (expf(v) - 1.0f) : v))
    UK_MAP(SLM_UK_HARD_SIGMOID, uk_std_max(0.0f, uk_std_min(1.0f, alpha * v + beta)))
    UK_MAP(SLM_UK_THRESHOLDED_RELU, v > alpha ? v : 0.0f)
#undef UK_MAP
  default:
    break;
  }
}

/*===--- gated activation ----------------------------------------------------===*/

typedef struct {
  int32_t activation;
  const float *gate, *up;
  float *y;
  int64_t n, stride;
} uk_gated_args;

static void uk_gated_range(void *arg, int64_t begin, int64_t end) {
  const uk_gated_args *a = (const uk_gated_args *)arg;
  const float gelu_k = sqrtf(2.0f / UK_PI);
  int64_t n = a->n;
  for (int64_t row = begin; row < end; ++row) {
    const float *restrict g = a->gate + row * a->stride;
    const float *restrict u = a->up + row * a->stride;
    float *restrict y = a->y + row * n;
    switch (a->activation) {
    case SLM_UK_ACT_SILU: /* v / (1 + e^-v) * u, e^-v 16 lanes at a time */
      for (int64_t i = 0; i < n; i += UK_LANES) {
        int64_t count = uk_min(UK_LANES, n - i);
        uk_f32x16 v, e, up;
        if (count == UK_LANES) {
          uk_load16(&v, g + i);
          uk_load16(&up, u + i);
        } else {
          uk_tail16(&v, g + i, count, 0.0f);
          uk_tail16(&up, u + i, count, 0.0f);
        }
        e = -v;
        uk_exp16(&e);
        e = v / (1.0f + e) * up;
        if (count == UK_LANES)
          memcpy(y + i, &e, sizeof e);
        else
          for (int64_t l = 0; l < count; ++l)
            y[i + l] = e[l];
      }
      break;
    case SLM_UK_ACT_GELU:
      for (int64_t i = 0; i < n; ++i) {
        float v = g[i];
        y[i] = (0.5f * v * (1.0f + erff(v * UK_SQRT1_2))) * u[i];
      }
      break;
    case SLM_UK_ACT_GELU_TANH:
      for (int64_t i = 0; i < n; ++i) {
        float v = g[i];
        y[i] = (0.5f * v * (1.0f + tanhf(gelu_k * (v + 0.044715f * v * v * v)))) * u[i];
      }
      break;
    default:
      break;
    }
  }
}

void slm_uk_gated_activation(const slm_uk_ctx *ctx, int32_t activation, const float *gate,
                             const float *up, float *y, int64_t rows, int64_t n, int64_t stride) {
  if (n <= 0)
    return;
  uk_gated_args a = {activation, gate, up, y, n, stride};
  uk_parallel(ctx, rows, uk_grain(20 * n), uk_gated_range, &a);
}

/* neg, abs and sign of integers, wrapping like two's complement. */
#define UK_DEFINE_UNARY_INT(NAME, T, U)                                                            \
  static void NAME(int32_t op, const T *restrict x, T *restrict y, int64_t n) {                    \
    switch (op) {                                                                                  \
    case SLM_UK_NEG:                                                                               \
      for (int64_t i = 0; i < n; ++i)                                                              \
        y[i] = (T)((U)0 - (U)x[i]);                                                                \
      break;                                                                                       \
    case SLM_UK_ABS:                                                                               \
      for (int64_t i = 0; i < n; ++i)                                                              \
        y[i] = x[i] < 0 ? (T)((U)0 - (U)x[i]) : x[i];                                              \
      break;                                                                                       \
    case SLM_UK_SIGN:                                                                              \
      for (int64_t i = 0; i < n; ++i)                                                              \
        y[i] = (T)((x[i] > 0) - (x[i] < 0));                                                       \
      break;                                                                                       \
    default:                                                                                       \
      break;                                                                                       \
    }                                                                                              \
  }
UK_DEFINE_UNARY_INT(uk_unary_i64, int64_t, uint64_t)
UK_DEFINE_UNARY_INT(uk_unary_i32, int32_t, uint32_t)

typedef struct {
  int32_t op, dtype;
  const void *x;
  void *y;
  float alpha, beta;
} uk_unary_args;

static void uk_unary_range(void *arg, int64_t begin, int64_t end) {
  const uk_unary_args *a = (const uk_unary_args *)arg;
  int64_t n = end - begin;
  if (a->op == SLM_UK_NOT) {
    const uint8_t *restrict x = (const uint8_t *)a->x + begin;
    uint8_t *restrict y = (uint8_t *)a->y + begin;
    for (int64_t i = 0; i < n; ++i)
      y[i] = !x[i];
    return;
  }
  switch (a->dtype) {
  case SLM_UK_F32:
    uk_unary_f32(a->op, (const float *)a->x + begin, (float *)a->y + begin, n, a->alpha, a->beta);
    break;
  case SLM_UK_I64:
    uk_unary_i64(a->op, (const int64_t *)a->x + begin, (int64_t *)a->y + begin, n);
    break;
  case SLM_UK_I32:
    uk_unary_i32(a->op, (const int32_t *)a->x + begin, (int32_t *)a->y + begin, n);
    break;
  default:
    break;
  }
}

/* Work per element: 1 for arithmetic, more for libm calls. */
static int64_t uk_unary_cost(int32_t op) {
  switch (op) {
  case SLM_UK_NEG: case SLM_UK_ABS: case SLM_UK_SIGN: case SLM_UK_SQRT: case SLM_UK_RSQRT:
  case SLM_UK_RECIPROCAL: case SLM_UK_RELU: case SLM_UK_CEIL: case SLM_UK_FLOOR:
  case SLM_UK_ROUND: case SLM_UK_SOFTSIGN: case SLM_UK_HARD_SWISH: case SLM_UK_LEAKY_RELU:
  case SLM_UK_HARD_SIGMOID: case SLM_UK_THRESHOLDED_RELU: case SLM_UK_NOT:
    return 1;
  default:
    return 16;
  }
}

void slm_uk_unary(const slm_uk_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
                  int64_t n, float alpha, float beta) {
  uk_unary_args a = {op, dtype, x, y, alpha, beta};
  uk_parallel(ctx, n, uk_grain(uk_unary_cost(op)), uk_unary_range, &a);
}

/*===--- binary --------------------------------------------------------------===*/

/* y[i] = EXPR(a_, b_) for a_ = a[i * sa], b_ = b[i * sb], with the unit-stride and
 * broadcast cases spelled out for the vectorizer. */
#define UK_BIN_LOOPS(T, R, EXPR)                                                                   \
  do {                                                                                             \
    R *restrict yr = (R *)y;                                                                       \
    if (sa == 1 && sb == 1) {                                                                      \
      for (int64_t i = 0; i < n; ++i) {                                                            \
        T a_ = a[i], b_ = b[i];                                                                    \
        yr[i] = (R)(EXPR);                                                                         \
      }                                                                                            \
    } else if (sb == 0 && sa == 1) {                                                               \
      T b_ = b[0];                                                                                 \
      for (int64_t i = 0; i < n; ++i) {                                                            \
        T a_ = a[i];                                                                               \
        yr[i] = (R)(EXPR);                                                                         \
      }                                                                                            \
    } else if (sa == 0 && sb == 1) {                                                               \
      T a_ = a[0];                                                                                 \
      for (int64_t i = 0; i < n; ++i) {                                                            \
        T b_ = b[i];                                                                               \
        yr[i] = (R)(EXPR);                                                                         \
      }                                                                                            \
    } else {                                                                                       \
      for (int64_t i = 0; i < n; ++i) {                                                            \
        T a_ = a[i * sa], b_ = b[i * sb];                                                          \
        yr[i] = (R)(EXPR);                                                                         \
      }                                                                                            \
    }                                                                                              \
  } while (0)

static inline float uk_py_mod_f32(float a, float b) {
  float r = fmodf(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

/* Integer division and remainder: T signed or not, U its unsigned twin. */
#define UK_DEFINE_INT_DIVISION(SUFFIX, T, U)                                                       \
  static inline T uk_div_##SUFFIX(T a, T b) {                                                      \
    if (b == 0)                                                                                    \
      return 0;                                                                                    \
    if ((T)-1 < (T)0 && b == (T)-1) /* INT_MIN / -1 traps */                                       \
      return (T)((U)0 - (U)a);                                                                     \
    return (T)(a / b);                                                                             \
  }                                                                                                \
  static inline T uk_mod_##SUFFIX(T a, T b, int python) {                                          \
    if (b == 0 || ((T)-1 < (T)0 && b == (T)-1))                                                    \
      return 0;                                                                                    \
    T r = (T)(a % b);                                                                              \
    return (python && r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r;                           \
  }
UK_DEFINE_INT_DIVISION(i64, int64_t, uint64_t)
UK_DEFINE_INT_DIVISION(i32, int32_t, uint32_t)

typedef struct {
  uk_walk walk;
  const char *a, *b;
  char *y;
} uk_binary_args;

/* Defines slm_uk_binary_NAME: y = EXPR(a_, b_) for a_, b_ of type T into R, COST
 * work units per element. */
#define UK_DEFINE_BINARY(NAME, T, R, COST, EXPR)                                                   \
  static void uk_binary_row_##NAME(void *arg, const int64_t *off, const int64_t *inner, int64_t e, \
                                   int64_t n) {                                                    \
    const uk_binary_args *p = (const uk_binary_args *)arg;                                         \
    const T *restrict a = (const T *)p->a + off[0];                                                \
    const T *restrict b = (const T *)p->b + off[1];                                                \
    int64_t sa = inner[0], sb = inner[1];                                                          \
    R *y = (R *)p->y + e;                                                                          \
    UK_BIN_LOOPS(T, R, EXPR);                                                                      \
  }                                                                                                \
  static void uk_binary_range_##NAME(void *arg, int64_t begin, int64_t end) {                      \
    uk_binary_args *p = (uk_binary_args *)arg;                                                     \
    uk_walk_range(&p->walk, begin, end, uk_binary_row_##NAME, p);                                  \
  }                                                                                                \
  void slm_uk_binary_##NAME(const slm_uk_ctx *ctx, const void *a, const void *b, void *y,         \
                            int32_t rank, const int64_t *shape, const int64_t *a_strides,          \
                            const int64_t *b_strides) {                                            \
    uk_binary_args args;                                                                           \
    const int64_t *strides[2] = {a_strides, b_strides};                                            \
    uk_walk_init(&args.walk, rank, shape, 2, strides);                                             \
    args.a = (const char *)a;                                                                      \
    args.b = (const char *)b;                                                                      \
    args.y = (char *)y;                                                                            \
    uk_parallel(ctx, args.walk.total, uk_grain(COST), uk_binary_range_##NAME, &args);              \
  }

UK_DEFINE_BINARY(add_f32, float, float, 1, a_ + b_)
UK_DEFINE_BINARY(sub_f32, float, float, 1, a_ - b_)
UK_DEFINE_BINARY(mul_f32, float, float, 1, a_ * b_)
UK_DEFINE_BINARY(div_f32, float, float, 1, a_ / b_)
UK_DEFINE_BINARY(pow_f32, float, float, 16, pow((double)a_, (double)b_)) /* in double, as the reference */
UK_DEFINE_BINARY(max_f32, float, float, 1, (isnan(a_) || a_ > b_) ? a_ : b_)
UK_DEFINE_BINARY(min_f32, float, float, 1, (isnan(a_) || a_ < b_) ? a_ : b_)
UK_DEFINE_BINARY(mod_f32, float, float, 16, uk_py_mod_f32(a_, b_))
UK_DEFINE_BINARY(fmod_f32, float, float, 16, fmodf(a_, b_))

/* Integer arithmetic wraps, as the reference's does (in its unsigned twin). */
#define UK_DEFINE_INT_ARITHMETIC(SUFFIX, T, U)                                                     \
  UK_DEFINE_BINARY(add_##SUFFIX, T, T, 1, (U)a_ + (U)b_)                                           \
  UK_DEFINE_BINARY(sub_##SUFFIX, T, T, 1, (U)a_ - (U)b_)                                           \
  UK_DEFINE_BINARY(mul_##SUFFIX, T, T, 1, (U)a_ * (U)b_)                                           \
  UK_DEFINE_BINARY(div_##SUFFIX, T, T, 1, uk_div_##SUFFIX(a_, b_))                                 \
  UK_DEFINE_BINARY(pow_##SUFFIX, T, T, 16, pow((double)a_, (double)b_))                            \
  UK_DEFINE_BINARY(max_##SUFFIX, T, T, 1, a_ > b_ ? a_ : b_)                                       \
  UK_DEFINE_BINARY(min_##SUFFIX, T, T, 1, a_ < b_ ? a_ : b_)                                       \
  UK_DEFINE_BINARY(mod_##SUFFIX, T, T, 16, uk_mod_##SUFFIX(a_, b_, 1))                             \
  UK_DEFINE_BINARY(fmod_##SUFFIX, T, T, 16, uk_mod_##SUFFIX(a_, b_, 0))
UK_DEFINE_INT_ARITHMETIC(i64, int64_t, uint64_t)
UK_DEFINE_INT_ARITHMETIC(i32, int32_t, uint32_t)

#define UK_DEFINE_COMPARISONS(SUFFIX, T)                                                           \
  UK_DEFINE_BINARY(equal_##SUFFIX, T, uint8_t, 1, a_ == b_)                                        \
  UK_DEFINE_BINARY(less_##SUFFIX, T, uint8_t, 1, a_ < b_)                                          \
  UK_DEFINE_BINARY(less_equal_##SUFFIX, T, uint8_t, 1, a_ <= b_)                                   \
  UK_DEFINE_BINARY(greater_##SUFFIX, T, uint8_t, 1, a_ > b_)                                       \
  UK_DEFINE_BINARY(greater_equal_##SUFFIX, T, uint8_t, 1, a_ >= b_)
UK_DEFINE_COMPARISONS(f32, float)
UK_DEFINE_COMPARISONS(i64, int64_t)
UK_DEFINE_COMPARISONS(i32, int32_t)
UK_DEFINE_COMPARISONS(i1, uint8_t)

UK_DEFINE_BINARY(and_i1, uint8_t, uint8_t, 1, a_ && b_)
UK_DEFINE_BINARY(or_i1, uint8_t, uint8_t, 1, a_ || b_)
UK_DEFINE_BINARY(xor_i1, uint8_t, uint8_t, 1, (a_ != 0) != (b_ != 0))

/*===--- where ---------------------------------------------------------------===*/

typedef struct {
  uk_walk walk;
  int64_t elem_bytes;
  const uint8_t *cond;
  const char *a, *b;
  char *y;
} uk_where_args;

#define UK_WHERE_LOOP(T)                                                                           \
  do {                                                                                             \
    const T *restrict at = (const T *)a, *restrict bt = (const T *)b;                              \
    T *restrict yt = (T *)y;                                                                       \
    for (int64_t i = 0; i < len; ++i)                                                              \
      yt[i] = c[i * sc] ? at[i * sa] : bt[i * sb];                                                 \
  } while (0)

static void uk_where_row(void *arg, const int64_t *off, const int64_t *inner, int64_t e,
                         int64_t len) {
  const uk_where_args *p = (const uk_where_args *)arg;
  int64_t eb = p->elem_bytes, sc = inner[0], sa = inner[1], sb = inner[2];
  const uint8_t *restrict c = p->cond + off[0];
  const char *a = p->a + off[1] * eb, *b = p->b + off[2] * eb;
  char *y = p->y + e * eb;
  switch (eb) {
  case 1:
    UK_WHERE_LOOP(uint8_t);
    break;
  case 2:
    UK_WHERE_LOOP(uint16_t);
    break;
  case 4:
    UK_WHERE_LOOP(uint32_t);
    break;
  case 8:
    UK_WHERE_LOOP(uint64_t);
    break;
  default:
    for (int64_t i = 0; i < len; ++i)
      memcpy(y + i * eb, c[i * sc] ? a + i * sa * eb : b + i * sb * eb, (size_t)eb);
    break;
  }
}

static void uk_where_range(void *arg, int64_t begin, int64_t end) {
  uk_where_args *a = (uk_where_args *)arg;
  uk_walk_range(&a->walk, begin, end, uk_where_row, a);
}

void slm_uk_where(const slm_uk_ctx *ctx, int32_t elem_bytes, const uint8_t *cond, const void *a,
                  const void *b, void *y, int32_t rank, const int64_t *shape,
                  const int64_t *cond_strides, const int64_t *a_strides,
                  const int64_t *b_strides) {
  uk_where_args args;
  const int64_t *strides[3] = {cond_strides, a_strides, b_strides};
  uk_walk_init(&args.walk, rank, shape, 3, strides);
  args.elem_bytes = elem_bytes;
  args.cond = cond;
  args.a = (const char *)a;
  args.b = (const char *)b;
  args.y = (char *)y;
  uk_parallel(ctx, args.walk.total, uk_grain(1), uk_where_range, &args);
}

/*===--- cast ----------------------------------------------------------------===*/

typedef struct {
  int32_t from, to;
  const void *x;
  void *y;
} uk_cast_args;

#define UK_CAST(S, T, EXPR)                                                                        \
  do {                                                                                             \
    const S *restrict xs = (const S *)a->x + begin;                                                \
    T *restrict yt = (T *)a->y + begin;                                                            \
    for (int64_t i = 0; i < n; ++i) {                                                              \
      S v = xs[i];                                                                                 \
      yt[i] = (EXPR);                                                                              \
    }                                                                                              \
  } while (0)

/* To every dtype from source type S: numbers convert (floats truncate toward
 * zero), i1 is v != 0. */
#define UK_CAST_FROM(S)                                                                            \
  switch (a->to) {                                                                                 \
  case SLM_UK_F32:                                                                                 \
    UK_CAST(S, float, (float)v);                                                                   \
    break;                                                                                         \
  case SLM_UK_I64:                                                                                 \
    UK_CAST(S, int64_t, (int64_t)v);                                                               \
    break;                                                                                         \
  case SLM_UK_I32:                                                                                 \
    UK_CAST(S, int32_t, (int32_t)v);                                                               \
    break;                                                                                         \
  case SLM_UK_I1:                                                                                  \
    UK_CAST(S, uint8_t, (uint8_t)(v != 0));                                                        \
    break;                                                                                         \
  default:                                                                                         \
    break;                                                                                         \
  }

static void uk_cast_range(void *arg, int64_t begin, int64_t end) {
  const uk_cast_args *a = (const uk_cast_args *)arg;
  int64_t n = end - begin;
  switch (a->from) {
  case SLM_UK_F32:
    UK_CAST_FROM(float);
    break;
  case SLM_UK_I64:
    UK_CAST_FROM(int64_t);
    break;
  case SLM_UK_I32:
    UK_CAST_FROM(int32_t);
    break;
  case SLM_UK_I1:
    UK_CAST_FROM(uint8_t);
    break;
  default:
    break;
  }
}

void slm_uk_cast(const slm_uk_ctx *ctx, int32_t from, int32_t to, const void *x, void *y,
                 int64_t n) {
  uk_cast_args a = {from, to, x, y};
  uk_parallel(ctx, n, uk_grain(1), uk_cast_range, &a);
}
