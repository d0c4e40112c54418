/*===- tokenizer.c - loading a tokenizer and asking it about ids ----*- C -*-===*/
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both tables grow in powers of two: the real size is one past the largest
 * id that holds a string. */
static int32_t used_size(const tok_vocab *v) {
  int32_t n = v->size;
  while (n > 0 && !v->tokens[n - 1].s)
    --n;
  return n;
}

slm_tokenizer *slm_tok_load_json(const char *json, size_t size, char *error, size_t error_size) {
  slm_tokenizer *tok = (slm_tokenizer *)calloc(1, sizeof *tok);
  if (!tok) {
    snprintf(error, error_size, "out of memory");
    return NULL;
  }
  if (!tok_json_parse(json, size, &tok->doc, error, error_size) ||
      tok_load_pipeline(tok, error, error_size) < 0) {
    slm_tok_free(tok);
    return NULL;
  }
  int32_t a = used_size(&tok->bpe.vocab), b = used_size(&tok->added_vocab);
  tok->vocab_size = a > b ? a : b;
  int32_t size_ids = tok->vocab_size;
  tok->special = (uint8_t *)calloc((size_t)size_ids + 1, 1);
  if (!tok->special) {
    snprintf(error, error_size, "out of memory");
    slm_tok_free(tok);
    return NULL;
  }
  for (int i = 0; i < tok->added_count; ++i) {
    tok_added *a = &tok->added[i];
    if (a->special)
      tok->special[a->id] = 1;
    /* A normalized token is looked for in normalized text, as its normalized
     * form (the tokenizers library's AddedVocabulary does the same). */
    tok_buf match = {0};
    if (a->normalized && tok_normalize(tok, &tok->normalizer, a->content.s, a->content.len,
                                       &match) < 0) {
      snprintf(error, error_size, "added_tokens: the normalizer fails on \"%.64s\"", a->content.s);
      tok_buf_free(&match);
      slm_tok_free(tok);
      return NULL;
    }
    if (!a->normalized)
      tok_buf_add(&match, a->content.s, a->content.len);
    if (match.failed) {
      snprintf(error, error_size, "out of memory");
      tok_buf_free(&match);
      slm_tok_free(tok);
      return NULL;
    }
    a->match.s = match.data ? match.data : "";
    a->match.len = match.len;
    a->owns_match = match.data != NULL;
  }
  for (size_t i = 0; i < tok->front_count + tok->back_count; ++i) {
    int32_t id = i < tok->front_count ? tok->front[i] : tok->back[i - tok->front_count];
    if (id < 0 || id >= size_ids) {
      snprintf(error, error_size, "post_processor: the special id %d is outside the vocabulary",
               (int)id);
      slm_tok_free(tok);
      return NULL;
    }
  }
  return tok;
}

slm_tokenizer *slm_tok_load_llama2c(const char *data, size_t size, char *error,
                                    size_t error_size) {
  slm_tokenizer *tok = (slm_tokenizer *)calloc(1, sizeof *tok);
  if (!tok) {
    snprintf(error, error_size, "out of memory");
    return NULL;
  }
  if (tok_llama2c_load(tok, data, size, error, error_size) < 0) {
    slm_tok_free(tok);
    return NULL;
  }
  tok->vocab_size = tok->llama2c.count;
  return tok;
}

slm_tokenizer *slm_tok_load(const char *data, size_t size, char *error, size_t error_size) {
  size_t first = 0;
  while (first < size && (data[first] == ' ' || data[first] == '\t' || data[first] == '\r' ||
                          data[first] == '\n'))
    ++first;
  return first < size && data[first] == '{' ? slm_tok_load_json(data, size, error, error_size)
                                            : slm_tok_load_llama2c(data, size, error, error_size);
}

void slm_tok_set_special_ids(slm_tokenizer *tok, int32_t bos, int32_t eos) {
  tok->llama2c.bos = bos;
  tok->llama2c.eos = eos;
}

void slm_tok_free(slm_tokenizer *tok) {
  if (!tok)
    return;
  free(tok->llama2c.data);
  free(tok->llama2c.scores);
  tok_bpe_free(&tok->bpe);
  free(tok->added_vocab.slots);
  free(tok->added_vocab.tokens);
  for (int i = 0; i < tok->added_count; ++i)
    if (tok->added[i].owns_match)
      free((void *)tok->added[i].match.s);
  free(tok->added);
  free(tok->special);
  tok_free_steps(&tok->normalizer);
  tok_free_steps(&tok->pre_tokenizer);
  tok_free_steps(&tok->decoder);
  free(tok->front);
  free(tok->back);
  tok_regex_free(tok->gpt2_regex);
  tok_json_free(&tok->doc);
  free(tok);
}

int32_t slm_tok_vocab_size(const slm_tokenizer *tok) { return tok->vocab_size; }

const char *slm_tok_token(const slm_tokenizer *tok, int32_t id, size_t *len) {
  const tok_vocab *tables[2] = {&tok->added_vocab, &tok->bpe.vocab};
  for (int i = 0; i < 2; ++i)
    if (id >= 0 && id < tables[i]->size && tables[i]->tokens[id].s) {
      if (len)
        *len = tables[i]->tokens[id].len;
      return tables[i]->tokens[id].s;
    }
  return NULL;
}

int32_t slm_tok_id(const slm_tokenizer *tok, const char *token, size_t len) {
  int32_t id = tok_vocab_get(&tok->added_vocab, token, len);
  return id >= 0 ? id : tok_vocab_get(&tok->bpe.vocab, token, len);
}

int slm_tok_is_special(const slm_tokenizer *tok, int32_t id) {
  if (tok->llama2c.data)
    return id == tok->llama2c.bos || id == tok->llama2c.eos;
  return tok->special && id >= 0 && id < tok->vocab_size && tok->special[id];
}

void slm_tok_special_frame(const slm_tokenizer *tok, int32_t *front, size_t *front_count,
                           int32_t *back, size_t *back_count, size_t capacity) {
  *front_count = tok->front_count < capacity ? tok->front_count : capacity;
  *back_count = tok->back_count < capacity ? tok->back_count : capacity;
  memcpy(front, tok->front, *front_count * sizeof(int32_t));
  memcpy(back, tok->back, *back_count * sizeof(int32_t));
}
