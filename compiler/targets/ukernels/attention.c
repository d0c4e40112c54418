/*===- attention.c - attention over the call's keys and a KV cache -*- C -*-===*
 *
 * Two ways, both with the softmax online over tiles of keys (a running max and
 * sum per query, the partial output rescaled when the max grows), so that the
 * stack holds a tile's scores whatever the number of keys:
 *
 * - per token (decode): a query against eight keys at a time,
 *   uk_attention_range;
 * - tiles of queries by tiles of keys (a prefill): two GEMMs per tile,
 *   uk_attention_tiled_range.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/uk_gemm.h"

/*===--- per token ------------------------------------------------------------===*/

/* Keys scored at once, and query heads of a group taken together (sharing
 * each key and value row). The softmax is online over tiles of keys: a running
 * max and sum per head, the partial output rescaled when the max grows; so the
 * stack holds UK_ATTN_HEADS x UK_ATTN_TILE scores whatever the number of keys.
 * Per head, the operations and their order do not depend on the grouping. */
#define UK_ATTN_TILE 128
#define UK_ATTN_HEADS 8

/* int8 KV caches: a row (position, head) is the f32 scale's 4 bytes, then
 * the head's codes (ModelContract.h); rows are decoded into stack buffers. */
#define UK_ATTN_SCALE_BYTES 4
#define UK_ATTN_MAX_DIM 1024

typedef struct {
  const float *q, *keys, *values; /* positions before `fresh_from`, at row position % rows */
  const uint8_t *keys8, *values8; /* the same, int8 caches (keys/values unused) */
  const float *fresh_keys, *fresh_values; /* positions fresh_from.., the call's own k and v */
  int64_t fresh_from, rows;
  float *out;
  int64_t tokens; /* queries per head */
  int64_t q_heads, kv_heads, head_dim, value_dim, group;
  int64_t heads_per_item, items_per_group;
  int64_t offset;  /* absolute position of query token 0 (causal) */
  int64_t visible; /* key rows there are */
  int64_t window;  /* > 0: keys older than the last `window` positions are not seen */
  float scale;
  float softcap; /* > 0: scores become softcap * tanh(score / softcap) */
  int32_t causal;
} uk_attention_args;

/* The key (or value) row of position j: the call's own rows, else the cache's
 * (a ring of `rows` rows: position j at row j mod rows). */
static inline const float *uk_attention_row(const uk_attention_args *a, const float *cache,
                                            const float *fresh, int64_t row, int64_t j) {
  return j >= a->fresh_from ? fresh + (j - a->fresh_from) * row : cache + (j % a->rows) * row;
}

/* The key (or value) row of position j as an int8 cache holds it, decoded
 * into buf: the call's own rows quantized and read back, so that every key
 * and value is the one a cache row stands for (the reference's semantics). */
static inline const float *uk_attention_row_int8(const uk_attention_args *a,
                                                 const uint8_t *cache, const float *fresh,
                                                 int64_t kv_head, int64_t dim, int64_t j,
                                                 float *restrict buf) {
  if (j >= a->fresh_from) {
    const float *x = fresh + ((j - a->fresh_from) * a->kv_heads + kv_head) * dim;
    float scale, inverse = uk_int8_row_scale(x, dim, &scale);
    for (int64_t d = 0; d < dim; ++d)
      buf[d] = (float)uk_int8_code(x[d], inverse) * scale;
  } else {
    const uint8_t *row =
        cache + ((j % a->rows) * a->kv_heads + kv_head) * (UK_ATTN_SCALE_BYTES + dim);
    float scale;
    memcpy(&scale, row, sizeof scale);
    const int8_t *codes = (const int8_t *)(row + UK_ATTN_SCALE_BYTES);
    for (int64_t d = 0; d < dim; ++d)
      buf[d] = (float)codes[d] * scale;
  }
  return buf;
}

/* A decode's attention reads each cache row once, a few hundred bytes every
 * kv_heads rows, a stride the hardware prefetchers did not follow soon
 * enough: the scoring of a key waited on its load. While position j is
 * scored, the key and value rows of position j + UK_ATTN_AHEAD are asked for
 * (the value rows are used after the tile's softmax). */
#define UK_ATTN_AHEAD 8

static inline void uk_attention_prefetch_row(const char *row, int64_t bytes) {
  for (int64_t at = 0; at < bytes; at += 64)
    __builtin_prefetch(row + at);
}

