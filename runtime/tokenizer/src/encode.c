/*===- encode.c - text to ids: the tokenizer.json pipeline ---------*- C -*-===*
 *
 * As the tokenizers library runs it: added tokens that are not normalized are
 * found in the raw text; what lies between them is normalized, searched for
 * the normalized added tokens, pre-tokenized, and each pre-token goes through
 * BPE; the post-processor frames the result.
 *
 *===----------------------------------------------------------------------===*/
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int tok_pieces_add(tok_pieces *p, const char *s, size_t len, int32_t added, int at_origin) {
  if (p->count == p->capacity) {
    size_t grown = p->capacity ? p->capacity * 2 : 64;
    tok_piece *bigger = (tok_piece *)realloc(p->pieces, grown * sizeof(tok_piece));
    if (!bigger)
      return -1;
    p->pieces = bigger;
    p->capacity = grown;
  }
  tok_piece *piece = &p->pieces[p->count++];
  piece->start = p->text.len;
  piece->len = len;
  piece->added = added;
  piece->at_origin = at_origin;
  tok_buf_add(&p->text, s, len);
  return p->text.failed ? -1 : 0;
}

void tok_pieces_free(tok_pieces *p) {
  tok_buf_free(&p->text);
  free(p->pieces);
  memset(p, 0, sizeof *p);
}

/*===--- added tokens -------------------------------------------------------===*/

static int is_word_char(int32_t cp) { return tok_is_letter(cp) || tok_is_number(cp) || cp == '_'; }

static int32_t char_before(const char *s, size_t at) {
  if (at == 0)
    return -1;
  size_t start = at - 1;
  while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
    --start;
  int32_t cp;
  tok_utf8_next(s + start, at - start, &cp);
  return cp;
}

/* The longest added token of this pass (normalized or not) at s + at. */
static const tok_added *added_at(const slm_tokenizer *tok, const char *s, size_t len, size_t at,
                                 int normalized) {
  const tok_added *best = NULL;
  for (int i = 0; i < tok->added_count; ++i) {
    const tok_added *a = &tok->added[i];
    if (a->normalized != normalized || a->match.len == 0 || a->match.len > len - at ||
        (best && a->match.len <= best->match.len) || s[at] != a->match.s[0] ||
        memcmp(s + at, a->match.s, a->match.len) != 0)
      continue;
    if (a->single_word) {
      int32_t after = -1;
      if (at + a->match.len < len)
        tok_utf8_next(s + at + a->match.len, len - at - a->match.len, &after);
      int32_t prior = char_before(s, at);
      if ((prior >= 0 && is_word_char(prior)) || (after >= 0 && is_word_char(after)))
        continue;
    }
    best = a;
  }
  return best;
}

/* s split at the added tokens of one pass, onto out; `at_origin` says
 * whether s starts the input. */
static int split_added(const slm_tokenizer *tok, const char *s, size_t len, int at_origin,
                       int normalized, tok_pieces *out) {
  uint8_t first[256] = {0};
  for (int i = 0; i < tok->added_count; ++i)
    if (tok->added[i].normalized == normalized && tok->added[i].match.len)
      first[(uint8_t)tok->added[i].match.s[0]] = 1;
  size_t text_start = 0;
  for (size_t at = 0; at < len;) {
    const tok_added *hit = first[(uint8_t)s[at]] ? added_at(tok, s, len, at, normalized) : NULL;
    if (!hit) {
      ++at;
      continue;
    }
    size_t start = at, end = at + hit->match.len;
    if (hit->lstrip) /* the token takes the whitespace before it */
      while (start > text_start) {
        int32_t cp = char_before(s, start);
        if (!tok_is_space(cp))
          break;
        char unit[4];
        start -= (size_t)tok_utf8_put(unit, cp);
      }
    if (hit->rstrip)
      while (end < len) {
        int32_t cp;
        int n = tok_utf8_next(s + end, len - end, &cp);
        if (!tok_is_space(cp))
          break;
        end += (size_t)n;
      }
    if (start > text_start &&
        tok_pieces_add(out, s + text_start, start - text_start, -1, at_origin && text_start == 0))
      return -1;
    if (tok_pieces_add(out, s + start, end - start, hit->id, at_origin && start == 0) < 0)
      return -1;
    at = text_start = end;
  }
  if (text_start < len &&
      tok_pieces_add(out, s + text_start, len - text_start, -1, at_origin && text_start == 0) < 0)
    return -1;
  return 0;
}

