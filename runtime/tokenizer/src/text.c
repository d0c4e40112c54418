/*===- text.c - UTF-8, Unicode properties and growable buffers -----*- C -*-===*/
#include "tok_text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int tok_utf8_next(const char *s, size_t n, int32_t *cp) {
  utf8proc_int32_t c;
  utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &c);
  if (len <= 0) {
    *cp = 0xFFFD;
    return 1;
  }
  *cp = c;
  return (int)len;
}

int tok_utf8_put(char *out, int32_t cp) {
  return (int)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
}

int tok_utf8_valid(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    utf8proc_int32_t c;
    utf8proc_ssize_t len =
        utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
    if (len <= 0)
      return 0;
    i += (size_t)len;
  }
  return 1;
}

static int category(int32_t cp) { return (int)utf8proc_category(cp); }

int tok_is_letter(int32_t cp) {
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}
int tok_is_number(int32_t cp) {
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}
int tok_is_mark(int32_t cp) {
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}
int tok_is_punct(int32_t cp) {
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}
int tok_is_symbol(int32_t cp) {
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_SM && c <= UTF8PROC_CATEGORY_SO;
}

int tok_is_space(int32_t cp) {
  /* PropList.txt, White_Space (Unicode 15) */
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

/* Categories named as the UCD names them; one letter means the whole class
 * (encoded as -(first letter)). */
static const char *const kCategoryNames[] = {
    "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
    "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};

int tok_category_named(const char *name, size_t len) {
  if (len == 1 && strchr("LMNPSZC", name[0]))
    return 1000 + name[0];
  if (len == 2)
    for (int i = 0; i < (int)(sizeof kCategoryNames / sizeof kCategoryNames[0]); ++i)
      if (memcmp(kCategoryNames[i], name, 2) == 0)
        return i;
  return -1;
}

int tok_in_category(int32_t cp, int wanted) {
  if (wanted < 0)
    return 0;
  int c = category(cp);
  if (wanted >= 1000)
    return kCategoryNames[c][0] == (char)(wanted - 1000);
  return c == wanted;
}

int32_t tok_lower(int32_t cp) { return utf8proc_tolower(cp); }
int32_t tok_upper(int32_t cp) { return utf8proc_toupper(cp); }

void tok_buf_add(tok_buf *b, const char *s, size_t n) {
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *grown = (char *)realloc(b->data, cap);
    if (!grown) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  if (n)
    memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void tok_buf_free(tok_buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

static int prints_as_itself(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

void tok_byte_level_alphabet(int32_t byte_char[256], int16_t char_byte[TOK_BYTE_LEVEL_CHARS]) {
  for (int c = 0; c < TOK_BYTE_LEVEL_CHARS; ++c)
    char_byte[c] = -1;
  int unprinted = 0; /* bytes that do not print take U+0100 onward, in order */
  for (int b = 0; b < 256; ++b) {
    byte_char[b] = prints_as_itself(b) ? b : 256 + unprinted++;
    char_byte[byte_char[b]] = (int16_t)b;
  }
}