/* Prefetches the key and value rows of position j of kv_head, if the cache
 * holds it. */
static inline void uk_attention_prefetch(const uk_attention_args *a, int64_t kv_head, int64_t j) {
  if (j >= a->fresh_from)
    return;
  int64_t row = (j % a->rows) * a->kv_heads + kv_head;
  if (a->keys8) {
    int64_t key_bytes = UK_ATTN_SCALE_BYTES + a->head_dim;
    int64_t value_bytes = UK_ATTN_SCALE_BYTES + a->value_dim;
    uk_attention_prefetch_row((const char *)(a->keys8 + row * key_bytes), key_bytes);
    uk_attention_prefetch_row((const char *)(a->values8 + row * value_bytes), value_bytes);
  } else {
    uk_attention_prefetch_row((const char *)(a->keys + row * a->head_dim),
                              a->head_dim * (int64_t)sizeof(float));
    uk_attention_prefetch_row((const char *)(a->values + row * a->value_dim),
                              a->value_dim * (int64_t)sizeof(float));
  }
}

/* One key or value row (dim floats) into an int8 cache row. */
static void uk_attention_store_int8(uint8_t *row, const float *x, int64_t dim) {
  float scale, inverse = uk_int8_row_scale(x, dim, &scale);
  memcpy(row, &scale, sizeof scale);
  int8_t *codes = (int8_t *)(row + UK_ATTN_SCALE_BYTES);
  for (int64_t d = 0; d < dim; ++d)
    codes[d] = uk_int8_code(x[d], inverse);
}

/* y[d] += a[j] * rows[j][d] for j = 0..count-1 in turn (each a rounded
 * product and a rounded sum), with y held in registers 64 columns at a time
 * instead of loaded and stored once per row (a chain through memory per
 * value row). */
static inline void uk_axpy_rows(float *restrict y, const float *a, const float *const *rows,
                                int64_t count, int64_t n) {
  int64_t d = 0;
  for (; d + 4 * UK_LANES <= n; d += 4 * UK_LANES) {
    uk_f32x16 acc[4], v;
    for (int c = 0; c < 4; ++c)
      uk_load16(&acc[c], y + d + c * UK_LANES);
    for (int64_t j = 0; j < count; ++j)
      for (int c = 0; c < 4; ++c) {
        uk_load16(&v, rows[j] + d + c * UK_LANES);
        acc[c] += a[j] * v;
      }
    memcpy(y + d, acc, sizeof acc);
  }
  for (; d < n; ++d) {
    float acc = y[d];
    for (int64_t j = 0; j < count; ++j)
      acc += a[j] * rows[j][d];
    y[d] = acc;
  }
}

/* The key (VALUES 0) or value (1) row of position j of kv_head: the cache's
 * or the call's f32 row, or an int8 cache's decoded into buf. */
static inline const float *uk_attention_cached(const uk_attention_args *a, const int VALUES,
                                               int64_t kv_head, int64_t j, float *buf) {
  int64_t dim = VALUES ? a->value_dim : a->head_dim;
  const uint8_t *codes = VALUES ? a->values8 : a->keys8;
  const float *rows = VALUES ? a->values : a->keys;
  const float *fresh = VALUES ? a->fresh_values : a->fresh_keys;
  if (codes)
    return uk_attention_row_int8(a, codes, fresh, kv_head, dim, j, buf);
  return uk_attention_row(a, rows + kv_head * dim, fresh + kv_head * dim, a->kv_heads * dim, j);
}

