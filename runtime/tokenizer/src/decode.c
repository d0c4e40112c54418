/*===- decode.c - ids to text: the decoder chain --------------------*- C -*-===*
 *
 * As the tokenizers library decodes: each id becomes its token string (an
 * added token's content, else the vocabulary's), special tokens are dropped
 * when asked, and the decoder steps run over the list of strings in order.
 *
 *===----------------------------------------------------------------------===*/
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kReplacementChar[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The length of the longest prefix of s that starts a well-formed UTF-8
 * sequence (at least 1): one U+FFFD replaces it, as String::from_utf8_lossy
 * and the WHATWG decoder do. */
static size_t maximal_subpart(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0)
      lo = 0xA0;
    if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0)
      lo = 0x90;
    if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 1;
  }
  size_t i = 1;
  for (; i <= need && i < n; ++i) {
    unsigned char b = s[i];
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
      break;
  }
  return i;
}

static void add_lossy(tok_buf *out, const char *s, size_t n) {
  for (size_t at = 0; at < n;) {
    int32_t cp;
    int len = tok_utf8_next(s + at, n - at, &cp);
    if (cp == 0xFFFD && !(n - at >= 3 && memcmp(s + at, kReplacementChar, 3) == 0)) {
      tok_buf_add(out, kReplacementChar, 3);
      at += maximal_subpart((const unsigned char *)s + at, n - at);
      continue;
    }
    tok_buf_add(out, s + at, (size_t)len);
    at += (size_t)len;
  }
}

/* A token's bytes under the byte-level alphabet; a token with a character
 * outside it (an added token, say) stands for its own bytes. */
static void add_byte_level(const slm_tokenizer *tok, tok_buf *out, const char *s, size_t n) {
  size_t mark = out->len;
  for (size_t at = 0; at < n;) {
    int32_t cp;
    at += (size_t)tok_utf8_next(s + at, n - at, &cp);
    int byte = cp >= 0 && cp < TOK_BYTE_LEVEL_CHARS ? tok->char_byte[cp] : -1;
    if (byte < 0) {
      out->len = mark;
      tok_buf_add(out, s, n);
      return;
    }
    tok_buf_addc(out, (char)byte);
  }
}

