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

#define UK_BIN_COMMON_CASES(T)                                                                     \
  case SLM_UK_EQUAL:                                                                               \
    UK_BIN_LOOPS(T, uint8_t, a_ == b_);                                                            \
    break;                                                                                         \
  case SLM_UK_LESS:                                                                                \
    UK_BIN_LOOPS(T, uint8_t, a_ < b_);                                                             \
    break;                                                                                         \
  case SLM_UK_LESS_EQUAL:                                                                          \
    UK_BIN_LOOPS(T, uint8_t, a_ <= b_);                                                            \
    break;                                                                                         \
  case SLM_UK_GREATER:                                                                             \
    UK_BIN_LOOPS(T, uint8_t, a_ > b_);                                                             \
    break;                                                                                         \
  case SLM_UK_GREATER_EQUAL:                                                                       \
    UK_BIN_LOOPS(T, uint8_t, a_ >= b_);                                                            \
    break;                                                                                         \
  case SLM_UK_AND:                                                                                 \
    UK_BIN_LOOPS(T, T, a_ && b_);                                                                  \
    break;                                                                                         \
  case SLM_UK_OR:                                                                                  \
    UK_BIN_LOOPS(T, T, a_ || b_);                                                                  \
    break;                                                                                         \
  case SLM_UK_XOR:                                                                                 \
    UK_BIN_LOOPS(T, T, (a_ != 0) != (b_ != 0));                                                    \
    break;

