/*===- tmpl_value.c - the chat-template engine's arena and values --------===*/
#include "tmpl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tmpl_chunk {
  tmpl_chunk *next;
  size_t used, capacity;
  _Alignas(16) char data[];
};

void *tmpl_alloc(tmpl_arena *arena, size_t size) {
  size = (size + 15) & ~(size_t)15;
  tmpl_chunk *c = arena->head;
  if (!c || c->capacity - c->used < size) {
    size_t capacity = size > 16384 ? size : 16384;
    c = (tmpl_chunk *)malloc(sizeof(tmpl_chunk) + capacity);
    if (!c)
      return NULL;
    c->next = arena->head;
    c->used = 0;
    c->capacity = capacity;
    arena->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *tmpl_strdup(tmpl_arena *arena, const char *s, size_t n) {
  char *p = (char *)tmpl_alloc(arena, n + 1);
  if (p && n)
    memcpy(p, s, n);
  return p;
}

void tmpl_arena_free(tmpl_arena *arena) {
  for (tmpl_chunk *c = arena->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  arena->head = NULL;
}

void tmpl_error(char *error, size_t error_size, int line, const char *format, va_list args) {
  int n = snprintf(error, error_size, "chat template line %d: ", line);
  if (n >= 0 && (size_t)n < error_size)
    vsnprintf(error + n, error_size - (size_t)n, format, args);
}

tmpl_value tmpl_undefined(void) { return (tmpl_value){.kind = TV_UNDEFINED}; }
tmpl_value tmpl_none(void) { return (tmpl_value){.kind = TV_NONE}; }
tmpl_value tmpl_bool(int b) { return (tmpl_value){.kind = TV_BOOL, .u.boolean = b != 0}; }
tmpl_value tmpl_int(int64_t i) { return (tmpl_value){.kind = TV_INT, .u.integer = i}; }
tmpl_value tmpl_float(double f) { return (tmpl_value){.kind = TV_FLOAT, .u.number = f}; }
tmpl_value tmpl_str(const char *s, size_t n) {
  tmpl_value v = {.kind = TV_STRING};
  v.u.str.s = s ? s : "";
  v.u.str.n = n;
  return v;
}
tmpl_value tmpl_new_list(tmpl_arena *a) {
  tmpl_value v = {.kind = TV_LIST};
  v.u.list = (tmpl_list *)tmpl_alloc(a, sizeof(tmpl_list));
  if (!v.u.list)
    v.kind = TV_UNDEFINED;
  return v;
}
tmpl_value tmpl_new_dict(tmpl_arena *a) {
  tmpl_value v = {.kind = TV_DICT};
  v.u.dict = (tmpl_dict *)tmpl_alloc(a, sizeof(tmpl_dict));
  if (!v.u.dict)
    v.kind = TV_UNDEFINED;
  return v;
}

int tmpl_list_push(tmpl_arena *a, tmpl_list *l, tmpl_value v) {
  if (l->count == l->capacity) {
    size_t capacity = l->capacity ? 2 * l->capacity : 8;
    tmpl_value *items = (tmpl_value *)tmpl_alloc(a, capacity * sizeof(tmpl_value));
    if (!items)
      return 0;
    if (l->count)
      memcpy(items, l->items, l->count * sizeof(tmpl_value));
    l->items = items;
    l->capacity = capacity;
  }
  l->items[l->count++] = v;
  return 1;
}

const tmpl_value *tmpl_dict_get(const tmpl_dict *d, const char *key, size_t n) {
  for (size_t i = 0; i < d->count; ++i)
    if (d->key_lens[i] == n && memcmp(d->keys[i], key, n) == 0)
      return &d->values[i];
  return NULL;
}

int tmpl_dict_set(tmpl_arena *a, tmpl_dict *d, const char *key, size_t n, tmpl_value v) {
  for (size_t i = 0; i < d->count; ++i)
    if (d->key_lens[i] == n && memcmp(d->keys[i], key, n) == 0) {
      d->values[i] = v;
      return 1;
    }
  if (d->count == d->capacity) {
    size_t capacity = d->capacity ? 2 * d->capacity : 8;
    const char **keys = (const char **)tmpl_alloc(a, capacity * sizeof(char *));
    size_t *lens = (size_t *)tmpl_alloc(a, capacity * sizeof(size_t));
    tmpl_value *values = (tmpl_value *)tmpl_alloc(a, capacity * sizeof(tmpl_value));
    if (!keys || !lens || !values)
      return 0;
    if (d->count) {
      memcpy(keys, d->keys, d->count * sizeof(char *));
      memcpy(lens, d->key_lens, d->count * sizeof(size_t));
      memcpy(values, d->values, d->count * sizeof(tmpl_value));
    }
    d->keys = keys;
    d->key_lens = lens;
    d->values = values;
    d->capacity = capacity;
  }
  d->keys[d->count] = key;
  d->key_lens[d->count] = n;
  d->values[d->count] = v;
  ++d->count;
  return 1;
}

const char *tmpl_kind_name(tmpl_value v) {
  static const char *const names[] = {"undefined", "none",  "boolean", "integer", "float",
                                      "string",    "list",  "dict",    "function"};
  return names[v.kind];
}

int tmpl_truthy(tmpl_value v) {
  switch (v.kind) {
  case TV_UNDEFINED:
  case TV_NONE:
    return 0;
  case TV_BOOL:
    return v.u.boolean;
  case TV_INT:
    return v.u.integer != 0;
  case TV_FLOAT:
    return v.u.number != 0;
  case TV_STRING:
    return v.u.str.n != 0;
  case TV_LIST:
    return v.u.list->count != 0;
  case TV_DICT:
    return v.u.dict->count != 0;
  case TV_FUNCTION:
    return 1;
  }
  return 0;
}

int tmpl_equal(tmpl_value a, tmpl_value b) {
  int na = a.kind == TV_INT || a.kind == TV_FLOAT || a.kind == TV_BOOL;
  int nb = b.kind == TV_INT || b.kind == TV_FLOAT || b.kind == TV_BOOL;
  if (na && nb) { /* Python: True == 1, 1 == 1.0 */
    if (a.kind != TV_FLOAT && b.kind != TV_FLOAT) {
      int64_t x = a.kind == TV_BOOL ? a.u.boolean : a.u.integer;
      int64_t y = b.kind == TV_BOOL ? b.u.boolean : b.u.integer;
      return x == y;
    }
    double x = a.kind == TV_FLOAT ? a.u.number : a.kind == TV_BOOL ? a.u.boolean : (double)a.u.integer;
    double y = b.kind == TV_FLOAT ? b.u.number : b.kind == TV_BOOL ? b.u.boolean : (double)b.u.integer;
    return x == y;
  }
  if (a.kind != b.kind)
    return 0;
  switch (a.kind) {
  case TV_UNDEFINED:
  case TV_NONE:
    return 1;
  case TV_STRING:
    return a.u.str.n == b.u.str.n && memcmp(a.u.str.s, b.u.str.s, a.u.str.n) == 0;
  case TV_LIST:
    if (a.u.list->count != b.u.list->count)
      return 0;
    for (size_t i = 0; i < a.u.list->count; ++i)
      if (!tmpl_equal(a.u.list->items[i], b.u.list->items[i]))
        return 0;
    return 1;
  case TV_DICT:
    if (a.u.dict->count != b.u.dict->count)
      return 0;
    for (size_t i = 0; i < a.u.dict->count; ++i) {
      const tmpl_value *other = tmpl_dict_get(b.u.dict, a.u.dict->keys[i], a.u.dict->key_lens[i]);
      if (!other || !tmpl_equal(a.u.dict->values[i], *other))
        return 0;
    }
    return 1;
  case TV_FUNCTION:
    return a.u.function == b.u.function;
  default:
    return 0;
  }
}

/* Python's repr() of a float: the shortest text that reads back the same,
 * with ".0" when it would look like an integer. */
static void write_float(tok_buf *b, double f) {
  char text[40];
  if (isnan(f)) {
    tok_buf_add(b, "nan", 3);
    return;
  }
  if (isinf(f)) {
    tok_buf_add(b, f < 0 ? "-inf" : "inf", f < 0 ? 4 : 3);
    return;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    snprintf(text, sizeof text, "%.*g", precision, f);
    if (strtod(text, NULL) == f)
      break;
  }
  tok_buf_add(b, text, strlen(text));
  if (!strpbrk(text, ".en"))
    tok_buf_add(b, ".0", 2);
}

static void write_repr_string(tok_buf *b, const char *s, size_t n) {
  /* Python picks single quotes unless the text has one and no double quote. */
  int single = memchr(s, '\'', n) != NULL, dbl = memchr(s, '"', n) != NULL;
  char quote = single && !dbl ? '"' : '\'';
  tok_buf_addc(b, quote);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == (unsigned char)quote || c == '\\') {
      tok_buf_addc(b, '\\');
      tok_buf_addc(b, (char)c);
    } else if (c == '\n') {
      tok_buf_add(b, "\\n", 2);
    } else if (c == '\t') {
      tok_buf_add(b, "\\t", 2);
    } else if (c == '\r') {
      tok_buf_add(b, "\\r", 2);
    } else if (c < 0x20 || c == 0x7f) {
      char esc[5];
      snprintf(esc, sizeof esc, "\\x%02x", c);
      tok_buf_add(b, esc, 4);
    } else {
      tok_buf_addc(b, (char)c);
    }
  }
  tok_buf_addc(b, quote);
}

static void write_repr(tok_buf *b, tmpl_value v) {
  if (v.kind == TV_STRING)
    write_repr_string(b, v.u.str.s, v.u.str.n);
  else
    tmpl_write_string(b, v);
}

void tmpl_write_string(tok_buf *b, tmpl_value v) {
  char text[32];
  switch (v.kind) {
  case TV_UNDEFINED:
    return;
  case TV_NONE:
    tok_buf_add(b, "None", 4);
    return;
  case TV_BOOL:
    tok_buf_add(b, v.u.boolean ? "True" : "False", v.u.boolean ? 4 : 5);
    return;
  case TV_INT:
    snprintf(text, sizeof text, "%lld", (long long)v.u.integer);
    tok_buf_add(b, text, strlen(text));
    return;
  case TV_FLOAT:
    write_float(b, v.u.number);
    return;
  case TV_STRING:
    tok_buf_add(b, v.u.str.s, v.u.str.n);
    return;
  case TV_LIST:
    tok_buf_addc(b, '[');
    for (size_t i = 0; i < v.u.list->count; ++i) {
      if (i)
        tok_buf_add(b, ", ", 2);
      write_repr(b, v.u.list->items[i]);
    }
    tok_buf_addc(b, ']');
    return;
  case TV_DICT:
    tok_buf_addc(b, '{');
    for (size_t i = 0; i < v.u.dict->count; ++i) {
      if (i)
        tok_buf_add(b, ", ", 2);
      write_repr_string(b, v.u.dict->keys[i], v.u.dict->key_lens[i]);
      tok_buf_add(b, ": ", 2);
      write_repr(b, v.u.dict->values[i]);
    }
    tok_buf_addc(b, '}');
    return;
  case TV_FUNCTION:
    tok_buf_add(b, "<function>", 10);
    return;
  }
}

static void write_json_string(tok_buf *b, const char *s, size_t n) {
  tok_buf_addc(b, '"');
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': tok_buf_add(b, "\\\"", 2); break;
    case '\\': tok_buf_add(b, "\\\\", 2); break;
    case '\n': tok_buf_add(b, "\\n", 2); break;
    case '\r': tok_buf_add(b, "\\r", 2); break;
    case '\t': tok_buf_add(b, "\\t", 2); break;
    case '\b': tok_buf_add(b, "\\b", 2); break;
    case '\f': tok_buf_add(b, "\\f", 2); break;
    default:
      if (c < 0x20) {
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", c);
        tok_buf_add(b, esc, 6);
      } else {
        tok_buf_addc(b, (char)c);
      }
    }
  }
  tok_buf_addc(b, '"');
}