int tok_byte_token(const char *s, size_t n) {
  if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
    return -1;
  int v = 0;
  for (int i = 3; i < 5; ++i) {
    char h = s[i];
    int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
          : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Strip's cut: up to `left` leading and `right` trailing copies of the
 * content character. */
static void strip(const tok_step *step, const char *s, size_t n, tok_buf *out) {
  size_t start = 0, end = n, c = step->text.len;
  for (int i = 0; i < step->left && c && end - start >= c && memcmp(s + start, step->text.s, c) == 0;
       ++i)
    start += c;
  for (int i = 0; i < step->right && c && end - start >= c &&
                  memcmp(s + end - c, step->text.s, c) == 0;
       ++i)
    end -= c;
  tok_buf_add(out, s + start, end - start);
}

/* Metaspace's decoding of token i: the replacement becomes a space, except
 * in the first token, where it goes (unless the scheme never prepends). */
static void metaspace(const tok_step *step, const char *s, size_t n, int first, tok_buf *out) {
  size_t r = step->text.len;
  for (size_t at = 0; at < n;) {
    if (r && n - at >= r && memcmp(s + at, step->text.s, r) == 0) {
      if (!(first && step->prepend != PREPEND_NEVER))
        tok_buf_addc(out, ' ');
      at += r;
    } else {
      tok_buf_addc(out, s[at++]);
    }
  }
}

int slm_tok_decode(const slm_tokenizer *tok, const int32_t *ids, size_t n, int skip_special,
                   char **text, size_t *len, char *error, size_t error_size) {
  tok_pieces a = {0}, b = {0};
  tok_buf scratch = {0};
  *text = NULL;
  *len = 0;
  if (tok->llama2c.data) { /* run.c's pieces, one after another; a leading BOS is not printed */
    for (size_t i = 0; i < n; ++i)
      if (!((i == 0 && ids[i] == tok->llama2c.bos) ||
            (skip_special && slm_tok_is_special(tok, ids[i]))) &&
          tok_llama2c_decode_piece(tok, i == 0 ? -1 : ids[i - 1], ids[i], &scratch) < 0)
        goto oom;
    tok_buf_add(&scratch, "", 0);
    if (scratch.failed)
      goto oom;
    *text = scratch.data;
    *len = scratch.len;
    return 0;
  }
  for (size_t i = 0; i < n; ++i) {
    size_t token_len;
    const char *t = slm_tok_token(tok, ids[i], &token_len);
    if (!t || (skip_special && slm_tok_is_special(tok, ids[i])))
      continue;
    if (tok_pieces_add(&a, t, token_len, -1, 0) < 0)
      goto oom;
  }
  for (int s = 0; s < tok->decoder.count; ++s) {
    const tok_step *step = &tok->decoder.steps[s];
    b.count = 0;
    b.text.len = 0;
    if (step->kind == STEP_BYTE_LEVEL || step->kind == STEP_FUSE) { /* into one string */
      scratch.len = 0;
      for (size_t i = 0; i < a.count; ++i) {
        const char *t = a.text.data + a.pieces[i].start;
        if (step->kind == STEP_BYTE_LEVEL)
          add_byte_level(tok, &scratch, t, a.pieces[i].len);
        else
          tok_buf_add(&scratch, t, a.pieces[i].len);
      }
      tok_buf joined = {0};
      if (step->kind == STEP_BYTE_LEVEL)
        add_lossy(&joined, scratch.data ? scratch.data : "", scratch.len);
      else
        tok_buf_add(&joined, scratch.data ? scratch.data : "", scratch.len);
      int r = joined.failed || tok_pieces_add(&b, joined.data ? joined.data : "", joined.len, -1, 0);
      tok_buf_free(&joined);
      if (r)
        goto oom;
    } else if (step->kind == STEP_BYTE_FALLBACK) {
      scratch.len = 0; /* the bytes of a run of <0xXX> tokens */
      for (size_t i = 0; i <= a.count; ++i) {
        int byte = -1;
        const char *t = i < a.count ? a.text.data + a.pieces[i].start : NULL;
        if (t)
          byte = tok_byte_token(t, a.pieces[i].len);
        if (byte >= 0) {
          tok_buf_addc(&scratch, (char)byte);
          continue;
        }
        if (scratch.len) {
          if (tok_utf8_valid(scratch.data, scratch.len)) {
            if (tok_pieces_add(&b, scratch.data, scratch.len, -1, 0) < 0)
              goto oom;
          } else {
            for (size_t k = 0; k < scratch.len; ++k)
              if (tok_pieces_add(&b, kReplacementChar, 3, -1, 0) < 0)
                goto oom;
          }
          scratch.len = 0;
        }
        if (t && tok_pieces_add(&b, t, a.pieces[i].len, -1, 0) < 0)
          goto oom;
      }
    } else {
      for (size_t i = 0; i < a.count; ++i) {
        const char *t = a.text.data + a.pieces[i].start;
        size_t tl = a.pieces[i].len;
        scratch.len = 0;
        if (step->kind == STEP_REPLACE) {
          if (tok_replace_all(step, t, tl, &scratch) < 0)
            goto oom;
        } else if (step->kind == STEP_STRIP) {
          strip(step, t, tl, &scratch);
        } else if (step->kind == STEP_METASPACE) {
          metaspace(step, t, tl, i == 0, &scratch);
        } else {
          snprintf(error, error_size, "a decoder step of an unexpected kind");
          goto failed;
        }
        if (scratch.failed ||
            tok_pieces_add(&b, scratch.data ? scratch.data : "", scratch.len, -1, 0) < 0)
          goto oom;
      }
    }
    tok_pieces swap = a;
    a = b;
    b = swap;
  }
  scratch.len = 0;
  for (size_t i = 0; i < a.count; ++i) {
    if (i > 0 && tok->decoder.count == 0) /* no decoder: the tokens joined by spaces */
      tok_buf_addc(&scratch, ' ');
    tok_buf_add(&scratch, a.text.data + a.pieces[i].start, a.pieces[i].len);
  }
  if (scratch.failed)
    goto oom;
  tok_buf_add(&scratch, "", 0); /* NUL-terminated even when empty */
  *text = scratch.data;
  *len = scratch.len;
  tok_pieces_free(&a);
  tok_pieces_free(&b);
  return 0;
oom:
  snprintf(error, error_size, "out of memory");
failed:
  tok_pieces_free(&a);
  tok_pieces_free(&b);
  tok_buf_free(&scratch);
  return -1;
}

/* Appends a piece to the caller's growing, NUL-terminated text. */
static int append_piece(const tok_buf *piece, char **out, size_t *len) {
  if (piece->failed)
    return -1;
  if (!piece->len)
    return 0;
  char *grown = (char *)realloc(*out, *len + piece->len + 1);
  if (!grown)
    return -1;
  memcpy(grown + *len, piece->data, piece->len);
  *len += piece->len;
  grown[*len] = '\0';
  *out = grown;
  return 0;
}

int slm_tok_decode_piece(const slm_tokenizer *tok, int32_t previous, int32_t id, char **out,
                         size_t *len) {
  if (tok->llama2c.data) {
    tok_buf piece = {0};
    int result = tok_llama2c_decode_piece(tok, previous, id, &piece);
    if (result == 0)
      result = append_piece(&piece, out, len);
    tok_buf_free(&piece);
    return result;
  }
  size_t token_len;
  const char *t = slm_tok_token(tok, id, &token_len);
  if (!t || slm_tok_is_special(tok, id))
    return 0;
  int first = previous < 0 || slm_tok_is_special(tok, previous);
  tok_buf a = {0}, b = {0};
  if (tok->decoder.count == 0 && !first)
    tok_buf_addc(&a, ' ');
  tok_buf_add(&a, t, token_len);
  for (int s = 0; s < tok->decoder.count && !a.failed; ++s) {
    const tok_step *step = &tok->decoder.steps[s];
    b.len = 0;
    const char *p = a.data ? a.data : "";
    switch (step->kind) {
    case STEP_BYTE_LEVEL: add_byte_level(tok, &b, p, a.len); break;
    case STEP_BYTE_FALLBACK: {
      int byte = tok_byte_token(p, a.len);
      if (byte >= 0)
        tok_buf_addc(&b, (char)byte);
      else
        tok_buf_add(&b, p, a.len);
      break;
    }
    case STEP_REPLACE: tok_replace_all(step, p, a.len, &b); break;
    case STEP_METASPACE: metaspace(step, p, a.len, first, &b); break;
    case STEP_STRIP: {
      tok_step left_only = *step;
      left_only.right = 0;
      if (!first)
        left_only.left = 0;
      strip(&left_only, p, a.len, &b);
      break;
    }
    default: tok_buf_add(&b, p, a.len); break; /* Fuse: one token is already whole */
    }
    tok_buf swap = a;
    a = b;
    b = swap;
  }
  int result = append_piece(&a, out, len);
  tok_buf_free(&a);
  tok_buf_free(&b);
  return result;
}
