/*===- tmpl_builtins.c - chat templates: functions, methods, filters, tests -===*
 *
 * What the chat templates of the models slmc takes call, with jinja2's and
 * Python's meaning: the globals raise_exception, namespace, range and
 * strftime_now; string and dict methods; the filters and tests below. A name
 * outside these is an error at render time that names it.
 *
 *===----------------------------------------------------------------------===*/
#include "tmpl_eval.h"

#include "tok_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME_IS(name, n, literal) ((n) == sizeof(literal) - 1 && memcmp(name, literal, n) == 0)

static int oom(tmpl_ctx *c, int line) { return tmpl_fail(c, line, "out of memory"); }

static tmpl_value arena_string(tmpl_ctx *c, const char *s, size_t n) {
  char *copy = tmpl_strdup(c->arena, s, n);
  if (!copy) {
    oom(c, 0);
    return tmpl_str("", 0);
  }
  return tmpl_str(copy, n);
}

static int want_string(tmpl_ctx *c, int line, const tmpl_value *v, const char *what) {
  if (v && v->kind == TV_STRING)
    return 1;
  return tmpl_fail(c, line, "%s needs a string", what);
}

/*===--- strings ----------------------------------------------------------===*/

/* Python's str.isspace for the characters templates meet (ASCII and the
 * common Unicode spaces are not distinguished by these templates). */
