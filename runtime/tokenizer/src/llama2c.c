/*===- llama2c.c - llama2.c's tokenizer.bin -------------------------*- C -*-===*
 *
 * The file: int32 max_token_length, then per token a float score, an int32
 * length and the bytes (little-endian), to the end of the file. Encoding is
 * run.c's: BOS, a " " in front of non-empty text, each UTF-8 character (runs
 * of at most 4 bytes that start anywhere but inside such a run) looked up or
 * spelled as byte tokens <0xNN> = 3 + byte, then the pair whose merged piece
 * scores highest merged, leftmost first, over the whole sequence.
 *
 *===----------------------------------------------------------------------===*/
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* run.c only merges pairs whose token scores above its initial best score. */
#define TOK_LLAMA2C_NO_SCORE -1e10f

static int32_t read_i32(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (int32_t)((uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
                   (uint32_t)u[3] << 24);
}

static float read_f32(const char *p) {
  uint32_t bits = (uint32_t)read_i32(p);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

int tok_llama2c_load(slm_tokenizer *tok, const char *data, size_t size, char *error,
                     size_t error_size) {
  tok_llama2c *l = &tok->llama2c;
  if (size < 4) {
    snprintf(error, error_size,
             "truncated llama2.c tokenizer: %zu bytes, no max_token_length header", size);
    return -1;
  }
  int32_t max_length = read_i32(data);
  if (max_length <= 0) {
    snprintf(error, error_size, "not a llama2.c tokenizer: max_token_length is %d",
             (int)max_length);
    return -1;
  }
  l->data = (char *)malloc(size);
  if (!l->data) {
    snprintf(error, error_size, "out of memory");
    return -1;
  }
  memcpy(l->data, data, size);
  size_t capacity = 0;
  int32_t count = 0;
  for (size_t offset = 4; offset < size;) {
    if (size - offset < 8) {
      snprintf(error, error_size,
               "truncated llama2.c tokenizer: token %d at byte %zu has no score and length",
               (int)count, offset);
      return -1;
    }
    float score = read_f32(l->data + offset);
    int32_t length = read_i32(l->data + offset + 4);
    offset += 8;
    if (length < 0 || length > max_length) {
      snprintf(error, error_size,
               "not a llama2.c tokenizer: token %d has length %d (max_token_length %d)",
               (int)count, (int)length, (int)max_length);
      return -1;
    }
    if (size - offset < (size_t)length) {
      snprintf(error, error_size, "truncated llama2.c tokenizer: token %d needs %d bytes, %zu left",
               (int)count, (int)length, size - offset);
      return -1;
    }
    if ((size_t)count == capacity) {
      capacity = capacity ? capacity * 2 : 512;
      float *bigger = (float *)realloc(l->scores, capacity * sizeof(float));
      if (!bigger) {
        snprintf(error, error_size, "out of memory");
        return -1;
      }
      l->scores = bigger;
    }
    l->scores[count] = score;
    /* run.c's bsearch finds any one of equal pieces; the first is as good */
    const char *piece = l->data + offset;
    if (tok_vocab_get(&tok->bpe.vocab, piece, (size_t)length) < 0
            ? tok_vocab_put(&tok->bpe.vocab, piece, (size_t)length, count) < 0
            : tok_vocab_set_token(&tok->bpe.vocab, piece, (size_t)length, count) < 0) {
      snprintf(error, error_size, "out of memory");
      return -1;
    }
    ++count;
    offset += (size_t)length;
  }
  if (count == 0) {
    snprintf(error, error_size, "llama2.c tokenizer has no tokens");
    return -1;
  }
  l->count = count;
  l->bos = 1; /* run.c's BOS and EOS */
  l->eos = 2;
  l->has_byte_tokens = count >= 3 + 256;
  for (int b = 0; b < 256 && l->has_byte_tokens; ++b) {
    char name[8];
    snprintf(name, sizeof name, "<0x%02X>", b);
    size_t n;
    const char *t = slm_tok_token(tok, 3 + b, &n);
    l->has_byte_tokens = t && n == 6 && memcmp(t, name, 6) == 0;
  }
  return 0;
}

typedef struct {
  const slm_tokenizer *tok;
  tok_buf joined;
  int failed;
} merge_context;

/* The merged piece must be a token that scores; the higher, the sooner. */
static int score_rule(const void *opaque, int32_t left, int32_t right, double *priority,
                      int32_t *merged) {
  merge_context *m = (merge_context *)(uintptr_t)opaque;
  const tok_vocab *v = &m->tok->bpe.vocab;
  m->joined.len = 0;
  tok_buf_add(&m->joined, v->tokens[left].s, v->tokens[left].len);
  tok_buf_add(&m->joined, v->tokens[right].s, v->tokens[right].len);
  if (m->joined.failed) {
    m->failed = 1;
    return 0;
  }
  int32_t id = tok_vocab_get(v, m->joined.data, m->joined.len);
  if (id < 0 || !(m->tok->llama2c.scores[id] > TOK_LLAMA2C_NO_SCORE))
    return 0;
  *priority = -(double)m->tok->llama2c.scores[id];
  *merged = id;
  return 1;
}

int tok_llama2c_encode(const slm_tokenizer *tok, const char *text, size_t len,
                       const slm_tok_encode_options *options, int32_t **ids_out,
                       size_t *count_out, char *error, size_t error_size) {
  const tok_llama2c *l = &tok->llama2c;
  int add_special = options && options->add_special;
  if (len > (size_t)INT32_MAX / 2) { /* symbol indices are int32 */
    snprintf(error, error_size, "a text of %zu bytes is more than one encoding takes", len);
    return -1;
  }
  /* BOS + " " + at most one symbol per byte */
  tok_symbol *symbols = (tok_symbol *)malloc((len + 2) * sizeof(tok_symbol));
  if (!symbols) {
    snprintf(error, error_size, "out of memory");
    return -1;
  }
  int32_t n = 0;
  if (add_special) {
    /* the BOS takes part in the merging, which looks up its piece */
    if (l->bos < 0 || l->bos >= l->count) {
      snprintf(error, error_size, "BOS id %d is outside its %d tokens", (int)l->bos,
               (int)l->count);
      free(symbols);
      return -1;
    }
    symbols[n++].id = l->bos;
  }
  if (len > 0) {
    int32_t space = tok_vocab_get(&tok->bpe.vocab, " ", 1);
    if (space < 0) {
      snprintf(error, error_size, "has no ' ' token to prefix the text with");
      free(symbols);
      return -1;
    }
    symbols[n++].id = space;
  }
  for (size_t start = 0, end; start < len; start = end) {
    end = start + 1;
    while (end < len && (text[end] & 0xC0) == 0x80 && end - start < 4)
      ++end;
    int32_t id = tok_vocab_get(&tok->bpe.vocab, text + start, end - start);
    if (id >= 0) {
      symbols[n++].id = id;
    } else if (l->has_byte_tokens) {
      for (size_t b = start; b < end; ++b)
        symbols[n++].id = 3 + (uint8_t)text[b];
    } else if (options && options->on_unknown) {
      options->on_unknown(options->context, text + start, end - start);
    }
  }
  merge_context m = {tok, {0}, 0};
  int result = n > 0 ? tok_merge_symbols(symbols, n, score_rule, &m) : 0;
  if (result == 0 && !m.failed) {
    int32_t *ids = (int32_t *)malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    size_t count = 0;
    if (!ids) {
      result = -1;
    } else {
      for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = symbols[i].next)
        ids[count++] = symbols[i].id;
      *ids_out = ids;
      *count_out = count;
    }
  }
  if (result < 0 || m.failed)
    snprintf(error, error_size, "out of memory");
  tok_buf_free(&m.joined);
  free(symbols);
  return result < 0 || m.failed ? -1 : 0;
}

int tok_llama2c_decode_piece(const slm_tokenizer *tok, int32_t previous, int32_t id,
                             tok_buf *out) {
  size_t len;
  const char *piece = slm_tok_token(tok, id, &len);
  if (!piece)
    return 0;
  /* run.c: after BOS the piece's leading space goes; <0xNN> is its byte */
  if (previous == tok->llama2c.bos && len > 0 && piece[0] == ' ') {
    ++piece;
    --len;
  }
  int byte = tok_byte_token(piece, len);
  if (byte >= 0)
    tok_buf_addc(out, (char)byte);
  else
    tok_buf_add(out, piece, len);
  return out->failed ? -1 : 0;
}
