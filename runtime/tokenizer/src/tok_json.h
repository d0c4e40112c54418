/*===- tok_json.h - a read-only JSON document for tokenizer.json -------*- C -*-===*
 *
 * The tokenizer reads one JSON file per model at load time. The runtime links
 * libc only, and Debian's cJSON ships no static library, so this is a small
 * DOM parser of its own: RFC 8259, UTF-8 in and out, \u escapes with
 * surrogate pairs, every value in one array of nodes (children as linked
 * lists in file order), every string decoded into one arena.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_TOK_JSON_H
#define SLM_TOK_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  TOK_JSON_NULL,
  TOK_JSON_FALSE,
  TOK_JSON_TRUE,
  TOK_JSON_NUMBER,
  TOK_JSON_STRING,
  TOK_JSON_ARRAY,
  TOK_JSON_OBJECT
} tok_json_kind;

typedef struct tok_json {
  tok_json_kind kind;
  int32_t next;  /* the next element or member of the parent; -1 at the end */
  int32_t child; /* the first element or member (arrays, objects); -1 if empty */
  int32_t count; /* elements or members (arrays, objects) */
  const char *key; size_t key_len;  /* a member's name (NUL-terminated too) */
  const char *str; size_t str_len;  /* a string's bytes (NUL-terminated too) */
  double number;
} tok_json;

typedef struct {
  tok_json *nodes; /* nodes[0] is the root */
  char *arena;
  int32_t count;
} tok_json_doc;

/* Parses `text`; on failure returns 0 with a message (line and column) in
 * `error`. */
int tok_json_parse(const char *text, size_t size, tok_json_doc *doc, char *error,
                   size_t error_size);
void tok_json_free(tok_json_doc *doc);

static inline const tok_json *tok_json_at(const tok_json_doc *d, int32_t i) {
  return i >= 0 ? &d->nodes[i] : NULL;
}
/* The member `key` of an object, or NULL (also when `object` is not one). */
const tok_json *tok_json_get(const tok_json_doc *d, const tok_json *object, const char *key);
/* The first child and the next sibling, NULL at the end. */
static inline const tok_json *tok_json_first(const tok_json_doc *d, const tok_json *v) {
  return v && (v->kind == TOK_JSON_ARRAY || v->kind == TOK_JSON_OBJECT) ? tok_json_at(d, v->child)
                                                                        : NULL;
}
static inline const tok_json *tok_json_next(const tok_json_doc *d, const tok_json *v) {
  return tok_json_at(d, v->next);
}
/* A string member's text, or NULL when missing or not a string. */
const char *tok_json_string(const tok_json_doc *d, const tok_json *object, const char *key,
                            size_t *len);
/* A boolean member: `fallback` when missing or null; -1 when of another type. */
int tok_json_bool(const tok_json_doc *d, const tok_json *object, const char *key, int fallback);

#endif /* SLM_TOK_JSON_H */