static int is_strip_space(unsigned char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static tmpl_value strip(tmpl_value s, const tmpl_value *chars, int left, int right) {
  const char *p = s.u.str.s;
  size_t a = 0, b = s.u.str.n;
  int custom = chars && chars->kind == TV_STRING;
#define STRIPPABLE(ch) (custom ? memchr(chars->u.str.s, (ch), chars->u.str.n) != NULL : is_strip_space((unsigned char)(ch)))
  if (left)
    while (a < b && STRIPPABLE(p[a]))
      ++a;
  if (right)
    while (b > a && STRIPPABLE(p[b - 1]))
      --b;
#undef STRIPPABLE
  return tmpl_str(p + a, b - a);
}

static int starts_with(tmpl_value s, tmpl_value prefix, int at_end) {
  if (prefix.kind == TV_LIST) { /* a tuple of candidates */
    for (size_t i = 0; i < prefix.u.list->count; ++i)
      if (starts_with(s, prefix.u.list->items[i], at_end))
        return 1;
    return 0;
  }
  if (prefix.kind != TV_STRING || prefix.u.str.n > s.u.str.n)
    return 0;
  const char *from = at_end ? s.u.str.s + s.u.str.n - prefix.u.str.n : s.u.str.s;
  return memcmp(from, prefix.u.str.s, prefix.u.str.n) == 0;
}

static int split(tmpl_ctx *c, int line, tmpl_value s, const tmpl_value *sep,
                 const tmpl_value *max, tmpl_value *out) {
  *out = tmpl_new_list(c->arena);
  if (out->kind != TV_LIST)
    return oom(c, line);
  int64_t limit = max && max->kind == TV_INT ? max->u.integer : -1;
  const char *p = s.u.str.s;
  size_t n = s.u.str.n, i = 0;
  if (!sep || sep->kind == TV_NONE) { /* runs of white space, none at the ends */
    while (i < n) {
      while (i < n && is_strip_space((unsigned char)p[i]))
        ++i;
      if (i == n)
        break;
      size_t j = i;
      if (limit == 0) {
        j = n;
        while (j > i && is_strip_space((unsigned char)p[j - 1]))
          --j;
      } else {
        while (j < n && !is_strip_space((unsigned char)p[j]))
          ++j;
      }
      if (!tmpl_list_push(c->arena, out->u.list, tmpl_str(p + i, j - i)))
        return oom(c, line);
      if (limit > 0)
        --limit;
      i = j;
    }
    return 1;
  }
  if (sep->kind != TV_STRING || sep->u.str.n == 0)
    return tmpl_fail(c, line, "split() needs a non-empty string separator");
  size_t m = sep->u.str.n, start = 0;
  for (i = 0; limit != 0 && i + m <= n;) {
    if (memcmp(p + i, sep->u.str.s, m) == 0) {
      if (!tmpl_list_push(c->arena, out->u.list, tmpl_str(p + start, i - start)))
        return oom(c, line);
      i += m;
      start = i;
      if (limit > 0)
        --limit;
    } else {
      ++i;
    }
  }
  if (!tmpl_list_push(c->arena, out->u.list, tmpl_str(p + start, n - start)))
    return oom(c, line);
  return 1;
}

static tmpl_value replace(tmpl_ctx *c, tmpl_value s, tmpl_value from, tmpl_value to,
                          int64_t count) {
  tok_buf b = {0};
  const char *p = s.u.str.s;
  size_t n = s.u.str.n, m = from.u.str.n, i = 0;
  while (i <= n) {
    if (count != 0 && i + m <= n && memcmp(p + i, from.u.str.s, m) == 0) {
      tok_buf_add(&b, to.u.str.s, to.u.str.n);
      if (count > 0)
        --count;
      if (m == 0) { /* Python inserts between every character */
        if (i < n)
          tok_buf_addc(&b, p[i]);
        ++i;
      } else {
        i += m;
      }
    } else {
      if (i < n)
        tok_buf_addc(&b, p[i]);
      ++i;
    }
  }
  tmpl_value v = arena_string(c, b.data ? b.data : "", b.len);
  free(b.data);
  return v;
}

/* A cased letter (Lu, Ll, Lt): one case mapping changes it. */
static int is_cased(int32_t cp) { return tok_lower(cp) != cp || tok_upper(cp) != cp; }

/* Python's str.lower/upper/capitalize/title over code points (utf8proc's
 * simple case mappings: one code point for one, so 'ß'.upper() stays 'ß'
 * where Python writes 'SS'). mode: 0 lower, 1 upper, 2 capitalize, 3 title. */
static tmpl_value change_case(tmpl_ctx *c, tmpl_value s, int mode) {
  tok_buf b = {0};
  int previous_cased = 0, first = 1;
  for (size_t i = 0; i < s.u.str.n;) {
    int32_t cp;
    i += (size_t)tok_utf8_next(s.u.str.s + i, s.u.str.n - i, &cp);
    int32_t lower = tok_lower(cp), upper = tok_upper(cp);
    int up = mode == 1 || (mode == 2 && first) || (mode == 3 && !previous_cased);
    char out[4];
    tok_buf_add(&b, out, (size_t)tok_utf8_put(out, up ? upper : lower));
    previous_cased = is_cased(cp);
    first = 0;
  }
  tmpl_value v = arena_string(c, b.data ? b.data : "", b.len);
  free(b.data);
  if (b.failed)
    oom(c, 0);
  return v;
}

/*===--- globals ----------------------------------------------------------===*/

int tmpl_call_function(tmpl_ctx *c, int line, int function, const tmpl_args *a, tmpl_value *out) {
  switch (function) {
  case TF_RAISE_EXCEPTION: {
    const tmpl_value *message = tmpl_arg(a, 0, NULL);
    tmpl_value text = message ? tmpl_stringify(c, *message) : tmpl_str("", 0);
    return tmpl_fail(c, line, "the template raised an exception: %.*s", (int)text.u.str.n,
                     text.u.str.s);
  }
  case TF_NAMESPACE:
    *out = tmpl_new_dict(c->arena);
    if (out->kind != TV_DICT)
      return oom(c, line);
    if (a->count == 1 && a->values[0].kind == TV_DICT)
      for (size_t i = 0; i < a->values[0].u.dict->count; ++i)
        if (!tmpl_dict_set(c->arena, out->u.dict, a->values[0].u.dict->keys[i],
                           a->values[0].u.dict->key_lens[i], a->values[0].u.dict->values[i]))
          return oom(c, line);
    for (size_t i = 0; i < a->kw_count; ++i)
      if (!tmpl_dict_set(c->arena, out->u.dict, a->kw_names[i], a->kw_lens[i], a->kw_values[i]))
        return oom(c, line);
    return 1;
  case TF_RANGE: {
    int64_t bounds[3] = {0, 0, 1};
    if (a->count < 1 || a->count > 3)
      return tmpl_fail(c, line, "range() takes 1 to 3 integers");
    for (size_t i = 0; i < a->count; ++i)
      if (a->values[i].kind != TV_INT)
        return tmpl_fail(c, line, "range() takes integers");
    if (a->count == 1)
      bounds[1] = a->values[0].u.integer;
    else
      for (size_t i = 0; i < a->count; ++i)
        bounds[i] = a->values[i].u.integer;
    if (bounds[2] == 0)
      return tmpl_fail(c, line, "range() step must not be zero");
    *out = tmpl_new_list(c->arena);
    if (out->kind != TV_LIST)
      return oom(c, line);
    for (int64_t i = bounds[0]; bounds[2] > 0 ? i < bounds[1] : i > bounds[1]; i += bounds[2]) {
      if (out->u.list->count >= 1000000)
        return tmpl_fail(c, line, "range() longer than a million items");
      if (!tmpl_list_push(c->arena, out->u.list, tmpl_int(i)))
        return oom(c, line);
    }
    return 1;
  }
  case TF_STRFTIME_NOW: {
    const tmpl_value *format = tmpl_arg(a, 0, NULL);
    if (!want_string(c, line, format, "strftime_now()"))
      return 0;
    char fmt[128], text[256];
    size_t n = format->u.str.n < sizeof fmt - 1 ? format->u.str.n : sizeof fmt - 1;
    memcpy(fmt, format->u.str.s, n);
    fmt[n] = 0;
    time_t now = time(NULL);
    struct tm local;
    if (!localtime_r(&now, &local))
      return tmpl_fail(c, line, "strftime_now(): no local time");
    size_t written = strftime(text, sizeof text, fmt, &local);
    *out = arena_string(c, text, written);
    return !c->failed;
  }
  default:
    return tmpl_fail(c, line, "unknown function");
  }
}

/*===--- methods ----------------------------------------------------------===*/

static int dict_view(tmpl_ctx *c, int line, tmpl_dict *d, int what /* 0 keys 1 values 2 items */,
                     tmpl_value *out) {
  *out = tmpl_new_list(c->arena);
  if (out->kind != TV_LIST)
    return oom(c, line);
  for (size_t i = 0; i < d->count; ++i) {
    tmpl_value key = tmpl_str(d->keys[i], d->key_lens[i]), item;
    if (what == 2) {
      item = tmpl_new_list(c->arena);
      if (item.kind != TV_LIST || !tmpl_list_push(c->arena, item.u.list, key) ||
          !tmpl_list_push(c->arena, item.u.list, d->values[i]))
        return oom(c, line);
    } else {
      item = what == 0 ? key : d->values[i];
    }
    if (!tmpl_list_push(c->arena, out->u.list, item))
      return oom(c, line);
  }
  return 1;
}

int tmpl_call_method(tmpl_ctx *c, int line, tmpl_value self, const char *name, size_t n,
                     const tmpl_args *a, tmpl_value *out) {
  const tmpl_value *a0 = tmpl_arg(a, 0, NULL), *a1 = tmpl_arg(a, 1, NULL);
  if (self.kind == TV_STRING) {
    if (NAME_IS(name, n, "strip") || NAME_IS(name, n, "lstrip") || NAME_IS(name, n, "rstrip")) {
      *out = strip(self, a0, name[0] != 'r', name[0] != 'l');
      return 1;
    }
    if (NAME_IS(name, n, "startswith") || NAME_IS(name, n, "endswith")) {
      if (!a0)
        return tmpl_fail(c, line, "%.*s() needs an argument", (int)n, name);
      *out = tmpl_bool(starts_with(self, *a0, name[0] == 'e'));
      return 1;
    }
    if (NAME_IS(name, n, "split"))
      return split(c, line, self, a0 ? a0 : tmpl_arg(a, 99, "sep"), a1 ? a1 : tmpl_arg(a, 99, "maxsplit"), out);
    if (NAME_IS(name, n, "lower") || NAME_IS(name, n, "upper") || NAME_IS(name, n, "capitalize") ||
        NAME_IS(name, n, "title")) {
      int mode = name[0] == 'l' ? 0 : name[0] == 'u' ? 1 : name[0] == 'c' ? 2 : 3;
      *out = change_case(c, self, mode);
      return !c->failed;
    }
    if (NAME_IS(name, n, "replace")) {
      const tmpl_value *count = tmpl_arg(a, 2, "count");
      if (!want_string(c, line, a0, "replace()") || !want_string(c, line, a1, "replace()"))
        return 0;
      *out = replace(c, self, *a0, *a1, count && count->kind == TV_INT ? count->u.integer : -1);
      return !c->failed;
    }
    if (NAME_IS(name, n, "find")) {
      if (!want_string(c, line, a0, "find()"))
        return 0;
      int64_t at = -1;
      for (size_t i = 0; at < 0 && i + a0->u.str.n <= self.u.str.n; ++i)
        if (memcmp(self.u.str.s + i, a0->u.str.s, a0->u.str.n) == 0)
          at = (int64_t)i;
      *out = tmpl_int(at);
      return 1;
    }
  } else if (self.kind == TV_DICT) {
    if (NAME_IS(name, n, "items") || NAME_IS(name, n, "keys") || NAME_IS(name, n, "values"))
      return dict_view(c, line, self.u.dict, name[0] == 'k' ? 0 : name[0] == 'v' ? 1 : 2, out);
    if (NAME_IS(name, n, "get")) {
      if (!want_string(c, line, a0, "get()"))
        return 0;
      const tmpl_value *v = tmpl_dict_get(self.u.dict, a0->u.str.s, a0->u.str.n);
      *out = v ? *v : a1 ? *a1 : tmpl_none();
      return 1;
    }
  }
  return tmpl_fail(c, line, "%s has no method '%.*s'", tmpl_kind_name(self), (int)n, name);
}

/*===--- indexing ---------------------------------------------------------===*/

/* Byte offsets of a string's code points (and one past the end). */
static size_t *code_points(tmpl_ctx *c, tmpl_value s, size_t *count) {
  size_t *starts = (size_t *)tmpl_alloc(c->arena, (s.u.str.n + 1) * sizeof(size_t));
  if (!starts)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < s.u.str.n; ++i)
    if (((unsigned char)s.u.str.s[i] & 0xC0) != 0x80)
      starts[k++] = i;
  starts[k] = s.u.str.n;
  *count = k;
  return starts;
}

