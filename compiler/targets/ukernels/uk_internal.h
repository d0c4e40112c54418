/*===- uk_internal.h - what the micro-kernels share ---------------*- C -*-===*
 *
 * Private to compiler/targets/ukernels: everything here is static inline, so
 * each kernel file gets its own copy and the linked bitcode exports nothing
 * but the slm_uk_* entry points.
 *
 * Determinism: every kernel computes each output element with the same
 * sequence of float operations whatever the number of tasks it is split into
 * and whether a parallel_for is given, so a threaded run equals an inline one
 * bit for bit. Float reductions that would otherwise be a serial chain (and
 * which LLVM may not vectorize without fast-math) are written as UK_LANES
 * partial sums combined by a fixed tree: the order is in the source, so it
 * is the same on every ISA LLVM vectorizes it for.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UK_INTERNAL_H
#define SLM_UK_INTERNAL_H

#include "compiler/targets/ukernels/slm_ukernels.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Partial sums of a float reduction: one zmm, or two ymm. */
#define UK_LANES 16
/* Most tasks one kernel call is split into. */
#define UK_MAX_TASKS 64
/* About how much work (in multiply-adds or elements) makes a task worth it. */
#define UK_TASK_WORK 32768
/* Most dimensions a strided walk keeps after merging; beyond it (never in
 * practice) the walk computes every element's offsets by division. */
#define UK_MAX_RANK 16
/* Most operands a strided walk reads. */
#define UK_MAX_OPS 3

static inline int64_t uk_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t uk_max(int64_t a, int64_t b) { return a > b ? a : b; }

/*===--- parallel for ------------------------------------------------------===*/

/* Runs items [begin, end) of a kernel. */
typedef void (*uk_range_fn)(void *arg, int64_t begin, int64_t end);

typedef struct {
  uk_range_fn fn;
  void *arg;
  int64_t total;
  int64_t tasks;
} uk_split;

static inline void uk_split_task(void *context, int64_t i) {
  const uk_split *s = (const uk_split *)context;
  int64_t q = s->total / s->tasks, r = s->total % s->tasks;
  int64_t begin = i * q + (i < r ? i : r);
  s->fn(s->arg, begin, begin + q + (i < r ? 1 : 0));
}

/* Items per task so that a task does about UK_TASK_WORK units of work. */
static inline int64_t uk_grain(int64_t cost_per_item) {
  if (cost_per_item < 1)
    cost_per_item = 1;
  int64_t grain = UK_TASK_WORK / cost_per_item;
  return grain < 1 ? 1 : grain;
}

/* Runs fn over items [0, total): inline when there is no parallel_for (or too
 * little work), otherwise as up to UK_MAX_TASKS tasks of at least `grain`
 * consecutive items each. */
static inline void uk_parallel(const slm_uk_ctx *ctx, int64_t total, int64_t grain,
                               uk_range_fn fn, void *arg) {
  if (total <= 0)
    return;
  if (grain < 1)
    grain = 1;
  int64_t tasks = total / grain;
  if (tasks > UK_MAX_TASKS)
    tasks = UK_MAX_TASKS;
  if (tasks <= 1 || !ctx || !ctx->parallel_for) {
    fn(arg, 0, total);
    return;
  }
  uk_split s = {fn, arg, total, tasks};
  ctx->parallel_for(ctx->pool, tasks, uk_split_task, &s);
}

/* Rows [begin, end) of a weight matrix for a decode GEMV, four at a time,
 * one from each of four parts of the range: four sequential streams far
 * apart, which the hardware prefetchers follow at once. Neighbouring rows make
 * one stream, and one stream leaves the core waiting on memory (the 300 MB
 * head of a 0.5B model: 16 GB/s in f32 on one EPYC core, 20-28 from four
 * parts). `rows(arg, r, count)` gets four row indices, then each leftover row
 * alone (count 1); every row is computed the same way either way. */