/* Items are (token, kv head, run of heads_per_item query heads of its group). */
static void uk_attention_range(void *arg, int64_t begin, int64_t end) {
  const uk_attention_args *a = (const uk_attention_args *)arg;
  int64_t head_dim = a->head_dim, value_dim = a->value_dim;
  float scores[UK_ATTN_HEADS][UK_ATTN_TILE];
  float max[UK_ATTN_HEADS], sum[UK_ATTN_HEADS];
  float decoded[8][UK_ATTN_MAX_DIM]; /* an int8 cache's rows, eight at a time */
  /* Value rows are taken a tile at a time, or eight (the decoded buffers). */
  int64_t value_step = a->values8 ? 8 : UK_ATTN_TILE;
  for (int64_t item = begin; item < end; ++item) {
    int64_t run = item % a->items_per_group, rest = item / a->items_per_group;
    int64_t kv_head = rest % a->kv_heads, t = rest / a->kv_heads;
    int64_t h0 = kv_head * a->group + run * a->heads_per_item;
    int64_t heads = uk_min(a->heads_per_item, (kv_head + 1) * a->group - h0);
    int64_t seen = a->causal ? uk_min(a->visible, a->offset + t + 1) : a->visible;
    int64_t first = a->window > 0 ? uk_max(0, a->offset + t + 1 - a->window) : 0;
    const float *query = a->q + (t * a->q_heads + h0) * head_dim;
    float *out = a->out + (t * a->q_heads + h0) * value_dim;
    for (int64_t d = 0; d < heads * value_dim; ++d)
      out[d] = 0.0f;
    if (seen <= first)
      continue;
    for (int64_t h = 0; h < heads; ++h) {
      max[h] = -INFINITY;
      sum[h] = 0.0f;
    }
    for (int64_t j0 = first; j0 < seen; j0 += UK_ATTN_TILE) {
      int64_t count = uk_min(UK_ATTN_TILE, seen - j0);
      int64_t j = 0;
      for (; j + 8 <= count; j += 8) { /* eight keys at a time */
        const float *key[8];
        for (int r = 0; r < 8; ++r) {
          uk_attention_prefetch(a, kv_head, j0 + j + r + UK_ATTN_AHEAD);
          key[r] = uk_attention_cached(a, 0, kv_head, j0 + j + r, decoded[r]);
        }
        for (int64_t h = 0; h < heads; ++h) {
          float dots[8];
          uk_dot8(query + h * head_dim, key, head_dim, dots);
          for (int r = 0; r < 8; ++r)
            scores[h][j + r] = dots[r] * a->scale;
        }
      }
      for (; j < count; ++j) {
        uk_attention_prefetch(a, kv_head, j0 + j + UK_ATTN_AHEAD);
        const float *key = uk_attention_cached(a, 0, kv_head, j0 + j, decoded[0]);
        for (int64_t h = 0; h < heads; ++h)
          scores[h][j] = uk_dot(query + h * head_dim, key, head_dim) * a->scale;
      }
      if (a->softcap > 0.0f)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t j = 0; j < count; ++j)
            scores[h][j] = a->softcap * tanhf(scores[h][j] / a->softcap);
      for (int64_t h = 0; h < heads; ++h) {
        float *restrict s = scores[h];
        float tile_max = -INFINITY;
        for (int64_t j = 0; j < count; ++j)
          tile_max = tile_max < s[j] ? s[j] : tile_max;
        float new_max = max[h] < tile_max ? tile_max : max[h];
        if (new_max != max[h]) {
          if (j0 > first) { /* rescale what the earlier tiles added */
            float c = expf(max[h] - new_max); /* once per tile: libm's */
            sum[h] *= c;
            float *restrict dst = out + h * value_dim;
            for (int64_t d = 0; d < value_dim; ++d)
              dst[d] *= c;
          }
          max[h] = new_max;
        }
        for (int64_t j = 0; j < count; ++j)
          s[j] -= max[h];
        uk_exp_n(s, count);
        sum[h] += uk_sum(s, count);
      }
      for (int64_t j = 0; j < count; j += value_step) {
        int64_t rows = uk_min(value_step, count - j);
        const float *value[UK_ATTN_TILE];
        for (int64_t r = 0; r < rows; ++r) {
          /* f32 rows take no buffer (r runs past the eight buffers here) */
          float *buf = a->values8 ? decoded[r] : NULL;
          value[r] = uk_attention_cached(a, 1, kv_head, j0 + j + r, buf);
        }
        for (int64_t h = 0; h < heads; ++h)
          uk_axpy_rows(out + h * value_dim, scores[h] + j, value, rows, value_dim);
      }
    }
    for (int64_t h = 0; h < heads; ++h) {
      float *restrict dst = out + h * value_dim;
      for (int64_t d = 0; d < value_dim; ++d)
        dst[d] = dst[d] / sum[h];
    }
  }
}

/*===--- prefill: tiles of queries by tiles of keys --------------------------===*/