static inline float uk_py_mod_f32(float a, float b) {
  float r = fmodf(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

static void uk_binary_f32(int32_t op, const float *restrict a, int64_t sa, const float *restrict b,
                          int64_t sb, void *restrict y, int64_t n) {
  switch (op) {
  case SLM_UK_ADD:
    UK_BIN_LOOPS(float, float, a_ + b_);
    break;
  case SLM_UK_SUB:
    UK_BIN_LOOPS(float, float, a_ - b_);
    break;
  case SLM_UK_MUL:
    UK_BIN_LOOPS(float, float, a_ * b_);
    break;
  case SLM_UK_DIV:
    UK_BIN_LOOPS(float, float, a_ / b_);
    break;
  case SLM_UK_POW: /* in double, as the reference */
    UK_BIN_LOOPS(float, float, pow((double)a_, (double)b_));
    break;
  case SLM_UK_MAX:
    UK_BIN_LOOPS(float, float, (isnan(a_) || a_ > b_) ? a_ : b_);
    break;
  case SLM_UK_MIN:
    UK_BIN_LOOPS(float, float, (isnan(a_) || a_ < b_) ? a_ : b_);
    break;
  case SLM_UK_MOD:
    UK_BIN_LOOPS(float, float, uk_py_mod_f32(a_, b_));
    break;
  case SLM_UK_FMOD:
    UK_BIN_LOOPS(float, float, fmodf(a_, b_));
    break;
    UK_BIN_COMMON_CASES(float)
  default:
    break;
  }
}

/* Integers: T signed or not (i1 is uint8_t), U its unsigned twin. */
#define UK_DEFINE_BINARY_INT(NAME, T, U)                                                           \
  static inline T NAME##_div(T a, T b) {                                                           \
    if (b == 0)                                                                                    \
      return 0;                                                                                    \
    if ((T)-1 < (T)0 && b == (T)-1) /* INT_MIN / -1 traps */                                       \
      return (T)((U)0 - (U)a);                                                                     \
    return (T)(a / b);                                                                             \
  }                                                                                                \
  static inline T NAME##_mod(T a, T b, int python) {                                               \
    if (b == 0 || ((T)-1 < (T)0 && b == (T)-1))                                                    \
      return 0;                                                                                    \
    T r = (T)(a % b);                                                                              \
    return (python && r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r;                           \
  }                                                                                                \
  static void NAME(int32_t op, const T *restrict a, int64_t sa, const T *restrict b, int64_t sb,   \
                   void *restrict y, int64_t n) {                                                  \
    switch (op) {                                                                                  \
    case SLM_UK_ADD:                                                                               \
      UK_BIN_LOOPS(T, T, (U)a_ + (U)b_);                                                           \
      break;                                                                                       \
    case SLM_UK_SUB:                                                                               \
      UK_BIN_LOOPS(T, T, (U)a_ - (U)b_);                                                           \
      break;                                                                                       \
    case SLM_UK_MUL:                                                                               \
      UK_BIN_LOOPS(T, T, (U)a_ * (U)b_);                                                           \
      break;                                                                                       \
    case SLM_UK_DIV:                                                                               \
      UK_BIN_LOOPS(T, T, NAME##_div(a_, b_));                                                      \
      break;                                                                                       \
    case SLM_UK_POW:                                                                               \
      UK_BIN_LOOPS(T, T, pow((double)a_, (double)b_));                                             \
      break;                                                                                       \
    case SLM_UK_MAX:                                                                               \
      UK_BIN_LOOPS(T, T, a_ > b_ ? a_ : b_);                                                       \
      break;                                                                                       \
    case SLM_UK_MIN:                                                                               \
      UK_BIN_LOOPS(T, T, a_ < b_ ? a_ : b_);                                                       \
      break;                                                                                       \
    case SLM_UK_MOD:                                                                               \
      UK_BIN_LOOPS(T, T, NAME##_mod(a_, b_, 1));                                                   \
      break;                                                                                       \
    case SLM_UK_FMOD:                                                                              \
      UK_BIN_LOOPS(T, T, NAME##_mod(a_, b_, 0));                                                   \
      break;                                                                                       \
      UK_BIN_COMMON_CASES(T)                                                                       \
    default:                                                                                       \
      break;                                                                                       \
    }                                                                                              \
  }
UK_DEFINE_BINARY_INT(uk_binary_i64, int64_t, uint64_t)
UK_DEFINE_BINARY_INT(uk_binary_i32, int32_t, uint32_t)
UK_DEFINE_BINARY_INT(uk_binary_i1, uint8_t, uint8_t)

static int uk_is_comparison(int32_t op) {
  return op == SLM_UK_EQUAL || op == SLM_UK_LESS || op == SLM_UK_LESS_EQUAL ||
         op == SLM_UK_GREATER || op == SLM_UK_GREATER_EQUAL;
}

static size_t uk_dtype_bytes(int32_t dtype) {
  switch (dtype) {
  case SLM_UK_F32: case SLM_UK_I32: return 4;
  case SLM_UK_I64: return 8;
  default: return 1;
  }
}

typedef struct {
  uk_walk walk;
  int32_t op, dtype;
  size_t in_bytes, out_bytes;
  const char *a, *b;
  char *y;
} uk_binary_args;

static void uk_binary_row(void *arg, const int64_t *off, const int64_t *inner, int64_t e,
                          int64_t len) {
  const uk_binary_args *p = (const uk_binary_args *)arg;
  const char *a = p->a + off[0] * (int64_t)p->in_bytes, *b = p->b + off[1] * (int64_t)p->in_bytes;
  char *y = p->y + e * (int64_t)p->out_bytes;
  switch (p->dtype) {
  case SLM_UK_F32:
    uk_binary_f32(p->op, (const float *)a, inner[0], (const float *)b, inner[1], y, len);
    break;
  case SLM_UK_I64:
    uk_binary_i64(p->op, (const int64_t *)a, inner[0], (const int64_t *)b, inner[1], y, len);
    break;
  case SLM_UK_I32:
    uk_binary_i32(p->op, (const int32_t *)a, inner[0], (const int32_t *)b, inner[1], y, len);
    break;
  case SLM_UK_I1:
    uk_binary_i1(p->op, (const uint8_t *)a, inner[0], (const uint8_t *)b, inner[1], y, len);
    break;
  default:
    break;
  }
}

static void uk_binary_range(void *arg, int64_t begin, int64_t end) {
  uk_binary_args *a = (uk_binary_args *)arg;
  uk_walk_range(&a->walk, begin, end, uk_binary_row, a);
}

void slm_uk_binary(const slm_uk_ctx *ctx, int32_t op, int32_t dtype, const void *a,
                   const void *b, void *y, int32_t rank, const int64_t *shape,
                   const int64_t *a_strides, const int64_t *b_strides) {
  uk_binary_args args;
  const int64_t *strides[2] = {a_strides, b_strides};
  uk_walk_init(&args.walk, rank, shape, 2, strides);
  args.op = op;
  args.dtype = dtype;
  args.in_bytes = uk_dtype_bytes(dtype);
  args.out_bytes = uk_is_comparison(op) ? 1 : args.in_bytes;
  args.a = (const char *)a;
  args.b = (const char *)b;
  args.y = (char *)y;
  int64_t cost = (op == SLM_UK_POW || op == SLM_UK_MOD || op == SLM_UK_FMOD) ? 16 : 1;
  uk_parallel(ctx, args.walk.total, uk_grain(cost), uk_binary_range, &args);
}

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
