/*===- bpe.c - the BPE model: vocabulary, merges, one word at a time -*- C -*-===*
 *
 * A word starts as its characters (or their bytes' <0xXX> tokens, or the
 * unknown token) and the adjacent pair whose merge ranks first is merged
 * until none is left, leftmost first among equals (merge.c).
 *
 *===----------------------------------------------------------------------===*/
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < len; ++i)
    h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static uint64_t hash_pair(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  return key;
}

static int vocab_reserve(tok_vocab *v, int32_t id) {
  if (id < v->size)
    return 0;
  int32_t size = v->size ? v->size : 256;
  while (size <= id)
    size *= 2;
  tok_str *tokens = (tok_str *)realloc(v->tokens, (size_t)size * sizeof(tok_str));
  if (!tokens)
    return -1;
  memset(tokens + v->size, 0, (size_t)(size - v->size) * sizeof(tok_str));
  v->tokens = tokens;
  v->size = size; /* trimmed to the largest id by tok_vocab_trim */
  return 0;
}

static int vocab_rehash(tok_vocab *v, uint32_t slots) {
  int32_t *fresh = (int32_t *)malloc(slots * sizeof(int32_t));
  if (!fresh)
    return -1;
  memset(fresh, 0xFF, slots * sizeof(int32_t));
  for (int32_t id = 0; id < v->size; ++id) {
    if (!v->tokens[id].s)
      continue;
    uint32_t at = (uint32_t)hash_bytes(v->tokens[id].s, v->tokens[id].len) & (slots - 1);
    while (fresh[at] >= 0)
      at = (at + 1) & (slots - 1);
    fresh[at] = id;
  }
  free(v->slots);
  v->slots = fresh;
  v->mask = slots - 1;
  return 0;
}

int tok_vocab_put(tok_vocab *v, const char *s, size_t len, int32_t id) {
  if (id < 0 || id >= TOK_MAX_ID)
    return -1;
  if (vocab_reserve(v, id) < 0)
    return -1;
  if (!v->slots || (uint32_t)v->size * 2 > v->mask + 1) {
    uint32_t slots = 1024;
    while (slots < (uint32_t)v->size * 4)
      slots *= 2;
    if (vocab_rehash(v, slots) < 0)
      return -1;
  }
  v->tokens[id].s = s;
  v->tokens[id].len = len;
  uint32_t at = (uint32_t)hash_bytes(s, len) & v->mask;
  while (v->slots[at] >= 0) {
    tok_str *t = &v->tokens[v->slots[at]];
    if (t->len == len && memcmp(t->s, s, len) == 0) {
      /* a string named twice: the later id wins (as serde's maps keep the
       * last key) and the earlier keeps no string, so a rehash agrees */
      int32_t old = v->slots[at];
      if (old != id) {
        v->tokens[old].s = NULL;
        v->tokens[old].len = 0;
      }
      v->slots[at] = id;
      return 0;
    }
    at = (at + 1) & v->mask;
  }
  v->slots[at] = id;
  return 0;
}

int tok_vocab_set_token(tok_vocab *v, const char *s, size_t len, int32_t id) {
  if (id < 0 || id >= TOK_MAX_ID || vocab_reserve(v, id) < 0)
    return -1;
  v->tokens[id].s = s;
  v->tokens[id].len = len;
  return 0;
}

int32_t tok_vocab_get(const tok_vocab *v, const char *s, size_t len) {
  if (!v->slots)
    return -1;
  uint32_t at = (uint32_t)hash_bytes(s, len) & v->mask;
  while (v->slots[at] >= 0) {
    const tok_str *t = &v->tokens[v->slots[at]];
    if (t->len == len && memcmp(t->s, s, len) == 0)
      return v->slots[at];
    at = (at + 1) & v->mask;
  }
  return -1;
}