typedef void (*uk_rows_fn)(void *arg, const int64_t *rows, int count);
static inline __attribute__((always_inline)) void
uk_rows_in_four_parts(int64_t begin, int64_t end, uk_rows_fn rows, void *arg) {
  int64_t part = (end - begin) / 4;
  for (int64_t j = begin; j < begin + part; ++j) {
    int64_t four[4] = {j, j + part, j + 2 * part, j + 3 * part};
    rows(arg, four, 4);
  }
  for (int64_t j = begin + 4 * part; j < end; ++j)
    rows(arg, &j, 1);
}

/* Defines NAME, a uk_range_fn over rows of w four parts at a time, and
 * NAME##_rows, which calls ROWS((const ARGS *)arg, rows, count, ...) with the
 * specialization's constants. ATTRIBUTES: the functions' target, if any. */
#define UK_DEFINE_FOUR_PART_RANGE(ATTRIBUTES, NAME, ROWS, ARGS, ...)                               \
  ATTRIBUTES static void NAME##_rows(void *arg, const int64_t *rows, int count) {                  \
    ROWS((const ARGS *)arg, rows, count, __VA_ARGS__);                                             \
  }                                                                                                \
  ATTRIBUTES static void NAME(void *arg, int64_t begin, int64_t end) {                             \
    uk_rows_in_four_parts(begin, end, NAME##_rows, arg);                                           \
  }

/*===--- float reductions in a fixed order ---------------------------------===*/

/* UK_LANES floats as one value: a float sum must be split into partial sums in
 * the source (LLVM keeps the order of float operations), and with the lanes
 * written as a vector type that split reaches the code generator as vector
 * adds on every ISA, instead of depending on how the SLP vectorizer regroups
 * 16 scalar chains. Lane l accumulates the elements i with i % 16 == l.
 * Vectors are passed by pointer (by value would be an ABI question). */
typedef float uk_f32x16 __attribute__((vector_size(64), aligned(4)));
typedef float uk_f32x8 __attribute__((vector_size(32), aligned(4)));
typedef float uk_f32x4 __attribute__((vector_size(16), aligned(4)));
typedef float uk_f32x2 __attribute__((vector_size(8), aligned(4)));

static inline void uk_load16(uk_f32x16 *v, const float *p) { memcpy(v, p, sizeof *v); }

/* x[0..count) then `pad` (count < UK_LANES): the last, partial block of a row,
 * padded with a value that leaves every lane as it is (0 for a sum, 1 for a
 * product, -inf for a max). */
static inline void uk_tail16(uk_f32x16 *v, const float *x, int64_t count, float pad) {
  /* A half-vector of 8 loads as one (short heads: head_dim 8, 24, ...); the
   * rest element by element, not through a variable-length memcpy, which
   * becomes a libc call and a store-forwarding stall. */
  uk_f32x16 t = (uk_f32x16){0} + pad;
  int64_t l = 0;
  if (count >= 8) {
    uk_f32x8 low, high = (uk_f32x8){0} + pad;
    memcpy(&low, x, sizeof low);
    t = __builtin_shufflevector(low, high, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    l = 8;
  }
  for (; l < count; ++l)
    t[l] = x[l];
  *v = t;
}

/* Folds the partial sums, lanes l and l + w for w = 8, 4, 2, 1, as shuffles
 * (reading the lanes as scalars would make LLVM split the accumulator). */
static inline float uk_fold_sum(const uk_f32x16 *v) {
  uk_f32x8 h = __builtin_shufflevector(*v, *v, 0, 1, 2, 3, 4, 5, 6, 7) +
               __builtin_shufflevector(*v, *v, 8, 9, 10, 11, 12, 13, 14, 15);
  uk_f32x4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
  uk_f32x2 d = __builtin_shufflevector(q, q, 0, 1) + __builtin_shufflevector(q, q, 2, 3);
  return d[0] + d[1];
}

typedef int32_t uk_i32x16 __attribute__((vector_size(64), aligned(4)));

/* e^x for 16 lanes at once, within 2 ulp of expf (Cody-Waite reduction by
 * ln 2, Cephes' degree-6 polynomial, the power of two built in the exponent
 * bits). libm's expf is a call per element that LLVM cannot vectorize, and it
 * was a third of a small model's attention. Results below e^-87.3 (where expf
 * turns subnormal) flush to +0, above e^88.7 are +inf, NaN stays NaN. The
 * rounding to an integer is the 1.5 * 2^23 trick, not a conversion, so a NaN
 * lane stays defined behaviour. */
/* Lanes of *v where mask is set (all ones) become the lanes of *yes. */
static inline void uk_blend16(uk_f32x16 *v, const uk_i32x16 *mask, const uk_f32x16 *yes) {
  uk_i32x16 a, b;
  memcpy(&a, yes, sizeof a);
  memcpy(&b, v, sizeof b);
  a = (a & *mask) | (b & ~*mask);
  memcpy(v, &a, sizeof a);
}

static inline void uk_exp16(uk_f32x16 *v) {
  const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  const float round = 12582912.0f; /* 1.5 * 2^23 */
  const uk_f32x16 zero = {0};
  uk_f32x16 x = *v;
  /* maxnum/minnum: a NaN lane becomes a bound here and NaN again at the end. */
  uk_f32x16 c = __builtin_elementwise_min(__builtin_elementwise_max(x, zero - 87.3f), zero + 88.7f);
  uk_f32x16 t = c * log2e + round;
  uk_f32x16 n = t - round;
  uk_f32x16 r = c - n * ln2_hi - n * ln2_lo;
  uk_f32x16 p = zero + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  uk_i32x16 k;
  memcpy(&k, &t, sizeof k);
  k = (k - 0x4B400000 + 127) << 23; /* t's bits less round's are n: 2^n */
  uk_f32x16 scale;
  memcpy(&scale, &k, sizeof scale);
  uk_f32x16 e = p * scale, inf = zero + INFINITY;
  uk_i32x16 under = x < -87.3f, over = x > 88.72f, nan = x != x;
  uk_blend16(&e, &under, &zero);
  uk_blend16(&e, &over, &inf);
  uk_blend16(&e, &nan, &x);
  *v = e;
}

/* e^x elementwise over n floats with uk_exp16. */
static inline void uk_exp_n(float *x, int64_t n) {
  uk_f32x16 v;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&v, x + i);
    uk_exp16(&v);
    memcpy(x + i, &v, sizeof v);
  }
  if (i < n) {
    uk_tail16(&v, x + i, n - i, 0.0f);
    uk_exp16(&v);
    for (int64_t l = 0; l < n - i; ++l)
      x[i + l] = v[l];
  }
}