/* A prefill's queries are many, and each key and value row is wanted by all
 * of a group's heads at every later token: scoring them as above, one query
 * against eight keys, reads every row once per token and head and takes
 * uk_dot8's lane folds, about a fifth of a W8A8 prefill of a 0.5B model. Here
 * an item is UK_ATTN_QUERIES queries (tokens x heads of one kv head's group),
 * held transposed as two GEMM panels, and the keys come UK_ATTN_KEYS at a
 * time: their scores are a register-tiled GEMM (rows: keys, columns: the
 * queries; each score one fused multiply-add per dimension, in order), the
 * softmax runs down the columns (a lane per query), and the output is a
 * second GEMM of the probabilities by the value rows, which are read in
 * place. Each key and value row is read once per item. The floats differ
 * from the decode path's (other sums, in another order), within the
 * reference's tolerance like every f32 GEMM against a dot product. */
#define UK_ATTN_QUERIES (2 * UK_NR)
#define UK_ATTN_KEYS 16
#define UK_ATTN_TILED_MAX_DIM 256

/* The `count` key (VALUES 0) or value rows of kv_head from position j0 as one
 * strided block: where they lie (stride *ld), or copied into buf (row stride
 * *ld = dim rounded up to 16, zero-padded) when they straddle the call's rows
 * and the cache's, wrap the cache's ring, or a value row's width is not whole
 * panels; an int8 cache's rows decoded into buf. */
static const float *uk_attn_rows(const uk_attention_args *a, const int VALUES, int64_t kv_head,
                                 int64_t j0, int64_t count, float *buf, int64_t *ld) {
  int64_t dim = VALUES ? a->value_dim : a->head_dim, stride = a->kv_heads * dim;
  int64_t padded = (dim + UK_NR - 1) / UK_NR * UK_NR;
  int in_place = !(VALUES ? a->values8 : a->keys8) && (!VALUES || dim % UK_NR == 0);
  if (in_place && j0 >= a->fresh_from) {
    *ld = stride;
    return (VALUES ? a->fresh_values : a->fresh_keys) + (j0 - a->fresh_from) * stride +
           kv_head * dim;
  }
  if (in_place && j0 + count <= a->fresh_from && j0 % a->rows + count <= a->rows) {
    *ld = stride;
    return (VALUES ? a->values : a->keys) + (j0 % a->rows) * stride + kv_head * dim;
  }
  for (int64_t r = 0; r < count; ++r) {
    float *dst = buf + r * padded;
    const float *row = uk_attention_cached(a, VALUES, kv_head, j0 + r, dst);
    if (row != dst)
      memcpy(dst, row, sizeof(float) * (size_t)dim);
    for (int64_t d = dim; d < padded; ++d)
      dst[d] = 0.0f;
  }
  *ld = padded;
  return buf;
}

/* Whether query c sees key j. */
static inline int uk_attn_sees(const int64_t *first, const int64_t *seen, int64_t c, int64_t j) {
  return j >= first[c] && j < seen[c];
}

/* Whether `count` rows of `dim` floats (ld apart) are all finite. */
static inline int uk_attn_finite(const float *rows, int64_t ld, int64_t count, int64_t dim) {
  uk_f32x16 acc = {0}, v;
  for (int64_t r = 0; r < count; ++r) {
    int64_t d = 0;
    for (; d + UK_LANES <= dim; d += UK_LANES) {
      uk_load16(&v, rows + r * ld + d);
      acc += v * 0.0f; /* NaN where v is an infinity or a NaN */
    }
    if (d < dim) {
      uk_tail16(&v, rows + r * ld + d, dim - d, 0.0f);
      acc += v * 0.0f;
    }
  }
  return uk_fold_sum(&acc) == 0.0f;
}

/* Items are (block of tokens, kv head, run of heads of its group): query c
 * of an item is head h0 + c % heads of token t0 + c / heads. */
