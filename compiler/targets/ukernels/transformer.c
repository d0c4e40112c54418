/*===- transformer.c - embedding, norms and rotary embedding ------*- C -*-===*/
#include "compiler/targets/ukernels/uk_internal.h"

/*===--- embedding ----------------------------------------------------------===*/

typedef struct {
  const float *table;
  const int64_t *ids;
  float *out;
  int64_t width;
} uk_embedding_args;

/* A negative id (an error in the reference) gives zeros rather than reading
 * before the table; the kernel does not know the vocabulary size. */
static void uk_embedding_range(void *arg, int64_t begin, int64_t end) {
  const uk_embedding_args *a = (const uk_embedding_args *)arg;
  size_t bytes = sizeof(float) * (size_t)a->width;
  for (int64_t i = begin; i < end; ++i) {
    int64_t id = a->ids[i];
    float *dst = a->out + i * a->width;
    if (id >= 0)
      memcpy(dst, a->table + id * a->width, bytes);
    else
      memset(dst, 0, bytes);
  }
}

void slm_uk_embedding(const slm_uk_ctx *ctx, const float *table, const int64_t *ids, float *out,
                      int64_t n, int64_t width) {
  if (width <= 0)
    return;
  uk_embedding_args a = {table, ids, out, width};
  uk_parallel(ctx, n, uk_grain(width), uk_embedding_range, &a);
}

/* The same from a table stored as panels (slm_uk_linear_panels' layout): row
 * id is lane id % 16 of stripe id / 16, one float every 16. */
static void uk_embedding_panels_range(void *arg, int64_t begin, int64_t end) {
  const uk_embedding_args *a = (const uk_embedding_args *)arg;
  const int64_t lanes = SLM_UK_PANEL_COLUMNS;
  for (int64_t i = begin; i < end; ++i) {
    int64_t id = a->ids[i];
    float *dst = a->out + i * a->width;
    if (id < 0) {
      memset(dst, 0, sizeof(float) * (size_t)a->width);
      continue;
    }
    const float *stripe = a->table + id / lanes * lanes * a->width + id % lanes;
    for (int64_t p = 0; p < a->width; ++p)
      dst[p] = stripe[p * lanes];
  }
}

void slm_uk_embedding_panels(const slm_uk_ctx *ctx, const float *table, const int64_t *ids,
                             float *out, int64_t n, int64_t width) {
  if (width <= 0)
    return;
  uk_embedding_args a = {table, ids, out, width};
  uk_parallel(ctx, n, uk_grain(width), uk_embedding_panels_range, &a);
}

/*===--- rms_norm and layer_norm --------------------------------------------===*/

typedef struct {
  const float *x, *w, *bias;
  float *y;
  int64_t n;
  float eps;
} uk_norm_args;

static void uk_rms_norm_range(void *arg, int64_t begin, int64_t end) {
  const uk_norm_args *a = (const uk_norm_args *)arg;
  int64_t n = a->n;
  const float *restrict w = a->w;
  for (int64_t row = begin; row < end; ++row) {
    const float *restrict x = a->x + row * n;
    float *restrict y = a->y + row * n;
    float ss = uk_sum_squares(x, n);
    float scale = 1.0f / sqrtf(ss / (float)n + a->eps);
    for (int64_t j = 0; j < n; ++j)
      y[j] = w[j] * (scale * x[j]);
  }
}

void slm_uk_rms_norm(const slm_uk_ctx *ctx, const float *x, const float *w, float *y, int64_t rows,
                     int64_t n, float eps) {
  if (n <= 0)
    return;
  uk_norm_args a = {x, w, NULL, y, n, eps};
  uk_parallel(ctx, rows, uk_grain(4 * n), uk_rms_norm_range, &a);
}

typedef struct {
  const float *x, *residual, *w;
  float *sum, *y;
  int64_t n;
  float eps;
} uk_add_norm_args;

static void uk_add_rms_norm_range(void *arg, int64_t begin, int64_t end) {
  const uk_add_norm_args *a = (const uk_add_norm_args *)arg;
  int64_t n = a->n;
  const float *restrict w = a->w;
  for (int64_t row = begin; row < end; ++row) {
    const float *restrict x = a->x + row * n;
    const float *restrict r = a->residual + row * n;
    float *restrict s = a->sum + row * n;
    float *restrict y = a->y + row * n;
    for (int64_t j = 0; j < n; ++j)
      s[j] = x[j] + r[j];
    float ss = uk_sum_squares(s, n);
    float scale = 1.0f / sqrtf(ss / (float)n + a->eps);
    for (int64_t j = 0; j < n; ++j)
      y[j] = w[j] * (scale * s[j]);
  }
}

void slm_uk_add_rms_norm(const slm_uk_ctx *ctx, const float *x, const float *residual,
                         const float *w, float *sum, float *y, int64_t rows, int64_t n,
                         float eps) {
  if (n <= 0)
    return;
  uk_add_norm_args a = {x, residual, w, sum, y, n, eps};
  uk_parallel(ctx, rows, uk_grain(5 * n), uk_add_rms_norm_range, &a);
}