/* sum(x[i]) as UK_LANES interleaved partial sums folded by uk_fold_sum. A
 * lane starts at +0 and so never holds -0: the zero padding changes nothing. */
static inline float uk_sum(const float *restrict x, int64_t n) {
  uk_f32x16 acc = {0}, v;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&v, x + i);
    acc += v;
  }
  if (i < n) {
    uk_tail16(&v, x + i, n - i, 0.0f);
    acc += v;
  }
  return uk_fold_sum(&acc);
}

/* sum(x[i] * x[i]), in the order of uk_sum. */
static inline float uk_sum_squares(const float *restrict x, int64_t n) {
  uk_f32x16 acc = {0}, v;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&v, x + i);
    acc += v * v;
  }
  if (i < n) {
    uk_tail16(&v, x + i, n - i, 0.0f);
    acc += v * v;
  }
  return uk_fold_sum(&acc);
}

/* sum((x[i] - c) * (x[i] - c)), in the order of uk_sum (padding with c adds
 * (c - c)^2 = 0; a non-finite c makes the sum NaN or inf either way). */
static inline float uk_sum_sq_dev(const float *restrict x, float c, int64_t n) {
  uk_f32x16 acc = {0}, v;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&v, x + i);
    v -= c;
    acc += v * v;
  }
  if (i < n) {
    uk_tail16(&v, x + i, n - i, c);
    v -= c;
    acc += v * v;
  }
  return uk_fold_sum(&acc);
}