/*===--- normalizers ----------------------------------------------------------===*/

int tok_replace_all(const tok_step *step, const char *s, size_t len, tok_buf *out) {
  size_t at = 0;
  while (at <= len) {
    size_t start, end;
    int found;
    if (step->regex) {
      found = tok_regex_find(step->regex, s, len, at, &start, &end);
      if (found < 0)
        return -1;
      if (found && end == start) { /* an empty match replaces nothing here */
        if (start >= len)
          break;
        int32_t cp;
        end = start + (size_t)tok_utf8_next(s + start, len - start, &cp);
        tok_buf_add(out, s + at, end - at);
        at = end;
        continue;
      }
    } else {
      found = 0;
      for (start = at; start + step->literal.len <= len; ++start)
        if (memcmp(s + start, step->literal.s, step->literal.len) == 0) {
          found = 1;
          break;
        }
      end = start + step->literal.len;
    }
    if (!found)
      break;
    tok_buf_add(out, s + at, start - at);
    tok_buf_add(out, step->text.s, step->text.len);
    at = end;
  }
  if (at < len)
    tok_buf_add(out, s + at, len - at);
  return out->failed ? -1 : 0;
}

static int unicode_form(const tok_step *step, const char *s, size_t len, tok_buf *out) {
  int options = UTF8PROC_STABLE;
  switch (step->kind) {
  case STEP_NFC: options |= UTF8PROC_COMPOSE; break;
  case STEP_NFD: options |= UTF8PROC_DECOMPOSE; break;
  case STEP_NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
  default: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t *mapped = NULL;
  utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &mapped,
                                    (utf8proc_option_t)options);
  if (n < 0)
    return -1;
  tok_buf_add(out, (const char *)mapped, (size_t)n);
  free(mapped);
  return out->failed ? -1 : 0;
}

int tok_normalize(const slm_tokenizer *tok, const tok_steps *steps, const char *s, size_t len,
                  tok_buf *out) {
  (void)tok;
  tok_buf a = {0}, b = {0};
  tok_buf_add(&a, s, len);
  for (int i = 0; i < steps->count && !a.failed; ++i) {
    const tok_step *step = &steps->steps[i];
    b.len = 0;
    const char *t = a.data ? a.data : "";
    switch (step->kind) {
    case STEP_NFC: case STEP_NFD: case STEP_NFKC: case STEP_NFKD:
      if (unicode_form(step, t, a.len, &b) < 0)
        goto failed;
      break;
    case STEP_LOWERCASE:
      for (size_t at = 0; at < a.len;) {
        int32_t cp;
        at += (size_t)tok_utf8_next(t + at, a.len - at, &cp);
        if (cp == 0x130) { /* char::to_lowercase: the one character that lowercases to two */
          tok_buf_add(&b, "i\xCC\x87", 3);
          continue;
        }
        char unit[4];
        tok_buf_add(&b, unit, (size_t)tok_utf8_put(unit, tok_lower(cp)));
      }
      break;
    case STEP_STRIP: {
      size_t start = 0, end = a.len;
      while (step->left && start < end) {
        int32_t cp;
        int n = tok_utf8_next(t + start, end - start, &cp);
        if (!tok_is_space(cp))
          break;
        start += (size_t)n;
      }
      while (step->right && end > start) {
        int32_t cp = char_before(t, end);
        if (!tok_is_space(cp))
          break;
        char unit[4];
        end -= (size_t)tok_utf8_put(unit, cp);
      }
      tok_buf_add(&b, t + start, end - start);
      break;
    }
    case STEP_PREPEND:
      if (a.len)
        tok_buf_add(&b, step->text.s, step->text.len);
      tok_buf_add(&b, t, a.len);
      break;
    case STEP_REPLACE:
      if (tok_replace_all(step, t, a.len, &b) < 0)
        goto failed;
      break;
    default:
      goto failed;
    }
    tok_buf swap = a;
    a = b;
    b = swap;
  }
  if (a.failed)
    goto failed;
  out->len = 0;
  tok_buf_add(out, a.data ? a.data : "", a.len);
  tok_buf_free(&a);
  tok_buf_free(&b);
  return out->failed ? -1 : 0;
failed:
  tok_buf_free(&a);
  tok_buf_free(&b);
  return -1;
}