int tmpl_index(tmpl_ctx *c, int line, tmpl_value x, tmpl_value index, tmpl_value *out) {
  if (x.kind == TV_DICT) {
    const tmpl_value *v = index.kind == TV_STRING
                              ? tmpl_dict_get(x.u.dict, index.u.str.s, index.u.str.n)
                              : NULL;
    *out = v ? *v : tmpl_undefined();
    return 1;
  }
  if (x.kind == TV_UNDEFINED) {
    *out = tmpl_undefined();
    return 1;
  }
  if (index.kind != TV_INT)
    return tmpl_fail(c, line, "a list or string index must be an integer");
  int64_t i = index.u.integer;
  if (x.kind == TV_LIST) {
    int64_t n = (int64_t)x.u.list->count;
    if (i < 0)
      i += n;
    *out = i >= 0 && i < n ? x.u.list->items[i] : tmpl_undefined();
    return 1;
  }
  if (x.kind == TV_STRING) {
    size_t count, *starts = code_points(c, x, &count);
    if (!starts)
      return oom(c, line);
    if (i < 0)
      i += (int64_t)count;
    *out = i >= 0 && i < (int64_t)count
               ? tmpl_str(x.u.str.s + starts[i], starts[i + 1] - starts[i])
               : tmpl_undefined();
    return 1;
  }
  *out = tmpl_undefined();
  return 1;
}