static void uk_layer_norm_range(void *arg, int64_t begin, int64_t end) {
  const uk_norm_args *a = (const uk_norm_args *)arg;
  int64_t n = a->n;
  const float *restrict scale = a->w;
  const float *restrict bias = a->bias;
  for (int64_t row = begin; row < end; ++row) {
    const float *restrict x = a->x + row * n;
    float *restrict y = a->y + row * n;
    float mean = uk_sum(x, n) / (float)n;
    float var = uk_sum_sq_dev(x, mean, n);
    float inv = 1.0f / sqrtf(var / (float)n + a->eps);
    /* The reference adds a zero bias when there is none (which turns -0 to +0). */
    if (bias)
      for (int64_t j = 0; j < n; ++j)
        y[j] = (x[j] - mean) * inv * scale[j] + bias[j];
    else
      for (int64_t j = 0; j < n; ++j)
        y[j] = (x[j] - mean) * inv * scale[j] + 0.0f;
  }
}

void slm_uk_layer_norm(const slm_uk_ctx *ctx, const float *x, const float *scale,
                       const float *bias, float *y, int64_t rows, int64_t n, float eps) {
  if (n <= 0)
    return;
  uk_norm_args a = {x, scale, bias, y, n, eps};
  uk_parallel(ctx, rows, uk_grain(6 * n), uk_layer_norm_range, &a);
}

/*===--- rotary --------------------------------------------------------------===*/

/* Pairs whose angles are computed at once (on the stack). */
#define UK_ROTARY_CHUNK 64

typedef struct {
  const float *x;
  float *y;
  int64_t heads, head_dim, rotary_dim, position;
  float theta;
  const float *frequencies; /* NULL: from theta */
  float scale;
  int32_t interleaved;
} uk_rotary_args;

static inline void uk_rotate_half(float *restrict a, float *restrict b, const float *restrict c,
                                  const float *restrict s, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    float a0 = a[i], b0 = b[i];
    a[i] = a0 * c[i] - b0 * s[i];
    b[i] = a0 * s[i] + b0 * c[i];
  }
}

static inline void uk_rotate_pairs(float *restrict v, const float *restrict c,
                                   const float *restrict s, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    float a0 = v[2 * i], b0 = v[2 * i + 1];
    v[2 * i] = a0 * c[i] - b0 * s[i];
    v[2 * i + 1] = a0 * s[i] + b0 * c[i];
  }
}

/* Items are tokens (each computes its own angles). */
static void uk_rotary_range(void *arg, int64_t begin, int64_t end) {
  const uk_rotary_args *a = (const uk_rotary_args *)arg;
  int64_t heads = a->heads, head_dim = a->head_dim, half = a->rotary_dim / 2;
  int64_t row = heads * head_dim;
  for (int64_t t = begin; t < end; ++t) {
    float *y = a->y + t * row;
    if (a->x != a->y)
      memcpy(y, a->x + t * row, sizeof(float) * (size_t)row);
    /* Angles in f32, as llama2.c and Hugging Face compute them. */
    float pos = (float)(a->position + t);
    for (int64_t i0 = 0; i0 < half; i0 += UK_ROTARY_CHUNK) {
      int64_t count = uk_min(UK_ROTARY_CHUNK, half - i0);
      float c[UK_ROTARY_CHUNK], s[UK_ROTARY_CHUNK];
      for (int64_t i = 0; i < count; ++i) {
        float freq = a->frequencies
                         ? a->frequencies[i0 + i]
                         : 1.0f / powf(a->theta, (float)(2 * (i0 + i)) / (float)a->rotary_dim);
        c[i] = cosf(pos * freq);
        s[i] = sinf(pos * freq);
        if (a->scale != 1.0f) { /* as Hugging Face scales its cos and sin tables */
          c[i] *= a->scale;
          s[i] *= a->scale;
        }
      }
      for (int64_t h = 0; h < heads; ++h) {
        float *v = y + h * head_dim;
        if (a->interleaved)
          uk_rotate_pairs(v + 2 * i0, c, s, count);
        else
          uk_rotate_half(v + i0, v + half + i0, c, s, count);
      }
    }
  }
}

void slm_uk_rotary(const slm_uk_ctx *ctx, const float *x, float *y, int64_t tokens, int64_t heads,
                   int64_t head_dim, int64_t rotary_dim, int64_t position, float theta,
                   const float *frequencies, float scale, int32_t interleaved) {
  if (rotary_dim > head_dim)
    rotary_dim = head_dim;
  uk_rotary_args a = {x, y, heads, head_dim, rotary_dim, position, theta, frequencies, scale,
                      interleaved};
  uk_parallel(ctx, tokens, uk_grain(heads * head_dim + 8 * rotary_dim), uk_rotary_range, &a);
}