/*===--- pre-tokenizers -----------------------------------------------------===*/

typedef struct {
  size_t start, end;
  int is_match;
} span;

typedef struct {
  span *items;
  size_t count, capacity;
} spans;

static int spans_add(spans *v, size_t start, size_t end, int is_match) {
  if (v->count == v->capacity) {
    size_t grown = v->capacity ? v->capacity * 2 : 32;
    span *bigger = (span *)realloc(v->items, grown * sizeof(span));
    if (!bigger)
      return -1;
    v->items = bigger;
    v->capacity = grown;
  }
  v->items[v->count++] = (span){start, end, is_match};
  return 0;
}

/* The matches of a regex or a literal in s, with the gaps between them. */
static int find_matches(const tok_regex *regex, tok_str literal, const char *s, size_t len,
                        spans *out, char *error, size_t error_size) {
  size_t prev = 0, at = 0;
  while (at <= len) {
    size_t start, end;
    if (regex) {
      int found = tok_regex_find(regex, s, len, at, &start, &end);
      if (found < 0) {
        snprintf(error, error_size, "a pre-tokenizer's pattern backtracked past its step budget");
        return -1;
      }
      if (!found)
        break;
    } else {
      const char *hit = NULL;
      for (size_t i = at; i + literal.len <= len; ++i)
        if (memcmp(s + i, literal.s, literal.len) == 0) {
          hit = s + i;
          break;
        }
      if (!hit)
        break;
      start = (size_t)(hit - s);
      end = start + literal.len;
    }
    if (start != prev && spans_add(out, prev, start, 0) < 0)
      return -1;
    if (spans_add(out, start, end, 1) < 0)
      return -1;
    prev = end;
    if (end == start) { /* past an empty match */
      if (end >= len)
        break;
      int32_t cp;
      at = end + (size_t)tok_utf8_next(s + end, len - end, &cp);
    } else {
      at = end;
    }
  }
  if (prev != len && spans_add(out, prev, len, 0) < 0)
    return -1;
  return 0;
}

/* The tokenizers library's SplitDelimiterBehavior, in place. */
static void apply_behavior(spans *v, tok_split_behavior behavior, int invert) {
  if (invert)
    for (size_t i = 0; i < v->count; ++i)
      v->items[i].is_match = !v->items[i].is_match;
  size_t n = 0;
  int previous_match = 0;
  switch (behavior) {
  case SPLIT_ISOLATED:
    return;
  case SPLIT_REMOVED:
    for (size_t i = 0; i < v->count; ++i)
      if (!v->items[i].is_match)
        v->items[n++] = v->items[i];
    break;
  case SPLIT_MERGED_PREVIOUS:
    for (size_t i = 0; i < v->count; ++i) {
      span s = v->items[i];
      if (s.is_match && !previous_match && n > 0)
        v->items[n - 1].end = s.end;
      else
        v->items[n++] = s;
      previous_match = s.is_match;
    }
    break;
  case SPLIT_MERGED_NEXT:
    for (size_t i = v->count; i-- > 0;) { /* from the back, into the back */
      span s = v->items[i];
      size_t filled = v->count - n;
      if (s.is_match && !previous_match && n > 0)
        v->items[filled].start = s.start;
      else
        v->items[filled - 1] = s, ++n;
      previous_match = s.is_match;
    }
    memmove(v->items, v->items + (v->count - n), n * sizeof(span));
    break;
  case SPLIT_CONTIGUOUS:
    for (size_t i = 0; i < v->count; ++i) {
      span s = v->items[i];
      if (s.is_match == previous_match && n > 0)
        v->items[n - 1].end = s.end;
      else
        v->items[n++] = s;
      previous_match = s.is_match;
    }
    break;
  }
  v->count = n;
}