int tmpl_slice(tmpl_ctx *c, int line, tmpl_value x, const tmpl_value *start,
               const tmpl_value *stop, const tmpl_value *step, tmpl_value *out) {
  const tmpl_value *bounds[3] = {start, stop, step};
  for (int i = 0; i < 3; ++i)
    if (bounds[i] && bounds[i]->kind != TV_INT && bounds[i]->kind != TV_NONE)
      return tmpl_fail(c, line, "slice bounds must be integers");
  int64_t s = step && step->kind == TV_INT ? step->u.integer : 1;
  if (s == 0)
    return tmpl_fail(c, line, "slice step must not be zero");
  size_t count = 0, *starts = NULL;
  if (x.kind == TV_LIST) {
    count = x.u.list->count;
  } else if (x.kind == TV_STRING) {
    if (!(starts = code_points(c, x, &count)))
      return oom(c, line);
  } else {
    return tmpl_fail(c, line, "only lists and strings can be sliced");
  }
  int64_t n = (int64_t)count;
  /* Python's slice.indices */
  int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? n : n - 1;
  int64_t b = s > 0 ? 0 : n - 1, e = s > 0 ? n : -1;
  if (start && start->kind == TV_INT) {
    b = start->u.integer < 0 ? start->u.integer + n : start->u.integer;
    b = b < lo ? lo : b > hi ? hi : b;
  }
  if (stop && stop->kind == TV_INT) {
    e = stop->u.integer < 0 ? stop->u.integer + n : stop->u.integer;
    e = e < lo ? lo : e > hi ? hi : e;
  }
  if (x.kind == TV_LIST) {
    *out = tmpl_new_list(c->arena);
    if (out->kind != TV_LIST)
      return oom(c, line);
    for (int64_t i = b; s > 0 ? i < e : i > e; i += s)
      if (!tmpl_list_push(c->arena, out->u.list, x.u.list->items[i]))
        return oom(c, line);
    return 1;
  }
  if (s == 1) { /* a substring: no copy */
    *out = e > b ? tmpl_str(x.u.str.s + starts[b], starts[e] - starts[b]) : tmpl_str("", 0);
    return 1;
  }
  tok_buf buf = {0};
  for (int64_t i = b; s > 0 ? i < e : i > e; i += s)
    tok_buf_add(&buf, x.u.str.s + starts[i], starts[i + 1] - starts[i]);
  *out = arena_string(c, buf.data ? buf.data : "", buf.len);
  free(buf.data);
  return !c->failed;
}