static void uk_attention_tiled_range(void *arg, int64_t begin, int64_t end) {
  const uk_attention_args *a = (const uk_attention_args *)arg;
  const int64_t head_dim = a->head_dim, value_dim = a->value_dim, Q = UK_ATTN_QUERIES;
  const int64_t padded = (value_dim + UK_NR - 1) / UK_NR * UK_NR;
  float panels[2][UK_ATTN_TILED_MAX_DIM * UK_NR]; /* the queries, transposed */
  float out[UK_ATTN_QUERIES * UK_ATTN_TILED_MAX_DIM]; /* first the queries' rows */
  float rows_buf[UK_ATTN_KEYS * UK_ATTN_TILED_MAX_DIM];
  float scores[UK_ATTN_KEYS][UK_ATTN_QUERIES]; /* keys by queries */
  float probs[UK_ATTN_QUERIES][UK_ATTN_KEYS];  /* queries by keys */
  float max[UK_ATTN_QUERIES], sum[UK_ATTN_QUERIES];
  int64_t first[UK_ATTN_QUERIES], seen[UK_ATTN_QUERIES];
  float *dst[UK_ATTN_QUERIES]; /* each query's output row, or null */
  int64_t heads = a->heads_per_item, tokens_per_item = Q / heads;
  int64_t runs = a->items_per_group, per_block = a->kv_heads * runs;
  for (int64_t item = begin; item < end; ++item) {
    int64_t run = item % runs, kv_head = (item / runs) % a->kv_heads;
    int64_t t0 = item / per_block * tokens_per_item;
    int64_t h0 = kv_head * a->group + run * heads;
    int64_t item_heads = uk_min(heads, (kv_head + 1) * a->group - h0);
    int64_t lo = INT64_MAX, hi = 0, queries = 0;
    float *query_rows = out;
    for (int64_t c = 0; c < Q; ++c) {
      int64_t t = t0 + c / heads, h = c % heads;
      first[c] = seen[c] = 0; /* no keys: a query past the call, the block or the group */
      max[c] = -INFINITY;
      sum[c] = 0.0f;
      float *row = query_rows + c * head_dim;
      dst[c] = NULL;
      if (c >= tokens_per_item * heads || t >= a->tokens || h >= item_heads) {
        for (int64_t d = 0; d < head_dim; ++d)
          row[d] = 0.0f;
        continue;
      }
      dst[c] = a->out + (t * a->q_heads + h0 + h) * value_dim;
      memcpy(row, a->q + (t * a->q_heads + h0 + h) * head_dim, sizeof(float) * (size_t)head_dim);
      seen[c] = a->causal ? uk_min(a->visible, a->offset + t + 1) : a->visible;
      first[c] = a->window > 0 ? uk_max(0, a->offset + t + 1 - a->window) : 0;
      if (seen[c] > first[c]) {
        lo = uk_min(lo, first[c]);
        hi = uk_max(hi, seen[c]);
        queries = c + 1;
      }
    }
    uk_panel_from_rows(query_rows, head_dim, UK_NR, head_dim, panels[0]);
    uk_panel_from_rows(query_rows + UK_NR * head_dim, head_dim, UK_NR, head_dim, panels[1]);
    for (int64_t e = 0; e < Q * padded; ++e)
      out[e] = 0.0f;
    for (int64_t j0 = lo; j0 < hi; j0 += UK_ATTN_KEYS) {
      int64_t count = uk_min(UK_ATTN_KEYS, hi - j0), ldk, ldv;
      const float *keys = uk_attn_rows(a, 0, kv_head, j0, count, rows_buf, &ldk);
      int full = 1; /* every query that has keys sees all of these */
      for (int64_t c = 0; c < queries; ++c)
        if (seen[c] > first[c] && (j0 < first[c] || j0 + count > seen[c]))
          full = 0;
      uk_block32_rows(keys, ldk, panels[0], panels[1], UK_NR, head_dim, &scores[0][0], Q, 0, count,
                      0);
      /* Scaled, capped, and -inf where a query does not see the key. */
      for (int64_t r = 0; r < count; ++r)
        for (int64_t c = 0; c < Q; ++c) {
          float s = scores[r][c] * a->scale;
          if (a->softcap > 0.0f)
            s = a->softcap * tanhf(s / a->softcap);
          scores[r][c] = full || uk_attn_sees(first, seen, c, j0 + r) ? s : -INFINITY;
        }
      /* The online softmax, a lane per query. */
      for (int64_t c = 0; c < queries; ++c) {
        float tile_max = -INFINITY;
        for (int64_t r = 0; r < count; ++r)
          tile_max = tile_max < scores[r][c] ? scores[r][c] : tile_max;
        if (!(max[c] < tile_max))
          continue;
        if (max[c] > -INFINITY) { /* rescale what the earlier tiles added */
          float shrink = expf(max[c] - tile_max); /* once per tile: libm's */
          sum[c] *= shrink;
          for (int64_t d = 0; d < padded; ++d)
            out[c * padded + d] *= shrink;
        }
        max[c] = tile_max;
      }
      /* exp(-inf) is 0: unseen keys weigh nothing. A seen score less the max as
       * the per-token kernel takes it, a NaN when all the query's scores so far
       * are NaN (-inf as the max) included. */
      for (int64_t r = 0; r < count; ++r)
        for (int64_t c = 0; c < Q; ++c)
          scores[r][c] =
              full || uk_attn_sees(first, seen, c, j0 + r) ? scores[r][c] - max[c] : -INFINITY;
      uk_exp_n(&scores[0][0], count * Q);
      for (int64_t r = 0; r < count; ++r)
        for (int64_t c = 0; c < Q; ++c)
          sum[c] += scores[r][c];
      for (int64_t h = 0; h < 2; ++h) { /* probs = scores^T, 16 x 16 at a time */
        uk_f32x16 v[16];
        for (int64_t r = 0; r < 16; ++r) {
          v[r] = (uk_f32x16){0};
          if (r < count)
            memcpy(&v[r], &scores[r][16 * h], sizeof v[r]);
        }
        uk_transpose16(v);
        for (int64_t c = 0; c < 16; ++c)
          memcpy(probs[16 * h + c], &v[c], sizeof v[c]);
      }
      const float *values = uk_attn_rows(a, 1, kv_head, j0, count, rows_buf, &ldv);
      if (!full && !uk_attn_finite(values, ldv, count, value_dim)) {
        /* 0 x inf is NaN: a value row that only some queries see must not
         * reach the others. The GEMM's fused multiply-adds in its order. */
        for (int64_t c = 0; c < queries; ++c)
          for (int64_t r = 0; r < count; ++r)
            if (uk_attn_sees(first, seen, c, j0 + r))
              for (int64_t d = 0; d < value_dim; ++d)
                out[c * padded + d] =
                    __builtin_fmaf(probs[c][r], values[r * ldv + d], out[c * padded + d]);
        continue;
      }
      int64_t d = 0;
      for (; d + 2 * UK_NR <= padded; d += 2 * UK_NR)
        uk_block32_rows(&probs[0][0], UK_ATTN_KEYS, values + d, values + d + UK_NR, ldv, count,
                        out + d, padded, 0, queries, 1);
      if (d < padded)
        uk_panel_rows(&probs[0][0], UK_ATTN_KEYS, values + d, ldv, count, out + d, padded, 0,
                      queries, UK_NR, 1);
    }
    for (int64_t c = 0; c < Q; ++c)
      if (dst[c])
        for (int64_t d = 0; d < value_dim; ++d)
          dst[c][d] = seen[c] > first[c] ? out[c * padded + d] / sum[c] : 0.0f;
  }
}