static void json_newline(tok_buf *b, int indent, int depth) {
  tok_buf_addc(b, '\n');
  for (int i = 0; i < indent * depth; ++i)
    tok_buf_addc(b, ' ');
}

void tmpl_write_json(tok_buf *b, tmpl_value v, int indent, int depth) {
  switch (v.kind) {
  case TV_UNDEFINED:
  case TV_NONE:
  case TV_FUNCTION:
    tok_buf_add(b, "null", 4);
    return;
  case TV_BOOL:
    tok_buf_add(b, v.u.boolean ? "true" : "false", v.u.boolean ? 4 : 5);
    return;
  case TV_INT:
  case TV_FLOAT:
    tmpl_write_string(b, v);
    return;
  case TV_STRING:
    write_json_string(b, v.u.str.s, v.u.str.n);
    return;
  case TV_LIST:
  case TV_DICT: {
    int list = v.kind == TV_LIST;
    size_t count = list ? v.u.list->count : v.u.dict->count;
    tok_buf_addc(b, list ? '[' : '{');
    if (count == 0) {
      tok_buf_addc(b, list ? ']' : '}');
      return;
    }
    for (size_t i = 0; i < count; ++i) {
      if (i)
        tok_buf_add(b, indent >= 0 ? "," : ", ", indent >= 0 ? 1 : 2);
      if (indent >= 0)
        json_newline(b, indent, depth + 1);
      if (list) {
        tmpl_write_json(b, v.u.list->items[i], indent, depth + 1);
      } else {
        write_json_string(b, v.u.dict->keys[i], v.u.dict->key_lens[i]);
        tok_buf_add(b, ": ", 2);
        tmpl_write_json(b, v.u.dict->values[i], indent, depth + 1);
      }
    }
    if (indent >= 0)
      json_newline(b, indent, depth);
    tok_buf_addc(b, list ? ']' : '}');
    return;
  }
  }
}
