/*===- json.c - a read-only JSON document for tokenizer.json -------*- C -*-===*/
#include "tok_json.h"

#include "tok_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOK_JSON_MAX_DEPTH 256

typedef struct {
  const char *p, *begin, *end;
  tok_json_doc *doc;
  int32_t capacity;
  size_t arena_used;
  char *error;
  size_t error_size;
} parser;

static int fail(parser *ps, const char *what) {
  int line = 1, column = 1;
  for (const char *c = ps->begin; c < ps->p && c < ps->end; ++c) {
    if (*c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  snprintf(ps->error, ps->error_size, "JSON: %s at line %d, column %d", what, line, column);
  return -1;
}

static void skip_space(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ++ps->p;
}

static int32_t new_node(parser *ps, tok_json_kind kind) {
  tok_json_doc *d = ps->doc;
  if (d->count == ps->capacity) {
    int32_t grown = ps->capacity ? ps->capacity * 2 : 1024;
    tok_json *nodes = (tok_json *)realloc(d->nodes, (size_t)grown * sizeof(tok_json));
    if (!nodes || grown < 0)
      return fail(ps, "out of memory");
    d->nodes = nodes;
    ps->capacity = grown;
  }
  tok_json *n = &d->nodes[d->count];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->next = n->child = -1;
  return d->count++;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

static char *put_utf8(char *o, unsigned c) {
  if (c < 0x80) {
    *o++ = (char)c;
  } else if (c < 0x800) {
    *o++ = (char)(0xC0 | (c >> 6));
    *o++ = (char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *o++ = (char)(0xE0 | (c >> 12));
    *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
    *o++ = (char)(0x80 | (c & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (c >> 18));
    *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
    *o++ = (char)(0x80 | (c & 0x3F));
  }
  return o;
}

/* A string at ps->p (on its opening quote), decoded into the arena. */
static int parse_string(parser *ps, const char **out, size_t *len) {
  char *start = ps->doc->arena + ps->arena_used, *o = start;
  ++ps->p;
  for (;;) {
    if (ps->p >= ps->end)
      return fail(ps, "unterminated string");
    unsigned char c = (unsigned char)*ps->p;
    if (c == '"')
      break;
    if (c < 0x20)
      return fail(ps, "control character in a string");
    if (c != '\\') {
      *o++ = (char)c;
      ++ps->p;
      continue;
    }
    if (ps->p + 1 >= ps->end)
      return fail(ps, "unterminated escape");
    char e = ps->p[1];
    ps->p += 2;
    switch (e) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '/': *o++ = '/'; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      unsigned u;
      if (ps->end - ps->p < 4 || !hex4(ps->p, &u))
        return fail(ps, "bad \\u escape");
      ps->p += 4;
      if (u >= 0xD800 && u < 0xDC00) { /* a high surrogate wants its low one */
        unsigned low;
        if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' && hex4(ps->p + 2, &low) &&
            low >= 0xDC00 && low < 0xE000) {
          ps->p += 6;
          u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
        } else {
          u = 0xFFFD; /* a lone surrogate, as serde_json's lossy readers give it */
        }
      } else if (u >= 0xDC00 && u < 0xE000) {
        u = 0xFFFD;
      }
      o = put_utf8(o, u);
      break;
    }
    default:
      return fail(ps, "bad escape");
    }
  }
  ++ps->p; /* the closing quote */
  *o = '\0';
  if (!tok_utf8_valid(start, (size_t)(o - start))) /* as serde_json: strings are UTF-8 */
    return fail(ps, "a string that is not valid UTF-8");
  *out = start;
  *len = (size_t)(o - start);
  ps->arena_used += *len + 1;
  return 0;
}

static int32_t parse_value(parser *ps, int depth);

static int32_t parse_container(parser *ps, int depth, int object) {
  int32_t self = new_node(ps, object ? TOK_JSON_OBJECT : TOK_JSON_ARRAY);
  if (self < 0)
    return -1;
  ++ps->p;
  skip_space(ps);
  char close = object ? '}' : ']';
  if (ps->p < ps->end && *ps->p == close) {
    ++ps->p;
    return self;
  }
  int32_t last = -1, count = 0;
  for (;;) {
    const char *key = NULL;
    size_t key_len = 0;
    skip_space(ps);
    if (object) {
      if (ps->p >= ps->end || *ps->p != '"')
        return fail(ps, "expected a member name");
      if (parse_string(ps, &key, &key_len) < 0)
        return -1;
      skip_space(ps);
      if (ps->p >= ps->end || *ps->p != ':')
        return fail(ps, "expected ':'");
      ++ps->p;
    }
    int32_t child = parse_value(ps, depth + 1);
    if (child < 0)
      return -1;
    ps->doc->nodes[child].key = key;
    ps->doc->nodes[child].key_len = key_len;
    if (last < 0)
      ps->doc->nodes[self].child = child;
    else
      ps->doc->nodes[last].next = child;
    last = child;
    ++count;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ++ps->p;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ++ps->p;
      break;
    }
    return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  ps->doc->nodes[self].count = count;
  return self;
}

static int32_t parse_value(parser *ps, int depth) {
  if (depth > TOK_JSON_MAX_DEPTH)
    return fail(ps, "nested too deeply");
  skip_space(ps);
  if (ps->p >= ps->end)
    return fail(ps, "unexpected end of input");
  char c = *ps->p;
  if (c == '{' || c == '[')
    return parse_container(ps, depth, c == '{');
  if (c == '"') {
    int32_t self = new_node(ps, TOK_JSON_STRING);
    if (self < 0)
      return -1;
    const char *s;
    size_t len;
    if (parse_string(ps, &s, &len) < 0)
      return -1;
    ps->doc->nodes[self].str = s;
    ps->doc->nodes[self].str_len = len;
    return self;
  }
  static const struct { const char *word; tok_json_kind kind; } words[] = {
      {"null", TOK_JSON_NULL}, {"true", TOK_JSON_TRUE}, {"false", TOK_JSON_FALSE}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; ++i) {
    size_t n = strlen(words[i].word);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, words[i].word, n) == 0) {
      ps->p += n;
      return new_node(ps, words[i].kind);
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    char buffer[64];
    size_t n = 0;
    while (ps->p + n < ps->end && n < sizeof buffer - 1 &&
           strchr("+-0123456789.eE", ps->p[n]) != NULL) {
      buffer[n] = ps->p[n];
      ++n;
    }
    buffer[n] = '\0';
    char *stop;
    double v = strtod(buffer, &stop);
    if (stop != buffer + n || n == 0)
      return fail(ps, "bad number");
    ps->p += n;
    int32_t self = new_node(ps, TOK_JSON_NUMBER);
    if (self >= 0)
      ps->doc->nodes[self].number = v;
    return self;
  }
  return fail(ps, "unexpected character");
}

int tok_json_parse(const char *text, size_t size, tok_json_doc *doc, char *error,
                   size_t error_size) {
  memset(doc, 0, sizeof *doc);
  if (size > (size_t)INT32_MAX) {
    snprintf(error, error_size, "JSON: %zu bytes is more than this reader takes", size);
    return 0;
  }
  parser ps = {text, text, text + size, doc, 0, 0, error, error_size};
  doc->arena = (char *)malloc(size + 1);
  if (!doc->arena) {
    snprintf(error, error_size, "JSON: out of memory");
    return 0;
  }
  if (parse_value(&ps, 0) < 0) {
    tok_json_free(doc);
    return 0;
  }
  skip_space(&ps);
  if (ps.p != ps.end) {
    fail(&ps, "text after the document");
    tok_json_free(doc);
    return 0;
  }
  return 1;
}

void tok_json_free(tok_json_doc *doc) {
  free(doc->nodes);
  free(doc->arena);
  memset(doc, 0, sizeof *doc);
}

const tok_json *tok_json_get(const tok_json_doc *d, const tok_json *object, const char *key) {
  if (!object || object->kind != TOK_JSON_OBJECT)
    return NULL;
  for (const tok_json *m = tok_json_first(d, object); m; m = tok_json_next(d, m))
    if (strcmp(m->key, key) == 0)
      return m;
  return NULL;
}

const char *tok_json_string(const tok_json_doc *d, const tok_json *object, const char *key,
                            size_t *len) {
  const tok_json *v = tok_json_get(d, object, key);
  if (!v || v->kind != TOK_JSON_STRING)
    return NULL;
  if (len)
    *len = v->str_len;
  return v->str;
}

int tok_json_bool(const tok_json_doc *d, const tok_json *object, const char *key, int fallback) {
  const tok_json *v = tok_json_get(d, object, key);
  if (!v || v->kind == TOK_JSON_NULL)
    return fallback;
  if (v->kind == TOK_JSON_TRUE)
    return 1;
  if (v->kind == TOK_JSON_FALSE)
    return 0;
  return -1;
}