/* Either f32 caches (k_cache, v_cache) or int8 ones (k_cache8, v_cache8). */
static void uk_attention(const slm_uk_ctx *ctx, const float *q, const float *k, const float *v,
                         float *k_cache, float *v_cache, uint8_t *k_cache8, uint8_t *v_cache8,
                         float *out, int64_t tokens, int64_t q_heads, int64_t kv_heads,
                         int64_t head_dim, int64_t value_dim, int64_t kv_rows,
                         int64_t cache_rows, int64_t position, float scale, int32_t causal,
                         int64_t window, float softcap) {
  if (tokens <= 0 || q_heads <= 0 || kv_heads <= 0)
    return;
  uk_attention_args a;
  a.keys8 = k_cache8;
  a.values8 = v_cache8;
  a.q = q;
  a.out = out;
  a.q_heads = q_heads;
  a.kv_heads = kv_heads;
  a.head_dim = head_dim;
  a.value_dim = value_dim;
  a.group = q_heads / kv_heads;
  a.scale = scale;
  a.causal = causal;
  a.window = causal ? window : 0;
  a.softcap = softcap;
  /* The call's keys and values are read where they are; the cache's rows
   * hold the positions before (a windowed layer's cache may be a ring of
   * fewer rows than positions: it still holds the window before `position`). */
  a.fresh_keys = k;
  a.fresh_values = v;
  int cached = (k_cache && v_cache) || (k_cache8 && v_cache8);
  if (cached) {
    a.keys = k_cache;
    a.values = v_cache;
    a.rows = cache_rows > 0 ? cache_rows : position + tokens;
    a.fresh_from = position;
    a.offset = position;
    a.visible = position + tokens;
  } else {
    a.keys = k;
    a.values = v;
    a.rows = kv_rows > 0 ? kv_rows : 1;
    a.fresh_from = 0;
    a.offset = kv_rows - tokens;
    a.visible = kv_rows;
  }
  a.tokens = tokens;
  int64_t keys_seen = a.causal ? uk_min(a.visible, a.offset + tokens) : a.visible;
  if (tokens >= UK_DOT_MAX_M && head_dim <= UK_ATTN_TILED_MAX_DIM &&
      value_dim <= UK_ATTN_TILED_MAX_DIM) { /* a prefill: tiles of queries */
    a.heads_per_item = uk_min(a.group, UK_ATTN_QUERIES);
    a.items_per_group = (a.group + a.heads_per_item - 1) / a.heads_per_item;
    int64_t tokens_per_item = UK_ATTN_QUERIES / a.heads_per_item;
    int64_t blocks = (tokens + tokens_per_item - 1) / tokens_per_item;
    int64_t cost = keys_seen * (head_dim + value_dim) * UK_ATTN_QUERIES;
    uk_parallel(ctx, blocks * kv_heads * a.items_per_group, uk_grain(cost),
                uk_attention_tiled_range, &a);
  } else {
  /* Up to UK_ATTN_HEADS heads of a group per item, fewer when that would
   * leave fewer than 16 items (decode), so that threads have work. */
  int64_t heads = uk_min(UK_ATTN_HEADS, a.group);
  while (heads > 1 && tokens * kv_heads * ((a.group + heads - 1) / heads) < 16)
    heads = (heads + 1) / 2;
  a.heads_per_item = heads;
  a.items_per_group = (a.group + heads - 1) / heads;
  int64_t cost = keys_seen * (head_dim + value_dim) * heads;
  uk_parallel(ctx, tokens * kv_heads * a.items_per_group, uk_grain(cost), uk_attention_range, &a);
  }
  if (cached) {
    /* Then the new rows go into the cache (memmove: k may already be the
     * cache's rows); of more than a ring holds, the last ones. */
    int64_t first = tokens > a.rows ? tokens - a.rows : 0;
    for (int64_t t = first; t < tokens; ++t) {
      int64_t row = (position + t) % a.rows;
      if (k_cache8) {
        for (int64_t h = 0; h < kv_heads; ++h) {
          uk_attention_store_int8(k_cache8 + (row * kv_heads + h) * (UK_ATTN_SCALE_BYTES + head_dim),
                                  k + (t * kv_heads + h) * head_dim, head_dim);
          uk_attention_store_int8(
              v_cache8 + (row * kv_heads + h) * (UK_ATTN_SCALE_BYTES + value_dim),
              v + (t * kv_heads + h) * value_dim, value_dim);
        }
        continue;
      }
      memmove(k_cache + row * kv_heads * head_dim, k + t * kv_heads * head_dim,
              sizeof(float) * (size_t)(kv_heads * head_dim));
      memmove(v_cache + row * kv_heads * value_dim, v + t * kv_heads * value_dim,
              sizeof(float) * (size_t)(kv_heads * value_dim));
    }
  }
}

