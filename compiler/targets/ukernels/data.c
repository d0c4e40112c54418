/*===- data.c - copy and gather micro-kernels ----------------------*- C -*-===*/
#include "compiler/targets/ukernels/uk_internal.h"

/*===--- copy ----------------------------------------------------------------===*/

typedef struct {
  uk_walk walk;
  int64_t elem_bytes;
  const char *x; /* at in_offset */
  char *y;
} uk_copy_args;

#define UK_STRIDED_COPY(T)                                                                         \
  do {                                                                                             \
    const T *restrict xt = (const T *)x;                                                           \
    T *restrict yt = (T *)y;                                                                       \
    for (int64_t i = 0; i < len; ++i)                                                              \
      yt[i] = xt[i * s];                                                                           \
  } while (0)

static void uk_copy_row(void *arg, const int64_t *off, const int64_t *inner, int64_t e,
                        int64_t len) {
  const uk_copy_args *a = (const uk_copy_args *)arg;
  int64_t eb = a->elem_bytes, s = inner[0];
  const char *x = a->x + off[0] * eb;
  char *y = a->y + e * eb;
  if (s == 1 || len == 1) {
    memcpy(y, x, (size_t)(len * eb));
    return;
  }
  switch (eb) {
  case 1:
    UK_STRIDED_COPY(uint8_t);
    break;
  case 2:
    UK_STRIDED_COPY(uint16_t);
    break;
  case 4:
    UK_STRIDED_COPY(uint32_t);
    break;
  case 8:
    UK_STRIDED_COPY(uint64_t);
    break;
  default:
    for (int64_t i = 0; i < len; ++i)
      memcpy(y + i * eb, x + i * s * eb, (size_t)eb);
    break;
  }
}

static void uk_copy_range(void *arg, int64_t begin, int64_t end) {
  uk_copy_args *a = (uk_copy_args *)arg;
  uk_walk_range(&a->walk, begin, end, uk_copy_row, a);
}

void slm_uk_copy(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *x, void *y, int32_t rank,
                 const int64_t *shape, const int64_t *in_strides, int64_t in_offset) {
  if (elem_bytes <= 0)
    return;
  uk_copy_args a;
  const int64_t *strides[1] = {in_strides};
  uk_walk_init(&a.walk, rank, shape, 1, strides);
  a.elem_bytes = elem_bytes;
  a.x = (const char *)x + in_offset * elem_bytes;
  a.y = (char *)y;
  uk_parallel(ctx, a.walk.total, uk_grain(elem_bytes / 4 + 1), uk_copy_range, &a);
}

/*===--- split and concat ----------------------------------------------------===*/

typedef struct {
  int64_t elem_bytes;
  char *whole;
  int64_t extent, inner;
  int32_t n_pieces, join;
  const int64_t *sizes;
  void *const *pieces;
} uk_pieces_args;

/* Items are (outer, piece) pairs: item = o * n_pieces + p; a piece's run is
 * copied out of the whole (split) or into it (concat). */
static void uk_pieces_range(void *arg, int64_t begin, int64_t end) {
  const uk_pieces_args *a = (const uk_pieces_args *)arg;
  int64_t row = a->inner * a->elem_bytes;
  for (int64_t item = begin; item < end; ++item) {
    int64_t o = item / a->n_pieces, p = item % a->n_pieces, start = 0;
    for (int64_t q = 0; q < p; ++q)
      start += a->sizes[q];
    int64_t bytes = a->sizes[p] * row;
    char *piece = (char *)a->pieces[p] + o * bytes;
    char *run = a->whole + (o * a->extent + start) * row;
    if (a->join)
      memcpy(run, piece, (size_t)bytes);
    else
      memcpy(piece, run, (size_t)bytes);
  }
}

static void uk_pieces(const slm_uk_ctx *ctx, int32_t elem_bytes, char *whole, int64_t outer,
                      int64_t extent, int64_t inner, int32_t n_pieces, const int64_t *sizes,
                      void *const *pieces, int32_t join) {
  if (outer <= 0 || inner <= 0 || n_pieces <= 0 || elem_bytes <= 0)
    return;
  uk_pieces_args a = {elem_bytes, whole, extent, inner, n_pieces, join, sizes, pieces};
  uk_parallel(ctx, outer * n_pieces, uk_grain(extent * inner * elem_bytes / (4 * n_pieces) + 1),
              uk_pieces_range, &a);
}