/* sum(a[i] * b[i]), in the order of uk_sum. */
static inline float uk_dot(const float *restrict a, const float *restrict b, int64_t n) {
  uk_f32x16 acc = {0}, va, vb;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&va, a + i);
    uk_load16(&vb, b + i);
    acc += va * vb;
  }
  if (i < n) {
    uk_tail16(&va, a + i, n - i, 0.0f);
    uk_tail16(&vb, b + i, n - i, 0.0f);
    acc += va * vb;
  }
  return uk_fold_sum(&acc);
}

/* uk_dot(a, b[r], n) for r = 0..7, float for float (each row's products and
 * lane sums in uk_dot's order, lanes l and l + w paired for w = 8, 4, 2, 1 as
 * uk_fold_sum pairs them), the eight folds done together: a fold per dot
 * product is a chain of shuffles longer than a short row's products (a
 * decode's attention scores 64-wide keys). */
static inline void uk_dot8(const float *restrict a, const float *const b[8], int64_t n,
                           float out[8]) {
  uk_f32x16 acc[8], va, vb;
  for (int r = 0; r < 8; ++r)
    acc[r] = (uk_f32x16){0};
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES) {
    uk_load16(&va, a + i);
    for (int r = 0; r < 8; ++r) {
      uk_load16(&vb, b[r] + i);
      acc[r] += va * vb;
    }
  }
  if (i < n) {
    uk_tail16(&va, a + i, n - i, 0.0f);
    for (int r = 0; r < 8; ++r) {
      uk_tail16(&vb, b[r] + i, n - i, 0.0f);
      acc[r] += va * vb;
    }
  }
  /* w = 8: half[p] holds rows 2p (lanes 0-7) and 2p + 1 (8-15) */
  uk_f32x16 half[4];
  for (int p = 0; p < 4; ++p)
    half[p] = __builtin_shufflevector(acc[2 * p], acc[2 * p + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17,
                                      18, 19, 20, 21, 22, 23) +
              __builtin_shufflevector(acc[2 * p], acc[2 * p + 1], 8, 9, 10, 11, 12, 13, 14, 15,
                                      24, 25, 26, 27, 28, 29, 30, 31);
  /* w = 4: quarter[p] holds rows 4p, 4p + 2, 4p + 1, 4p + 3, four lanes each */
  uk_f32x16 quarter[2];
  for (int p = 0; p < 2; ++p)
    quarter[p] = __builtin_shufflevector(half[2 * p], half[2 * p + 1], 0, 1, 2, 3, 16, 17, 18, 19,
                                         8, 9, 10, 11, 24, 25, 26, 27) +
                 __builtin_shufflevector(half[2 * p], half[2 * p + 1], 4, 5, 6, 7, 20, 21, 22, 23,
                                         12, 13, 14, 15, 28, 29, 30, 31);
  /* w = 2: rows 0, 4, 2, 6, 1, 5, 3, 7, two lanes each */
  uk_f32x16 pairs =
      __builtin_shufflevector(quarter[0], quarter[1], 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12,
                              13, 28, 29) +
      __builtin_shufflevector(quarter[0], quarter[1], 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27,
                              14, 15, 30, 31);
  /* w = 1, then rows in order */
  uk_f32x8 sums = __builtin_shufflevector(pairs, pairs, 0, 2, 4, 6, 8, 10, 12, 14) +
                  __builtin_shufflevector(pairs, pairs, 1, 3, 5, 7, 9, 11, 13, 15);
  uk_f32x8 ordered = __builtin_shufflevector(sums, sums, 0, 4, 2, 6, 1, 5, 3, 7);
  memcpy(out, &ordered, sizeof ordered);
}

/* max(x[i]) with std::max's rule (m < v ? v : m) from -inf: NaNs are skipped.
 * Max is exact in any order (up to the sign of a zero), so lanes are free. */