void slm_uk_attention(const slm_uk_ctx *ctx, const float *q, const float *k, const float *v,
                      float *k_cache, float *v_cache, float *out, int64_t tokens,
                      int64_t q_heads, int64_t kv_heads, int64_t head_dim, int64_t value_dim,
                      int64_t kv_rows, int64_t cache_rows, int64_t position, float scale,
                      int32_t causal, int64_t window, float softcap) {
  uk_attention(ctx, q, k, v, k_cache, v_cache, NULL, NULL, out, tokens, q_heads, kv_heads,
               head_dim, value_dim, kv_rows, cache_rows, position, scale, causal, window, softcap);
}

void slm_uk_attention_int8(const slm_uk_ctx *ctx, const float *q, const float *k, const float *v,
                           uint8_t *k_cache, uint8_t *v_cache, float *out, int64_t tokens,
                           int64_t q_heads, int64_t kv_heads, int64_t head_dim, int64_t value_dim,
                           int64_t cache_rows, int64_t position, float scale, int32_t causal,
                           int64_t window, float softcap) {
  if (head_dim > UK_ATTN_MAX_DIM || value_dim > UK_ATTN_MAX_DIM)
    return; /* the lowering refuses such heads (LowerTransformerOps.cpp) */
  uk_attention(ctx, q, k, v, NULL, NULL, k_cache, v_cache, out, tokens, q_heads, kv_heads,
               head_dim, value_dim, 0, cache_rows, position, scale, causal, window, softcap);
}