static int split_piece(const tok_step *step, const char *s, size_t len, int at_origin,
                       tok_pieces *out, char *error, size_t error_size) {
  spans v = {0};
  int result = -1;
  if (len == 0) {
    free(v.items);
    return 0;
  }
  if (find_matches(step->regex, step->literal, s, len, &v, error, error_size) < 0)
    goto done;
  apply_behavior(&v, step->behavior, step->invert);
  for (size_t i = 0; i < v.count; ++i)
    if (v.items[i].end > v.items[i].start &&
        tok_pieces_add(out, s + v.items[i].start, v.items[i].end - v.items[i].start, -1,
                       at_origin && v.items[i].start == 0) < 0)
      goto done;
  result = 0;
done:
  free(v.items);
  return result;
}

static int byte_level(const slm_tokenizer *tok, const tok_step *step, const char *s, size_t len,
                      int at_origin, tok_pieces *out, char *error, size_t error_size) {
  tok_buf prefixed = {0};
  tok_pieces parts = {0};
  int result = -1;
  if (step->add_prefix_space && (len == 0 || s[0] != ' '))
    tok_buf_addc(&prefixed, ' ');
  tok_buf_add(&prefixed, s, len);
  if (prefixed.failed)
    goto done;
  if (step->use_regex) {
    tok_step split = {0};
    split.kind = STEP_SPLIT;
    split.regex = tok->gpt2_regex;
    split.behavior = SPLIT_ISOLATED;
    if (split_piece(&split, prefixed.data, prefixed.len, at_origin, &parts, error, error_size) < 0)
      goto done;
  } else if (prefixed.len &&
             tok_pieces_add(&parts, prefixed.data, prefixed.len, -1, at_origin) < 0) {
    goto done;
  }
  tok_buf mapped = {0};
  for (size_t i = 0; i < parts.count; ++i) {
    const char *p = parts.text.data + parts.pieces[i].start;
    mapped.len = 0;
    for (size_t b = 0; b < parts.pieces[i].len; ++b) {
      char unit[4];
      tok_buf_add(&mapped, unit, (size_t)tok_utf8_put(unit, tok->byte_char[(uint8_t)p[b]]));
    }
    if (mapped.failed ||
        tok_pieces_add(out, mapped.data, mapped.len, -1, parts.pieces[i].at_origin) < 0) {
      tok_buf_free(&mapped);
      goto done;
    }
  }
  tok_buf_free(&mapped);
  result = 0;
done:
  tok_buf_free(&prefixed);
  tok_pieces_free(&parts);
  return result;
}

static int metaspace(const tok_step *step, const char *s, size_t len, int at_origin,
                     tok_pieces *out, char *error, size_t error_size) {
  tok_buf replaced = {0}, body = {0};
  int result = -1;
  /* ' ' -> replacement; prepend per the scheme */
  for (size_t i = 0; i < len; ++i)
    if (s[i] == ' ')
      tok_buf_add(&body, step->text.s, step->text.len);
    else
      tok_buf_addc(&body, s[i]);
  int starts_marked = body.len >= step->text.len && memcmp(body.data, step->text.s, step->text.len) == 0;
  if (!starts_marked && (step->prepend == PREPEND_ALWAYS ||
                         (step->prepend == PREPEND_FIRST && at_origin)))
    tok_buf_add(&replaced, step->text.s, step->text.len);
  tok_buf_add(&replaced, body.data ? body.data : "", body.len);
  tok_buf_free(&body);
  if (replaced.failed)
    goto done;
  if (step->split) {
    tok_step split = {0};
    split.kind = STEP_SPLIT;
    split.literal = step->text;
    split.behavior = SPLIT_MERGED_NEXT;
    result = split_piece(&split, replaced.data, replaced.len, at_origin, out, error, error_size);
  } else {
    result = replaced.len ? tok_pieces_add(out, replaced.data, replaced.len, -1, at_origin) : 0;
  }
done:
  tok_buf_free(&replaced);
  return result;
}

