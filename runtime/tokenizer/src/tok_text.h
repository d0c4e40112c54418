/*===- tok_text.h - UTF-8, Unicode properties and growable buffers -----*- C -*-===*
 *
 * The Unicode data (general categories, case mappings, NFC/NFKC) is
 * utf8proc's, statically linked: Debian's libutf8proc (Unicode 15), a C
 * library with no dependency beyond libc, whose tables are generated from the
 * Unicode Character Database. White_Space is the UCD property list's.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_TOK_TEXT_H
#define SLM_TOK_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* The code point at s (n > 0 bytes left) and its length in bytes; a byte that
 * starts no valid UTF-8 sequence is one character of its own, U+FFFD. */
int tok_utf8_next(const char *s, size_t n, int32_t *cp);
/* Encodes cp into out (4 bytes at most); returns the length. */
int tok_utf8_put(char *out, int32_t cp);
/* Whether s[0, n) is valid UTF-8. */
int tok_utf8_valid(const char *s, size_t n);

int tok_is_letter(int32_t cp);  /* \p{L}: Lu Ll Lt Lm Lo */
int tok_is_number(int32_t cp);  /* \p{N}: Nd Nl No */
int tok_is_space(int32_t cp);   /* White_Space */
int tok_is_punct(int32_t cp);   /* \p{P} */
int tok_is_mark(int32_t cp);    /* \p{M} */
int tok_is_symbol(int32_t cp);  /* \p{S} */
/* A general category by its one- or two-letter name ("L", "Lu", "N", "Nd", ...),
 * or -1 for a name that is none: then tok_in_category says no. */
int tok_category_named(const char *name, size_t len);
int tok_in_category(int32_t cp, int category);
int32_t tok_lower(int32_t cp);
int32_t tok_upper(int32_t cp);

typedef struct {
  char *data;
  size_t len, cap;
  int failed; /* an allocation failed: the contents are incomplete */
} tok_buf;

void tok_buf_add(tok_buf *b, const char *s, size_t n);
static inline void tok_buf_addc(tok_buf *b, char c) { tok_buf_add(b, &c, 1); }
void tok_buf_free(tok_buf *b);

/* GPT-2's byte-level alphabet: every byte a printable character (bytes that
 * print stand for themselves; the other 68 take U+0100 onward in order).
 * Fills the byte -> character table and its inverse (-1: no byte). */
#define TOK_BYTE_LEVEL_CHARS 324
void tok_byte_level_alphabet(int32_t byte_char[256], int16_t char_byte[TOK_BYTE_LEVEL_CHARS]);

#endif /* SLM_TOK_TEXT_H */