void slm_uk_split(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *x, int64_t outer,
                  int64_t extent, int64_t inner, int32_t n_pieces, const int64_t *sizes,
                  void *const *pieces) {
  uk_pieces(ctx, elem_bytes, (char *)x, outer, extent, inner, n_pieces, sizes, pieces, 0);
}

void slm_uk_concat(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *const *pieces,
                   int64_t outer, int64_t extent, int64_t inner, int32_t n_pieces,
                   const int64_t *sizes, void *y) {
  uk_pieces(ctx, elem_bytes, (char *)y, outer, extent, inner, n_pieces, sizes,
            (void *const *)pieces, 1);
}

/*===--- gather --------------------------------------------------------------===*/

typedef struct {
  int64_t elem_bytes;
  const char *x;
  const void *idx;
  int32_t idx_dtype;
  char *y;
  int64_t extent, inner, n_idx;
} uk_gather_args;

/* Items are (outer, index) pairs: item = o * n_idx + i. An index outside
 * [-extent, extent) (an error in the reference) yields zeros. */
static void uk_gather_range(void *arg, int64_t begin, int64_t end) {
  const uk_gather_args *a = (const uk_gather_args *)arg;
  size_t row = (size_t)(a->inner * a->elem_bytes);
  for (int64_t item = begin; item < end; ++item) {
    int64_t o = item / a->n_idx, i = item % a->n_idx;
    int64_t k = a->idx_dtype == SLM_UK_I32 ? (int64_t)((const int32_t *)a->idx)[i]
                                           : ((const int64_t *)a->idx)[i];
    char *dst = a->y + item * (int64_t)row;
    if (k < -a->extent || k >= a->extent) {
      memset(dst, 0, row);
      continue;
    }
    if (k < 0)
      k += a->extent;
    memcpy(dst, a->x + (o * a->extent + k) * (int64_t)row, row);
  }
}

/* Single 4-byte elements along the last axis (logits put back in the
 * vocabulary's order): items are (outer, block of indices), copied by a plain
 * load and store each instead of a memcpy per element. */
enum { UK_GATHER_BLOCK = 1024 };

static void uk_gather_words_range(void *arg, int64_t begin, int64_t end) {
  const uk_gather_args *a = (const uk_gather_args *)arg;
  int64_t blocks = (a->n_idx + UK_GATHER_BLOCK - 1) / UK_GATHER_BLOCK;
  for (int64_t item = begin; item < end; ++item) {
    int64_t o = item / blocks, first = item % blocks * UK_GATHER_BLOCK;
    int64_t last = first + UK_GATHER_BLOCK < a->n_idx ? first + UK_GATHER_BLOCK : a->n_idx;
    const uint32_t *src = (const uint32_t *)a->x + o * a->extent;
    uint32_t *dst = (uint32_t *)a->y + o * a->n_idx;
    for (int64_t i = first; i < last; ++i) {
      int64_t k = a->idx_dtype == SLM_UK_I32 ? (int64_t)((const int32_t *)a->idx)[i]
                                             : ((const int64_t *)a->idx)[i];
      if (k < 0)
        k += a->extent;
      dst[i] = k >= 0 && k < a->extent ? src[k] : 0u;
    }
  }
}

void slm_uk_gather(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *x, const void *idx,
                   int32_t idx_dtype, void *y, int64_t outer, int64_t extent, int64_t inner,
                   int64_t n_idx) {
  if (outer <= 0 || n_idx <= 0 || inner <= 0 || elem_bytes <= 0)
    return;
  uk_gather_args a = {elem_bytes, (const char *)x, idx, idx_dtype, (char *)y, extent, inner, n_idx};
  if (inner == 1 && elem_bytes == 4) {
    int64_t blocks = (n_idx + UK_GATHER_BLOCK - 1) / UK_GATHER_BLOCK;
    uk_parallel(ctx, outer * blocks, uk_grain(UK_GATHER_BLOCK), uk_gather_words_range, &a);
    return;
  }
  uk_parallel(ctx, outer * n_idx, uk_grain(inner * elem_bytes / 4 + 1), uk_gather_range, &a);
}