static inline float uk_max_f32(const float *restrict x, int64_t n) {
  float acc[UK_LANES];
  for (int l = 0; l < UK_LANES; ++l)
    acc[l] = -INFINITY;
  int64_t i = 0;
  for (; i + UK_LANES <= n; i += UK_LANES)
    for (int l = 0; l < UK_LANES; ++l)
      acc[l] = acc[l] < x[i + l] ? x[i + l] : acc[l];
  if (i < n) {
    float t[UK_LANES];
    uk_f32x16 v;
    uk_tail16(&v, x + i, n - i, -INFINITY);
    memcpy(t, &v, sizeof t);
    for (int l = 0; l < UK_LANES; ++l)
      acc[l] = acc[l] < t[l] ? t[l] : acc[l];
  }
  for (int w = UK_LANES / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l)
      acc[l] = acc[l] < acc[l + w] ? acc[l + w] : acc[l];
  return acc[0];
}

/*===--- strided walks -----------------------------------------------------===*/

/* A walk over the elements of a dense row-major output of some shape in
 * row-major order, reading up to UK_MAX_OPS operands through element strides
 * per output dimension (0 where broadcast, negative for reversed slices).
 * Size-1 dimensions are dropped and neighbours that are contiguous for every
 * operand merged, so a dense or simply broadcast walk is a few long rows. */
typedef struct {
  int32_t nops;
  int32_t rank; /* merged dimensions (>= 1); 0: `slow` */
  int64_t total;
  int64_t shape[UK_MAX_RANK];
  int64_t strides[UK_MAX_OPS][UK_MAX_RANK];
  /* More than UK_MAX_RANK merged dimensions: the original description. */
  int32_t slow_rank;
  const int64_t *slow_shape;
  const int64_t *slow_strides[UK_MAX_OPS];
} uk_walk;

/* Visits elements [e, e + len) of the output, all in one row of the walk:
 * off[o] is operand o's element offset of element e, and inner[o] its stride
 * along the row. */
typedef void (*uk_row_fn)(void *arg, const int64_t *off, const int64_t *inner, int64_t e,
                          int64_t len);

/* strides[o] == NULL means the dense row-major strides of `shape`. */
static inline void uk_walk_init(uk_walk *w, int32_t rank, const int64_t *shape, int32_t nops,
                                const int64_t *const *strides) {
  int64_t cshape[UK_MAX_RANK], cstrides[UK_MAX_OPS][UK_MAX_RANK];
  int32_t n = 0;
  int64_t dense = 1; /* row-major stride of dimension d */
  w->nops = nops;
  w->total = 1;
  w->slow_rank = 0;
  for (int32_t d = 0; d < rank; ++d)
    w->total *= shape[d];
  /* From the innermost dimension out; cshape/cstrides innermost first. */
  for (int32_t d = rank - 1; d >= 0; --d) {
    int64_t size = shape[d];
    int64_t st[UK_MAX_OPS];
    for (int32_t o = 0; o < nops; ++o)
      st[o] = strides[o] ? strides[o][d] : dense;
    dense *= size;
    if (size == 1)
      continue;
    if (n > 0) {
      int merge = 1;
      for (int32_t o = 0; o < nops; ++o)
        merge &= st[o] == cstrides[o][n - 1] * cshape[n - 1];
      if (merge) {
        cshape[n - 1] *= size;
        continue;
      }
    }
    if (n == UK_MAX_RANK) {
      w->rank = 0;
      w->slow_rank = rank;
      w->slow_shape = shape;
      for (int32_t o = 0; o < nops; ++o)
        w->slow_strides[o] = strides[o];
      return;
    }
    cshape[n] = size;
    for (int32_t o = 0; o < nops; ++o)
      cstrides[o][n] = st[o];
    ++n;
  }
  if (n == 0) { /* a single element */
    cshape[0] = 1;
    for (int32_t o = 0; o < nops; ++o)
      cstrides[o][0] = 0;
    n = 1;
  }
  w->rank = n;
  for (int32_t d = 0; d < n; ++d) {
    w->shape[d] = cshape[n - 1 - d];
    for (int32_t o = 0; o < nops; ++o)
      w->strides[o][d] = cstrides[o][n - 1 - d];
  }
}