/*===--- tests ------------------------------------------------------------===*/

int tmpl_apply_test(tmpl_ctx *c, int line, const char *name, size_t n, tmpl_value v,
                    const tmpl_args *a, int *result) {
  const tmpl_value *arg = tmpl_arg(a, 0, NULL);
  tmpl_kind k = v.kind;
  if (NAME_IS(name, n, "defined"))
    *result = k != TV_UNDEFINED;
  else if (NAME_IS(name, n, "undefined"))
    *result = k == TV_UNDEFINED;
  else if (NAME_IS(name, n, "none"))
    *result = k == TV_NONE;
  else if (NAME_IS(name, n, "string"))
    *result = k == TV_STRING;
  else if (NAME_IS(name, n, "number")) /* Python's bool is a number, not an integer */
    *result = k == TV_INT || k == TV_FLOAT || k == TV_BOOL;
  else if (NAME_IS(name, n, "integer"))
    *result = k == TV_INT;
  else if (NAME_IS(name, n, "float"))
    *result = k == TV_FLOAT;
  else if (NAME_IS(name, n, "boolean"))
    *result = k == TV_BOOL;
  else if (NAME_IS(name, n, "true"))
    *result = k == TV_BOOL && v.u.boolean;
  else if (NAME_IS(name, n, "false"))
    *result = k == TV_BOOL && !v.u.boolean;
  else if (NAME_IS(name, n, "mapping"))
    *result = k == TV_DICT;
  else if (NAME_IS(name, n, "iterable") || NAME_IS(name, n, "sequence"))
    /* jinja2's Undefined iterates as empty and has a length: it is both. */
    *result = k == TV_LIST || k == TV_DICT || k == TV_STRING || k == TV_UNDEFINED;
  else if (NAME_IS(name, n, "callable"))
    *result = k == TV_FUNCTION;
  else if (NAME_IS(name, n, "odd") || NAME_IS(name, n, "even")) {
    if (k != TV_INT)
      return tmpl_fail(c, line, "'%.*s' needs an integer", (int)n, name);
    *result = (v.u.integer % 2 != 0) == (name[0] == 'o');
  } else if (NAME_IS(name, n, "divisibleby")) {
    if (k != TV_INT || !arg || arg->kind != TV_INT || arg->u.integer == 0)
      return tmpl_fail(c, line, "'divisibleby' needs integers");
    *result = v.u.integer % arg->u.integer == 0;
  } else if (NAME_IS(name, n, "equalto") || NAME_IS(name, n, "eq") || NAME_IS(name, n, "==") ||
             NAME_IS(name, n, "sameas")) {
    if (!arg)
      return tmpl_fail(c, line, "'%.*s' needs an argument", (int)n, name);
    *result = tmpl_equal(v, *arg);
  } else if (NAME_IS(name, n, "ne")) {
    if (!arg)
      return tmpl_fail(c, line, "'ne' needs an argument");
    *result = !tmpl_equal(v, *arg);
  } else if (NAME_IS(name, n, "lower") || NAME_IS(name, n, "upper")) {
    if (k != TV_STRING)
      return tmpl_fail(c, line, "'%.*s' needs a string", (int)n, name);
    /* Python's islower/isupper: no cased letter of the other case, and at least one. */
    int cased = 0;
    for (size_t i = 0; i < v.u.str.n && !cased;) {
      int32_t cp;
      i += (size_t)tok_utf8_next(v.u.str.s + i, v.u.str.n - i, &cp);
      cased = is_cased(cp);
    }
    *result = cased && tmpl_equal(change_case(c, v, name[0] == 'u'), v);
  } else if (NAME_IS(name, n, "in")) {
    if (!arg)
      return tmpl_fail(c, line, "'in' needs an argument");
    *result = 0;
    if (arg->kind == TV_LIST)
      for (size_t i = 0; !*result && i < arg->u.list->count; ++i)
        *result = tmpl_equal(v, arg->u.list->items[i]);
    else if (arg->kind == TV_DICT && k == TV_STRING)
      *result = tmpl_dict_get(arg->u.dict, v.u.str.s, v.u.str.n) != NULL;
  } else {
    return tmpl_fail(c, line, "the test '%.*s' is not supported", (int)n, name);
  }
  return 1;
}