static int merges_put(tok_merges *m, int32_t left, int32_t right, int32_t rank, int32_t merged) {
  uint64_t key = (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
  uint32_t at = (uint32_t)hash_pair(key) & m->mask;
  while (m->keys[at] && m->keys[at] != key)
    at = (at + 1) & m->mask;
  /* a pair listed twice keeps its last rank: the tokenizers library collects
   * the merges into a HashMap, later entries replacing earlier ones */
  m->keys[at] = key;
  m->ranks[at] = rank;
  m->merged[at] = merged;
  return 0;
}

static int merges_get(const tok_merges *m, int32_t left, int32_t right, int32_t *rank,
                      int32_t *merged) {
  if (!m->keys)
    return 0;
  uint64_t key = (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
  uint32_t at = (uint32_t)hash_pair(key) & m->mask;
  while (m->keys[at]) {
    if (m->keys[at] == key) {
      *rank = m->ranks[at];
      *merged = m->merged[at];
      return 1;
    }
    at = (at + 1) & m->mask;
  }
  return 0;
}

static int fail(char *error, size_t error_size, const char *what) {
  snprintf(error, error_size, "%s", what);
  return -1;
}

int tok_bpe_load(tok_bpe *bpe, const tok_json_doc *d, const tok_json *model, char *error,
                 size_t error_size) {
  const tok_json *vocab = tok_json_get(d, model, "vocab");
  if (!vocab || vocab->kind != TOK_JSON_OBJECT)
    return fail(error, error_size, "model.vocab is missing or not an object");
  for (const tok_json *e = tok_json_first(d, vocab); e; e = tok_json_next(d, e)) {
    if (e->kind != TOK_JSON_NUMBER || !(e->number >= 0) || e->number >= TOK_MAX_ID ||
        e->number != (double)(int32_t)e->number) {
      snprintf(error, error_size, "model.vocab: the id of \"%.64s\" is not an id", e->key);
      return -1;
    }
    if (tok_vocab_put(&bpe->vocab, e->key, e->key_len, (int32_t)e->number) < 0)
      return fail(error, error_size, "out of memory");
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    snprintf(name, sizeof name, "<0x%02X>", b);
    bpe->byte_ids[b] = tok_vocab_get(&bpe->vocab, name, 6);
  }

  const tok_json *merges = tok_json_get(d, model, "merges");
  if (!merges || merges->kind == TOK_JSON_NULL)
    return 0;
  if (merges->kind != TOK_JSON_ARRAY)
    return fail(error, error_size, "model.merges is not an array");
  uint32_t slots = 1024;
  while (slots < (uint32_t)merges->count * 2u + 2u)
    slots *= 2;
  bpe->merges.keys = (uint64_t *)calloc(slots, sizeof(uint64_t));
  bpe->merges.ranks = (int32_t *)malloc(slots * sizeof(int32_t));
  bpe->merges.merged = (int32_t *)malloc(slots * sizeof(int32_t));
  bpe->merges.mask = slots - 1;
  if (!bpe->merges.keys || !bpe->merges.ranks || !bpe->merges.merged)
    return fail(error, error_size, "out of memory");
  tok_buf joined = {0};
  int32_t rank = 0;
  tok_str prefix = {NULL, 0};
  prefix.s = tok_json_string(d, model, "continuing_subword_prefix", &prefix.len);
  for (const tok_json *e = tok_json_first(d, merges); e; e = tok_json_next(d, e), ++rank) {
    const char *a, *b;
    size_t a_len, b_len;
    if (e->kind == TOK_JSON_STRING) { /* "left right" */
      const char *space = memchr(e->str, ' ', e->str_len);
      if (!space) {
        snprintf(error, error_size, "model.merges[%d] \"%.64s\" is not two tokens", (int)rank,
                 e->str);
        tok_buf_free(&joined);
        return -1;
      }
      a = e->str;
      a_len = (size_t)(space - e->str);
      b = space + 1;
      b_len = e->str_len - a_len - 1;
    } else if (e->kind == TOK_JSON_ARRAY && e->count == 2 &&
               tok_json_at(d, e->child)->kind == TOK_JSON_STRING &&
               tok_json_next(d, tok_json_at(d, e->child))->kind == TOK_JSON_STRING) {
      const tok_json *l = tok_json_at(d, e->child), *r = tok_json_next(d, l);
      a = l->str, a_len = l->str_len, b = r->str, b_len = r->str_len;
    } else {
      snprintf(error, error_size, "model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]",
               (int)rank);
      tok_buf_free(&joined);
      return -1;
    }
    joined.len = 0;
    tok_buf_add(&joined, a, a_len);
    /* BpeBuilder::build: the merged token is a + b without b's
     * continuing_subword_prefix */
    if (prefix.len && b_len >= prefix.len && memcmp(b, prefix.s, prefix.len) == 0)
      tok_buf_add(&joined, b + prefix.len, b_len - prefix.len);
    else
      tok_buf_add(&joined, b, b_len);
    int32_t left = tok_vocab_get(&bpe->vocab, a, a_len);
    int32_t right = tok_vocab_get(&bpe->vocab, b, b_len);
    int32_t merged = joined.failed ? -1 : tok_vocab_get(&bpe->vocab, joined.data, joined.len);
    if (left < 0 || right < 0 || merged < 0) {
      snprintf(error, error_size, "model.merges[%d] (\"%.*s\" + \"%.*s\") names a token the "
               "vocabulary lacks", (int)rank, (int)(a_len > 48 ? 48 : a_len), a,
               (int)(b_len > 48 ? 48 : b_len), b);
      tok_buf_free(&joined);
      return -1;
    }
    merges_put(&bpe->merges, left, right, rank, merged);
  }
  tok_buf_free(&joined);
  return 0;
}

void tok_bpe_free(tok_bpe *bpe) {
  free(bpe->vocab.slots);
  free(bpe->vocab.tokens);
  free(bpe->merges.keys);
  free(bpe->merges.ranks);
  free(bpe->merges.merged);
  memset(bpe, 0, sizeof *bpe);
}

/*===--- encoding one word --------------------------------------------------===*/

int tok_ids_push(int32_t **ids, size_t *count, size_t *capacity, int32_t id) {
  if (*count == *capacity) {
    size_t grown = *capacity ? *capacity * 2 : 64;
    int32_t *bigger = (int32_t *)realloc(*ids, grown * sizeof(int32_t));
    if (!bigger)
      return -1;
    *ids = bigger;
    *capacity = grown;
  }
  (*ids)[(*count)++] = id;
  return 0;
}

/* Merge ranks: the earlier a merge is listed, the sooner it applies. */
static int merge_rule(const void *context, int32_t left, int32_t right, double *priority,
                      int32_t *merged) {
  int32_t rank;
  if (!merges_get((const tok_merges *)context, left, right, &rank, merged))
    return 0;
  *priority = rank;
  return 1;
}

int tok_bpe_encode(const tok_bpe *bpe, const char *word, size_t len,
                   const slm_tok_encode_options *options, int32_t **ids, size_t *count,
                   size_t *capacity) {
  if (len == 0)
    return 0;
  if (len > (size_t)INT32_MAX / 2) /* symbol indices are int32 */
    return -1;
  if (bpe->ignore_merges) {
    int32_t whole = tok_vocab_get(&bpe->vocab, word, len);
    if (whole >= 0)
      return tok_ids_push(ids, count, capacity, whole);
  }
  /* at most one symbol per byte */
  tok_symbol *symbols = (tok_symbol *)malloc(len * sizeof(tok_symbol));
  tok_buf piece = {0};
  int result = -1;
  if (!symbols)
    goto done;
  int32_t n = 0;
  /* An unknown character waits (as the tokenizers library's merge_word holds
   * it) until a character of the vocabulary or the end comes: byte tokens
   * found in between go before it, and with fuse_unk a run of unknown
   * characters is one unknown token. */
  int pending_unknown = 0;
  for (size_t at = 0; at < len;) {
    int32_t cp;
    size_t char_len = (size_t)tok_utf8_next(word + at, len - at, &cp);
    const char *c = word + at;
    piece.len = 0;
    if (at > 0 && bpe->prefix.len)
      tok_buf_add(&piece, bpe->prefix.s, bpe->prefix.len);
    tok_buf_add(&piece, c, char_len);
    if (at + char_len == len && bpe->suffix.len)
      tok_buf_add(&piece, bpe->suffix.s, bpe->suffix.len);
    if (piece.failed)
      goto done;
    int32_t id = tok_vocab_get(&bpe->vocab, piece.data, piece.len);
    at += char_len;
    if (id >= 0) {
      if (pending_unknown) {
        symbols[n++].id = bpe->unk;
        pending_unknown = 0;
      }
      symbols[n++].id = id;
      continue;
    }
    if (bpe->byte_fallback) {
      int all = 1;
      for (size_t b = 0; b < char_len; ++b)
        all &= bpe->byte_ids[(uint8_t)c[b]] >= 0;
      if (all) {
        for (size_t b = 0; b < char_len; ++b)
          symbols[n++].id = bpe->byte_ids[(uint8_t)c[b]];
        continue;
      }
    }
    if (options && options->on_unknown)
      options->on_unknown(options->context, c, char_len);
    if (bpe->unk < 0)
      continue; /* no unknown token: the character is dropped, as the tokenizers library does */
    if (pending_unknown && !bpe->fuse_unk)
      symbols[n++].id = bpe->unk;
    pending_unknown = 1;
  }
  if (pending_unknown)
    symbols[n++].id = bpe->unk;
  result = 0;
  if (n > 0 && (result = tok_merge_symbols(symbols, n, merge_rule, &bpe->merges)) == 0)
    for (int32_t i = 0; i >= 0 && result == 0; i = symbols[i].next)
      result = tok_ids_push(ids, count, capacity, symbols[i].id);
done:
  free(symbols);
  tok_buf_free(&piece);
  return result;
}