/* Calls row for the elements [begin, end) of the walk, row by row. */
static inline void uk_walk_range(const uk_walk *w, int64_t begin, int64_t end, uk_row_fn row,
                                 void *arg) {
  int32_t nops = w->nops;
  int64_t off[UK_MAX_OPS] = {0}, inner[UK_MAX_OPS] = {0};
  if (w->rank == 0) { /* element by element, offsets by division */
    for (int64_t e = begin; e < end; ++e) {
      int64_t rem = e;
      for (int32_t o = 0; o < nops; ++o)
        off[o] = 0;
      int64_t dense = 1;
      for (int32_t d = w->slow_rank - 1; d >= 0; --d) {
        int64_t size = w->slow_shape[d];
        int64_t i = rem % size;
        rem /= size;
        for (int32_t o = 0; o < nops; ++o)
          off[o] += i * (w->slow_strides[o] ? w->slow_strides[o][d] : dense);
        dense *= size;
      }
      row(arg, off, inner, e, 1);
    }
    return;
  }
  int32_t last = w->rank - 1;
  int64_t idx[UK_MAX_RANK];
  int64_t rem = begin;
  for (int32_t d = last; d >= 0; --d) {
    idx[d] = rem % w->shape[d];
    rem /= w->shape[d];
    for (int32_t o = 0; o < nops; ++o)
      off[o] += idx[d] * w->strides[o][d];
  }
  for (int32_t o = 0; o < nops; ++o)
    inner[o] = w->strides[o][last];
  int64_t e = begin;
  while (e < end) {
    int64_t len = uk_min(w->shape[last] - idx[last], end - e);
    row(arg, off, inner, e, len);
    e += len;
    if (e >= end)
      break;
    int32_t d = last;
    idx[d] += len;
    for (int32_t o = 0; o < nops; ++o)
      off[o] += len * w->strides[o][d];
    while (d > 0 && idx[d] == w->shape[d]) {
      for (int32_t o = 0; o < nops; ++o)
        off[o] -= w->shape[d] * w->strides[o][d];
      idx[d] = 0;
      --d;
      ++idx[d];
      for (int32_t o = 0; o < nops; ++o)
        off[o] += w->strides[o][d];
    }
  }
}

/* Per-row int8 values (W8A8 and W4A8 activations, int8 KV-cache rows): s_x = max|x| / 127, written to
 * *scale; returns the multiplier 127 / max|x| (0 for a row of zeros) that
 * uk_int8_code takes. */
static inline float uk_int8_row_scale(const float *x, int64_t k, float *scale) {
  /* max |x| in 16 lanes, then across them: a maximum is the same in any order,
   * and a compare-and-select (a NaN is never larger, as fmaxf skips it)
   * vectorizes where the chain of fmaxf did not (it was a third of a 0.5B
   * model's W8A8 linears at M = 128). */
  const uk_i32x16 magnitude = (uk_i32x16){0} + 0x7fffffff;
  uk_f32x16 lanes = {0};
  int64_t p = 0;
  for (; p + 16 <= k; p += 16) {
    uk_i32x16 bits;
    uk_f32x16 v;
    memcpy(&bits, x + p, sizeof bits);
    bits &= magnitude;
    memcpy(&v, &bits, sizeof v);
    uk_i32x16 larger = v > lanes;
    uk_blend16(&lanes, &larger, &v);
  }
  float largest = 0.0f;
  for (int l = 0; l < 16; ++l)
    largest = fmaxf(largest, lanes[l]);
  for (; p < k; ++p)
    largest = fmaxf(largest, fabsf(x[p]));
  *scale = largest / 127.0f;
  return largest > 0.0f ? 127.0f / largest : 0.0f;
}

/* x_q = round-half-even(v * inverse) in [-127, 127]; NaN becomes -127 rather
 * than undefined behaviour. */
static inline int8_t uk_int8_code(float v, float inverse) {
  return (int8_t)fminf(fmaxf(nearbyintf(v * inverse), -127.0f), 127.0f);
}

#endif /* SLM_UK_INTERNAL_H */