/*===--- filters ----------------------------------------------------------===*/

int tmpl_items(tmpl_ctx *c, int line, tmpl_value v, const char *doing, tmpl_list **items) {
  if (v.kind == TV_LIST) {
    *items = v.u.list;
    return 1;
  }
  tmpl_value list = tmpl_new_list(c->arena);
  if (list.kind != TV_LIST)
    return oom(c, line);
  *items = list.u.list;
  if (v.kind == TV_DICT) {
    for (size_t i = 0; i < v.u.dict->count; ++i)
      if (!tmpl_list_push(c->arena, *items, tmpl_str(v.u.dict->keys[i], v.u.dict->key_lens[i])))
        return oom(c, line);
  } else if (v.kind == TV_STRING) {
    for (size_t i = 0; i < v.u.str.n;) {
      size_t k = i + 1;
      while (k < v.u.str.n && ((unsigned char)v.u.str.s[k] & 0xC0) == 0x80)
        ++k;
      if (!tmpl_list_push(c->arena, *items, tmpl_str(v.u.str.s + i, k - i)))
        return oom(c, line);
      i = k;
    }
  } else if (v.kind != TV_UNDEFINED) {
    return tmpl_fail(c, line, "cannot %s %s", doing, tmpl_kind_name(v));
  }
  return 1;
}

/* An attribute path "a.b" of an item (selectattr, map, join, sort). */
static tmpl_value attribute_of(tmpl_value item, tmpl_value path) {
  const char *p = path.u.str.s, *end = p + path.u.str.n;
  while (p <= end && item.kind == TV_DICT) {
    const char *dot = (const char *)memchr(p, '.', (size_t)(end - p));
    size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
    const tmpl_value *v = tmpl_dict_get(item.u.dict, p, n);
    if (!v)
      return tmpl_undefined();
    item = *v;
    if (!dot)
      return item;
    p = dot + 1;
  }
  return tmpl_undefined();
}

static int select_attr(tmpl_ctx *c, int line, tmpl_value input, const tmpl_args *a, int keep,
                       tmpl_value *out) {
  tmpl_list *items;
  const tmpl_value *path = tmpl_arg(a, 0, NULL), *test = tmpl_arg(a, 1, NULL);
  if (!want_string(c, line, path, "selectattr/rejectattr") || !tmpl_items(c, line, input, "iterate over", &items))
    return 0;
  if (test && test->kind != TV_STRING)
    return tmpl_fail(c, line, "selectattr/rejectattr: the test must be named by a string");
  *out = tmpl_new_list(c->arena);
  if (out->kind != TV_LIST)
    return oom(c, line);
  tmpl_args rest = {a->count > 2 ? a->values + 2 : NULL, a->count > 2 ? a->count - 2 : 0,
                    NULL, NULL, NULL, 0};
  for (size_t i = 0; i < items->count; ++i) {
    tmpl_value v = attribute_of(items->items[i], *path);
    int result;
    if (test) {
      if (!tmpl_apply_test(c, line, test->u.str.s, test->u.str.n, v, &rest, &result))
        return 0;
    } else {
      result = tmpl_truthy(v);
    }
    if (result == keep && !tmpl_list_push(c->arena, out->u.list, items->items[i]))
      return oom(c, line);
  }
  return 1;
}

