/*===- tok_regex.h - the pre-tokenizers' regular expressions -----------*- C -*-===*
 *
 * tokenizer.json's Split pre-tokenizers carry Oniguruma patterns (the GPT-2
 * one, the Llama-3/Qwen one with \p{L}/\p{N} classes and case-insensitive
 * contractions). This is a backtracking matcher with the same leftmost-first,
 * greedy semantics for the constructs those patterns use: literals, ., classes
 * with ranges, \s \d \w, \p{..}/\P{..} general categories, groups (?:..),
 * flag groups (?i:..) and (?i), alternation, * + ? {m,n} (greedy or lazy),
 * lookahead (?=..) (?!..), ^ and $. Anything else (lookbehind, backreferences,
 * possessive quantifiers, ...) is refused when compiled, by name. Subjects
 * are valid UTF-8; matching works on code points.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_TOK_REGEX_H
#define SLM_TOK_REGEX_H

#include <stddef.h>

typedef struct tok_regex tok_regex;

/* NULL with a message naming the construct on failure. */
tok_regex *tok_regex_compile(const char *pattern, size_t len, char *error, size_t error_size);
/* The leftmost match starting at or after `from`: 1 with [*start, *end), 0 if
 * none, -1 if the match ran past its step budget (a pattern that backtracks
 * without end). */
int tok_regex_find(const tok_regex *re, const char *s, size_t n, size_t from, size_t *start,
                   size_t *end);
void tok_regex_free(tok_regex *re);

#endif /* SLM_TOK_REGEX_H */