int tok_pre_tokenize(const slm_tokenizer *tok, const tok_pieces *in, tok_pieces *out, char *error,
                     size_t error_size) {
  tok_pieces a = {0}, b = {0};
  for (size_t i = 0; i < in->count; ++i)
    if (tok_pieces_add(&a, in->text.data + in->pieces[i].start, in->pieces[i].len,
                       in->pieces[i].added, in->pieces[i].at_origin) < 0)
      goto failed;
  for (int s = 0; s < tok->pre_tokenizer.count; ++s) {
    const tok_step *step = &tok->pre_tokenizer.steps[s];
    b.count = 0;
    b.text.len = 0;
    for (size_t i = 0; i < a.count; ++i) {
      const tok_piece *p = &a.pieces[i];
      const char *t = a.text.data + p->start;
      int r;
      if (p->added >= 0)
        r = tok_pieces_add(&b, t, p->len, p->added, p->at_origin);
      else if (step->kind == STEP_BYTE_LEVEL)
        r = byte_level(tok, step, t, p->len, p->at_origin, &b, error, error_size);
      else if (step->kind == STEP_METASPACE)
        r = metaspace(step, t, p->len, p->at_origin, &b, error, error_size);
      else
        r = split_piece(step, t, p->len, p->at_origin, &b, error, error_size);
      if (r < 0)
        goto failed;
    }
    tok_pieces swap = a;
    a = b;
    b = swap;
  }
  tok_pieces_free(&b);
  *out = a;
  return 0;
failed:
  tok_pieces_free(&a);
  tok_pieces_free(&b);
  if (!error[0])
    snprintf(error, error_size, "out of memory");
  return -1;
}

/*===--- the whole pipeline -------------------------------------------------===*/

int slm_tok_encode(const slm_tokenizer *tok, const char *text, size_t len,
                   const slm_tok_encode_options *options, int32_t **ids_out, size_t *count_out,
                   char *error, size_t error_size) {
  int add_special = options && options->add_special;
  if (tok->llama2c.data) /* run.c takes any bytes */
    return tok_llama2c_encode(tok, text, len, options, ids_out, count_out, error, error_size);
  tok_pieces raw = {0}, normalized = {0}, pre = {0};
  tok_buf norm = {0};
  int32_t *ids = NULL;
  size_t count = 0, capacity = 0;
  int result = -1;
  error[0] = '\0';
  *ids_out = NULL;
  *count_out = 0;
  if (!tok_utf8_valid(text, len)) {
    snprintf(error, error_size, "the text is not valid UTF-8");
    return -1;
  }
  if (split_added(tok, text, len, 1, 0, &raw) < 0)
    goto oom;
  for (size_t i = 0; i < raw.count; ++i) {
    const tok_piece *p = &raw.pieces[i];
    const char *t = raw.text.data + p->start;
    if (p->added >= 0) {
      if (tok_pieces_add(&normalized, t, p->len, p->added, p->at_origin) < 0)
        goto oom;
      continue;
    }
    if (tok_normalize(tok, &tok->normalizer, t, p->len, &norm) < 0) {
      snprintf(error, error_size, "the normalizer failed on the text");
      goto done;
    }
    if (split_added(tok, norm.data ? norm.data : "", norm.len, p->at_origin, 1, &normalized) < 0)
      goto oom;
  }
  if (tok_pre_tokenize(tok, &normalized, &pre, error, error_size) < 0)
    goto done;
  for (size_t i = 0; add_special && i < tok->front_count; ++i)
    if (tok_ids_push(&ids, &count, &capacity, tok->front[i]) < 0)
      goto oom;
  for (size_t i = 0; i < pre.count; ++i) {
    const tok_piece *p = &pre.pieces[i];
    int r = p->added >= 0 ? tok_ids_push(&ids, &count, &capacity, p->added)
                          : tok_bpe_encode(&tok->bpe, pre.text.data + p->start, p->len,
                                           options, &ids, &count, &capacity);
    if (r < 0)
      goto oom;
  }
  for (size_t i = 0; add_special && i < tok->back_count; ++i)
    if (tok_ids_push(&ids, &count, &capacity, tok->back[i]) < 0)
      goto oom;
  *ids_out = ids;
  *count_out = count;
  ids = NULL;
  result = 0;
  goto done;
oom:
  snprintf(error, error_size, "out of memory");
done:
  free(ids);
  tok_pieces_free(&raw);
  tok_pieces_free(&normalized);
  tok_pieces_free(&pre);
  tok_buf_free(&norm);
  return result;
}