int tmpl_apply_filter(tmpl_ctx *c, int line, const char *name, size_t n, tmpl_value v,
                      const tmpl_args *a, tmpl_value *out) {
  const tmpl_value *a0 = tmpl_arg(a, 0, NULL);
  tmpl_list *items;
  if (NAME_IS(name, n, "trim") || NAME_IS(name, n, "strip")) {
    if (v.kind != TV_STRING)
      v = tmpl_stringify(c, v);
    *out = strip(v, a0, 1, 1);
    return !c->failed;
  }
  if (NAME_IS(name, n, "length") || NAME_IS(name, n, "count")) {
    if (v.kind == TV_STRING) {
      size_t count;
      if (!code_points(c, v, &count))
        return oom(c, line);
      *out = tmpl_int((int64_t)count);
    } else if (v.kind == TV_LIST) {
      *out = tmpl_int((int64_t)v.u.list->count);
    } else if (v.kind == TV_DICT) {
      *out = tmpl_int((int64_t)v.u.dict->count);
    } else if (v.kind == TV_UNDEFINED) {
      *out = tmpl_int(0);
    } else {
      return tmpl_fail(c, line, "'length' needs a string, list or dict");
    }
    return 1;
  }
  if (NAME_IS(name, n, "list")) {
    if (!tmpl_items(c, line, v, "iterate over", &items))
      return 0;
    *out = tmpl_new_list(c->arena); /* a copy, as list() makes */
    if (out->kind != TV_LIST)
      return oom(c, line);
    for (size_t i = 0; i < items->count; ++i)
      if (!tmpl_list_push(c->arena, out->u.list, items->items[i]))
        return oom(c, line);
    return 1;
  }
  if (NAME_IS(name, n, "first") || NAME_IS(name, n, "last")) {
    if (!tmpl_items(c, line, v, "iterate over", &items))
      return 0;
    *out = items->count == 0 ? tmpl_undefined()
                             : items->items[name[0] == 'f' ? 0 : items->count - 1];
    return 1;
  }
  if (NAME_IS(name, n, "reverse")) {
    if (!tmpl_items(c, line, v, "iterate over", &items))
      return 0;
    tmpl_value list = tmpl_new_list(c->arena);
    if (list.kind != TV_LIST)
      return oom(c, line);
    for (size_t i = items->count; i-- > 0;)
      if (!tmpl_list_push(c->arena, list.u.list, items->items[i]))
        return oom(c, line);
    if (v.kind == TV_STRING) {
      tok_buf b = {0};
      for (size_t i = 0; i < list.u.list->count; ++i)
        tok_buf_add(&b, list.u.list->items[i].u.str.s, list.u.list->items[i].u.str.n);
      *out = arena_string(c, b.data ? b.data : "", b.len);
      free(b.data);
      return !c->failed;
    }
    *out = list;
    return 1;
  }
  if (NAME_IS(name, n, "join")) {
    const tmpl_value *attribute = tmpl_arg(a, 1, "attribute");
    tmpl_value sep = a0 && a0->kind == TV_STRING ? *a0 : tmpl_str("", 0);
    if (!tmpl_items(c, line, v, "iterate over", &items))
      return 0;
    tok_buf b = {0};
    for (size_t i = 0; i < items->count; ++i) {
      if (i)
        tok_buf_add(&b, sep.u.str.s, sep.u.str.n);
      tmpl_value item = items->items[i];
      if (attribute && attribute->kind == TV_STRING)
        item = attribute_of(item, *attribute);
      tmpl_write_string(&b, item);
    }
    *out = arena_string(c, b.data ? b.data : "", b.len);
    free(b.data);
    return !c->failed;
  }
  if (NAME_IS(name, n, "default") || NAME_IS(name, n, "d")) {
    const tmpl_value *boolean = tmpl_arg(a, 1, "boolean");
    int use_default = v.kind == TV_UNDEFINED || (boolean && tmpl_truthy(*boolean) && !tmpl_truthy(v));
    *out = use_default ? (a0 ? *a0 : tmpl_str("", 0)) : v;
    return 1;
  }
  if (NAME_IS(name, n, "upper") || NAME_IS(name, n, "lower") || NAME_IS(name, n, "capitalize") ||
      NAME_IS(name, n, "title")) {
    tmpl_value s = tmpl_stringify(c, v);
    *out = change_case(c, s, name[0] == 'l' ? 0 : name[0] == 'u' ? 1 : name[0] == 'c' ? 2 : 3);
    return !c->failed;
  }
  if (NAME_IS(name, n, "replace")) {
    const tmpl_value *a1 = tmpl_arg(a, 1, NULL), *count = tmpl_arg(a, 2, "count");
    tmpl_value s = tmpl_stringify(c, v);
    if (!want_string(c, line, a0, "replace") || !want_string(c, line, a1, "replace"))
      return 0;
    *out = replace(c, s, *a0, *a1, count && count->kind == TV_INT ? count->u.integer : -1);
    return !c->failed;
  }
  if (NAME_IS(name, n, "string") || NAME_IS(name, n, "safe") || NAME_IS(name, n, "e") ||
      NAME_IS(name, n, "escape")) {
    if (NAME_IS(name, n, "e") || NAME_IS(name, n, "escape"))
      return tmpl_fail(c, line, "the filter 'escape' is not supported");
    *out = NAME_IS(name, n, "safe") ? v : tmpl_stringify(c, v);
    return !c->failed;
  }
  if (NAME_IS(name, n, "tojson")) {
    const tmpl_value *indent = tmpl_arg(a, 0, "indent");
    tok_buf b = {0};
    tmpl_write_json(&b, v, indent && indent->kind == TV_INT ? (int)indent->u.integer : -1, 0);
    *out = arena_string(c, b.data ? b.data : "", b.len);
    free(b.data);
    return !c->failed;
  }
  if (NAME_IS(name, n, "int")) {
    if (v.kind == TV_FLOAT)
      *out = tmpl_int((int64_t)v.u.number);
    else if (v.kind == TV_INT || v.kind == TV_BOOL)
      *out = tmpl_int(v.kind == TV_BOOL ? v.u.boolean : v.u.integer);
    else if (v.kind == TV_STRING) {
      char text[64];
      size_t k = v.u.str.n < sizeof text - 1 ? v.u.str.n : sizeof text - 1;
      memcpy(text, v.u.str.s, k);
      text[k] = 0;
      char *end;
      long long parsed = strtoll(text, &end, 10);
      *out = tmpl_int(end != text ? parsed : 0);
    } else
      *out = tmpl_int(0);
    return 1;
  }
  if (NAME_IS(name, n, "float")) {
    if (v.kind == TV_FLOAT || v.kind == TV_INT || v.kind == TV_BOOL)
      *out = tmpl_float(v.kind == TV_FLOAT ? v.u.number : (double)(v.kind == TV_BOOL ? v.u.boolean : v.u.integer));
    else
      *out = tmpl_float(0);
    return 1;
  }
  if (NAME_IS(name, n, "abs")) {
    if (v.kind == TV_INT)
      *out = tmpl_int(v.u.integer < 0 ? -v.u.integer : v.u.integer);
    else if (v.kind == TV_FLOAT)
      *out = tmpl_float(fabs(v.u.number));
    else
      return tmpl_fail(c, line, "'abs' needs a number");
    return 1;
  }
  if (NAME_IS(name, n, "items")) {
    if (v.kind != TV_DICT)
      return tmpl_fail(c, line, "'items' needs a dict");
    return dict_view(c, line, v.u.dict, 2, out);
  }
  if (NAME_IS(name, n, "selectattr") || NAME_IS(name, n, "rejectattr"))
    return select_attr(c, line, v, a, name[0] == 's', out);
  if (NAME_IS(name, n, "map")) {
    const tmpl_value *attribute = tmpl_arg(a, 99, "attribute");
    if (!tmpl_items(c, line, v, "iterate over", &items))
      return 0;
    *out = tmpl_new_list(c->arena);
    if (out->kind != TV_LIST)
      return oom(c, line);
    for (size_t i = 0; i < items->count; ++i) {
      tmpl_value mapped;
      if (attribute && attribute->kind == TV_STRING) {
        mapped = attribute_of(items->items[i], *attribute);
      } else if (a0 && a0->kind == TV_STRING) {
        tmpl_args rest = {a->count > 1 ? a->values + 1 : NULL, a->count > 1 ? a->count - 1 : 0,
                          NULL, NULL, NULL, 0};
        if (!tmpl_apply_filter(c, line, a0->u.str.s, a0->u.str.n, items->items[i], &rest, &mapped))
          return 0;
      } else {
        return tmpl_fail(c, line, "'map' needs a filter name or attribute=");
      }
      if (!tmpl_list_push(c->arena, out->u.list, mapped))
        return oom(c, line);
    }
    return 1;
  }
  return tmpl_fail(c, line, "the filter '%.*s' is not supported", (int)n, name);
}
