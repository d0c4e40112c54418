/*===- tmpl_eval.c - chat templates: statements and expressions -----------===*
 *
 * A tree walk. Variables live in frames: the globals, then one frame per
 * loop iteration, so that `set` inside a loop does not leak out of it (which
 * is why templates keep state in a namespace(), a dict shared by reference).
 * Undefined names and missing attributes are `undefined` (printed as
 * nothing, falsy, `is defined` false), as jinja2's default Undefined.
 *
 *===----------------------------------------------------------------------===*/
#include "tmpl_eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tmpl_fail(tmpl_ctx *c, int line, const char *format, ...) {
  if (c->failed)
    return 0;
  c->failed = 1;
  va_list args;
  va_start(args, format);
  tmpl_error(c->error, c->error_size, line, format, args);
  va_end(args);
  return 0;
}

const tmpl_value *tmpl_arg(const tmpl_args *a, size_t index, const char *name) {
  if (name)
    for (size_t i = 0; i < a->kw_count; ++i)
      if (a->kw_lens[i] == strlen(name) && memcmp(a->kw_names[i], name, a->kw_lens[i]) == 0)
        return &a->kw_values[i];
  return index < a->count ? &a->values[index] : NULL;
}

tmpl_value tmpl_stringify(tmpl_ctx *c, tmpl_value v) {
  if (v.kind == TV_STRING)
    return v;
  tok_buf b = {0};
  tmpl_write_string(&b, v);
  char *s = tmpl_strdup(c->arena, b.data ? b.data : "", b.len);
  size_t n = b.len;
  free(b.data);
  if (!s || b.failed) {
    tmpl_fail(c, 0, "out of memory");
    return tmpl_str("", 0);
  }
  return tmpl_str(s, n);
}

static int push_frame(tmpl_ctx *c, int line) {
  if (c->depth == c->capacity) {
    size_t capacity = c->capacity ? 2 * c->capacity : 16;
    tmpl_dict **frames = (tmpl_dict **)realloc(c->frames, capacity * sizeof(tmpl_dict *));
    if (!frames)
      return tmpl_fail(c, line, "out of memory");
    c->frames = frames;
    c->capacity = capacity;
  }
  if (c->depth >= 1000)
    return tmpl_fail(c, line, "loops nested more than 1000 deep");
  tmpl_value frame = tmpl_new_dict(c->arena);
  if (frame.kind != TV_DICT)
    return tmpl_fail(c, line, "out of memory");
  c->frames[c->depth++] = frame.u.dict;
  return 1;
}

static tmpl_value lookup(tmpl_ctx *c, const char *name, size_t n) {
  for (size_t i = c->depth; i-- > 0;) {
    const tmpl_value *v = tmpl_dict_get(c->frames[i], name, n);
    if (v)
      return *v;
  }
  static const struct {
    const char *name;
    int function;
  } functions[] = {{"raise_exception", TF_RAISE_EXCEPTION},
                   {"namespace", TF_NAMESPACE},
                   {"range", TF_RANGE},
                   {"strftime_now", TF_STRFTIME_NOW}};
  for (size_t i = 0; i < sizeof functions / sizeof *functions; ++i)
    if (strlen(functions[i].name) == n && memcmp(functions[i].name, name, n) == 0)
      return (tmpl_value){.kind = TV_FUNCTION, .u.function = functions[i].function};
  return tmpl_undefined();
}

static int eval(tmpl_ctx *c, const tmpl_node *n, tmpl_value *out);

/* Evaluates a node's arguments into arena arrays. */
static int eval_args(tmpl_ctx *c, const tmpl_node *n, tmpl_args *a) {
  tmpl_value *values = (tmpl_value *)tmpl_alloc(c->arena, (n->arg_count + 1) * sizeof(tmpl_value));
  tmpl_value *kw = (tmpl_value *)tmpl_alloc(c->arena, (n->kw_count + 1) * sizeof(tmpl_value));
  if (!values || !kw)
    return tmpl_fail(c, n->line, "out of memory");
  for (size_t i = 0; i < n->arg_count; ++i)
    if (!eval(c, n->args[i], &values[i]))
      return 0;
  for (size_t i = 0; i < n->kw_count; ++i)
    if (!eval(c, n->kw_values[i], &kw[i]))
      return 0;
  a->values = values;
  a->count = n->arg_count;
  a->kw_names = n->kw_names;
  a->kw_lens = n->kw_lens;
  a->kw_values = kw;
  a->kw_count = n->kw_count;
  return 1;
}

static int is_number(tmpl_value v) {
  return v.kind == TV_INT || v.kind == TV_FLOAT || v.kind == TV_BOOL;
}
static double as_double(tmpl_value v) {
  return v.kind == TV_FLOAT ? v.u.number : v.kind == TV_BOOL ? v.u.boolean : (double)v.u.integer;
}
static int64_t as_int(tmpl_value v) { return v.kind == TV_BOOL ? v.u.boolean : v.u.integer; }


static int contains(tmpl_ctx *c, int line, tmpl_value item, tmpl_value container, int *result) {
  switch (container.kind) {
  case TV_STRING: {
    if (item.kind != TV_STRING)
      return tmpl_fail(c, line, "'in <string>' needs a string on the left, not %s", tmpl_kind_name(item));
    const char *s = container.u.str.s;
    size_t n = container.u.str.n, m = item.u.str.n;
    *result = m == 0;
    for (size_t i = 0; !*result && i + m <= n; ++i)
      *result = memcmp(s + i, item.u.str.s, m) == 0;
    return 1;
  }
  case TV_LIST:
    *result = 0;
    for (size_t i = 0; !*result && i < container.u.list->count; ++i)
      *result = tmpl_equal(item, container.u.list->items[i]);
    return 1;
  case TV_DICT:
    *result = item.kind == TV_STRING &&
              tmpl_dict_get(container.u.dict, item.u.str.s, item.u.str.n) != NULL;
    return 1;
  case TV_UNDEFINED:
    *result = 0;
    return 1;
  default:
    return tmpl_fail(c, line, "'in' needs a string, list or dict on the right, not %s",
                     tmpl_kind_name(container));
  }
}

static int compare(tmpl_ctx *c, int line, tmpl_value a, tmpl_value b, int *order) {
  if (is_number(a) && is_number(b)) {
    double x = as_double(a), y = as_double(b);
    if (a.kind != TV_FLOAT && b.kind != TV_FLOAT) {
      int64_t i = as_int(a), j = as_int(b);
      *order = i < j ? -1 : i > j;
    } else {
      *order = x < y ? -1 : x > y;
    }
    return 1;
  }
  if (a.kind == TV_STRING && b.kind == TV_STRING) {
    size_t n = a.u.str.n < b.u.str.n ? a.u.str.n : b.u.str.n;
    int r = memcmp(a.u.str.s, b.u.str.s, n);
    *order = r ? (r < 0 ? -1 : 1) : (a.u.str.n < b.u.str.n ? -1 : a.u.str.n > b.u.str.n);
    return 1;
  }
  return tmpl_fail(c, line, "cannot order %s and %s", tmpl_kind_name(a), tmpl_kind_name(b));
}

static int concat_strings(tmpl_ctx *c, int line, tmpl_value a, tmpl_value b, tmpl_value *out) {
  size_t n = a.u.str.n + b.u.str.n;
  char *s = (char *)tmpl_alloc(c->arena, n + 1);
  if (!s)
    return tmpl_fail(c, line, "out of memory");
  memcpy(s, a.u.str.s, a.u.str.n);
  memcpy(s + a.u.str.n, b.u.str.s, b.u.str.n);
  *out = tmpl_str(s, n);
  return 1;
}

static int arithmetic(tmpl_ctx *c, int line, tmpl_op op, tmpl_value a, tmpl_value b,
                      tmpl_value *out) {
  if (op == TOP_CONCAT)
    return concat_strings(c, line, tmpl_stringify(c, a), tmpl_stringify(c, b), out);
  if (op == TOP_ADD && a.kind == TV_STRING && b.kind == TV_STRING)
    return concat_strings(c, line, a, b, out);
  if (op == TOP_ADD && a.kind == TV_LIST && b.kind == TV_LIST) {
    *out = tmpl_new_list(c->arena);
    if (out->kind != TV_LIST)
      return tmpl_fail(c, line, "out of memory");
    for (size_t i = 0; i < a.u.list->count; ++i)
      if (!tmpl_list_push(c->arena, out->u.list, a.u.list->items[i]))
        return tmpl_fail(c, line, "out of memory");
    for (size_t i = 0; i < b.u.list->count; ++i)
      if (!tmpl_list_push(c->arena, out->u.list, b.u.list->items[i]))
        return tmpl_fail(c, line, "out of memory");
    return 1;
  }
  if (op == TOP_MUL && a.kind == TV_STRING && (b.kind == TV_INT || b.kind == TV_BOOL)) {
    int64_t times = as_int(b);
    size_t n = times > 0 ? a.u.str.n * (size_t)times : 0;
    if (times > 0 && n / (size_t)times != a.u.str.n)
      return tmpl_fail(c, line, "string repetition too large");
    char *s = (char *)tmpl_alloc(c->arena, n + 1);
    if (!s)
      return tmpl_fail(c, line, "out of memory");
    for (int64_t i = 0; i < times; ++i)
      memcpy(s + (size_t)i * a.u.str.n, a.u.str.s, a.u.str.n);
    *out = tmpl_str(s, n);
    return 1;
  }
  if (!is_number(a) || !is_number(b)) {
    static const char *const symbols[] = {"+", "-", "*", "/", "//", "%"};
    return tmpl_fail(c, line, "unsupported operand types for %s: %s and %s", symbols[op],
                     tmpl_kind_name(a), tmpl_kind_name(b));
  }
  int integers = a.kind != TV_FLOAT && b.kind != TV_FLOAT;
  double x = as_double(a), y = as_double(b);
  int64_t i = as_int(a), j = as_int(b);
  switch (op) {
  case TOP_ADD:
    *out = integers ? tmpl_int((int64_t)((uint64_t)i + (uint64_t)j)) : tmpl_float(x + y);
    return 1;
  case TOP_SUB:
    *out = integers ? tmpl_int((int64_t)((uint64_t)i - (uint64_t)j)) : tmpl_float(x - y);
    return 1;
  case TOP_MUL:
    *out = integers ? tmpl_int((int64_t)((uint64_t)i * (uint64_t)j)) : tmpl_float(x * y);
    return 1;
  case TOP_DIV:
    if (y == 0)
      return tmpl_fail(c, line, "division by zero");
    *out = tmpl_float(x / y);
    return 1;
  case TOP_FLOORDIV:
  case TOP_MOD:
    if (y == 0)
      return tmpl_fail(c, line, "division by zero");
    if (integers) { /* Python: floor division, the remainder takes the divisor's sign */
      if (i == INT64_MIN && j == -1)
        return tmpl_fail(c, line, "integer overflow");
      int64_t q = i / j, r = i % j;
      if (r != 0 && ((r < 0) != (j < 0))) {
        --q;
        r += j;
      }
      *out = tmpl_int(op == TOP_FLOORDIV ? q : r);
    } else {
      double q = floor(x / y);
      *out = tmpl_float(op == TOP_FLOORDIV ? q : x - q * y);
    }
    return 1;
  default:
    return tmpl_fail(c, line, "unknown operator");
  }
}

static int binary(tmpl_ctx *c, const tmpl_node *n, tmpl_value *out) {
  tmpl_value a, b;
  if (!eval(c, n->a, &a) || !eval(c, n->b, &b))
    return 0;
  int result = 0, order = 0; /* set by compare/contains on success */
  switch (n->op) {
  case TOP_EQ:
  case TOP_NE:
    result = tmpl_equal(a, b);
    *out = tmpl_bool(n->op == TOP_EQ ? result : !result);
    return 1;
  case TOP_LT:
  case TOP_LE:
  case TOP_GT:
  case TOP_GE:
    if (!compare(c, n->line, a, b, &order))
      return 0;
    result = n->op == TOP_LT ? order < 0 : n->op == TOP_LE ? order <= 0 : n->op == TOP_GT ? order > 0 : order >= 0;
    *out = tmpl_bool(result);
    return 1;
  case TOP_IN:
  case TOP_NOT_IN:
    if (!contains(c, n->line, a, b, &result))
      return 0;
    *out = tmpl_bool(n->op == TOP_IN ? result : !result);
    return 1;
  default:
    return arithmetic(c, n->line, n->op, a, b, out);
  }
}

static int call(tmpl_ctx *c, const tmpl_node *n, tmpl_value *out) {
  tmpl_args args;
  const tmpl_node *callee = n->a;
  if (callee->kind == TN_ATTRIBUTE) {
    tmpl_value self;
    if (!eval(c, callee->a, &self))
      return 0;
    const tmpl_value *member =
        self.kind == TV_DICT ? tmpl_dict_get(self.u.dict, callee->name, callee->name_len) : NULL;
    if (!member || member->kind != TV_FUNCTION) {
      if (!eval_args(c, n, &args))
        return 0;
      return tmpl_call_method(c, n->line, self, callee->name, callee->name_len, &args, out);
    }
  }
  tmpl_value function;
  if (!eval(c, callee, &function))
    return 0;
  if (function.kind != TV_FUNCTION) {
    if (callee->kind == TN_NAME)
      return tmpl_fail(c, n->line, "'%.*s' is %s, not a function", (int)callee->name_len,
                       callee->name, tmpl_kind_name(function));
    return tmpl_fail(c, n->line, "%s is not callable", tmpl_kind_name(function));
  }
  if (!eval_args(c, n, &args))
    return 0;
  return tmpl_call_function(c, n->line, function.u.function, &args, out);
}

static int eval(tmpl_ctx *c, const tmpl_node *n, tmpl_value *out) {
  if (c->failed)
    return 0;
  tmpl_value a, b;
  tmpl_args args;
  switch (n->kind) {
  case TN_LITERAL:
    *out = n->literal;
    return 1;
  case TN_NAME:
    *out = lookup(c, n->name, n->name_len);
    return 1;
  case TN_ATTRIBUTE: {
    if (!eval(c, n->a, &a))
      return 0;
    const tmpl_value *v = a.kind == TV_DICT ? tmpl_dict_get(a.u.dict, n->name, n->name_len) : NULL;
    *out = v ? *v : tmpl_undefined();
    return 1;
  }
  case TN_INDEX:
    return eval(c, n->a, &a) && eval(c, n->b, &b) && tmpl_index(c, n->line, a, b, out);
  case TN_SLICE: {
    tmpl_value parts[3];
    const tmpl_node *nodes[3] = {n->b, n->c, n->body};
    if (!eval(c, n->a, &a))
      return 0;
    for (int i = 0; i < 3; ++i)
      if (nodes[i] && !eval(c, nodes[i], &parts[i]))
        return 0;
    return tmpl_slice(c, n->line, a, n->b ? &parts[0] : NULL, n->c ? &parts[1] : NULL,
                      n->body ? &parts[2] : NULL, out);
  }
  case TN_CALL:
    return call(c, n, out);
  case TN_FILTER:
    return eval(c, n->a, &a) && eval_args(c, n, &args) &&
           tmpl_apply_filter(c, n->line, n->name, n->name_len, a, &args, out);
  case TN_TEST: {
    int result;
    if (!eval(c, n->a, &a) || !eval_args(c, n, &args) ||
        !tmpl_apply_test(c, n->line, n->name, n->name_len, a, &args, &result))
      return 0;
    *out = tmpl_bool(n->negated ? !result : result);
    return 1;
  }
  case TN_NOT:
    if (!eval(c, n->a, &a))
      return 0;
    *out = tmpl_bool(!tmpl_truthy(a));
    return 1;
  case TN_NEGATE:
    if (!eval(c, n->a, &a))
      return 0;
    if (a.kind == TV_FLOAT)
      *out = tmpl_float(-a.u.number);
    else if (a.kind == TV_INT || a.kind == TV_BOOL)
      *out = tmpl_int((int64_t)(0 - (uint64_t)as_int(a)));
    else
      return tmpl_fail(c, n->line, "cannot negate %s", tmpl_kind_name(a));
    return 1;
  case TN_BINARY:
    return binary(c, n, out);
  case TN_AND: /* Python: the deciding operand itself */
    if (!eval(c, n->a, &a))
      return 0;
    if (!tmpl_truthy(a)) {
      *out = a;
      return 1;
    }
    return eval(c, n->b, out);
  case TN_OR:
    if (!eval(c, n->a, &a))
      return 0;
    if (tmpl_truthy(a)) {
      *out = a;
      return 1;
    }
    return eval(c, n->b, out);
  case TN_CONDITIONAL:
    if (!eval(c, n->b, &b))
      return 0;
    if (tmpl_truthy(b))
      return eval(c, n->a, out);
    if (n->c)
      return eval(c, n->c, out);
    *out = tmpl_undefined();
    return 1;
  case TN_LIST:
    *out = tmpl_new_list(c->arena);
    if (out->kind != TV_LIST)
      return tmpl_fail(c, n->line, "out of memory");
    for (size_t i = 0; i < n->arg_count; ++i) {
      if (!eval(c, n->args[i], &a))
        return 0;
      if (!tmpl_list_push(c->arena, out->u.list, a))
        return tmpl_fail(c, n->line, "out of memory");
    }
    return 1;
  case TN_DICT:
    *out = tmpl_new_dict(c->arena);
    if (out->kind != TV_DICT)
      return tmpl_fail(c, n->line, "out of memory");
    for (size_t i = 0; i + 1 < n->arg_count; i += 2) {
      if (!eval(c, n->args[i], &a) || !eval(c, n->args[i + 1], &b))
        return 0;
      if (a.kind != TV_STRING)
        return tmpl_fail(c, n->line, "dict keys must be strings, not %s", tmpl_kind_name(a));
      if (!tmpl_dict_set(c->arena, out->u.dict, a.u.str.s, a.u.str.n, b))
        return tmpl_fail(c, n->line, "out of memory");
    }
    return 1;
  default:
    return tmpl_fail(c, n->line, "not an expression");
  }
}

/*===--- statements -------------------------------------------------------===*/

static int run(tmpl_ctx *c, const tmpl_node *n);

static int set_var(tmpl_ctx *c, int line, const char *name, size_t n, tmpl_value v) {
  if (!tmpl_dict_set(c->arena, c->frames[c->depth - 1], name, n, v))
    return tmpl_fail(c, line, "out of memory");
  return 1;
}

static int bind_loop_vars(tmpl_ctx *c, const tmpl_node *n, tmpl_value item) {
  if (n->var_count == 1)
    return set_var(c, n->line, n->vars[0], n->var_lens[0], item);
  if (item.kind != TV_LIST || item.u.list->count != 2)
    return tmpl_fail(c, n->line, "cannot unpack %s into two loop variables", tmpl_kind_name(item));
  return set_var(c, n->line, n->vars[0], n->var_lens[0], item.u.list->items[0]) &&
         set_var(c, n->line, n->vars[1], n->var_lens[1], item.u.list->items[1]);
}

static int run_for(tmpl_ctx *c, const tmpl_node *n) {
  tmpl_value source;
  tmpl_list *all;
  if (!eval(c, n->a, &source) || !tmpl_items(c, n->line, source, "loop over", &all))
    return 0;
  /* The loop's `if` filters the items first: loop.length counts the rest. */
  tmpl_list *items = all;
  if (n->b) {
    tmpl_value kept = tmpl_new_list(c->arena);
    if (kept.kind != TV_LIST)
      return tmpl_fail(c, n->line, "out of memory");
    items = kept.u.list;
    for (size_t i = 0; i < all->count; ++i) {
      tmpl_value keep;
      if (!push_frame(c, n->line))
        return 0;
      int ok = bind_loop_vars(c, n, all->items[i]) && eval(c, n->b, &keep);
      --c->depth;
      if (!ok)
        return 0;
      if (tmpl_truthy(keep) && !tmpl_list_push(c->arena, items, all->items[i]))
        return tmpl_fail(c, n->line, "out of memory");
    }
  }
  /* jinja2 runs the else block unless some pass reached the end of the
   * body: an empty loop, or one whose every pass ended in break/continue. */
  int completed = 0;
  size_t length = items->count;
  for (size_t i = 0; i < length; ++i) {
    tmpl_value loop = tmpl_new_dict(c->arena);
    if (loop.kind != TV_DICT || !push_frame(c, n->line))
      return tmpl_fail(c, n->line, "out of memory");
    tmpl_dict *l = loop.u.dict;
    int ok = tmpl_dict_set(c->arena, l, "index", 5, tmpl_int((int64_t)i + 1)) &&
             tmpl_dict_set(c->arena, l, "index0", 6, tmpl_int((int64_t)i)) &&
             tmpl_dict_set(c->arena, l, "revindex", 8, tmpl_int((int64_t)(length - i))) &&
             tmpl_dict_set(c->arena, l, "revindex0", 9, tmpl_int((int64_t)(length - i - 1))) &&
             tmpl_dict_set(c->arena, l, "first", 5, tmpl_bool(i == 0)) &&
             tmpl_dict_set(c->arena, l, "last", 4, tmpl_bool(i + 1 == length)) &&
             tmpl_dict_set(c->arena, l, "length", 6, tmpl_int((int64_t)length)) &&
             tmpl_dict_set(c->arena, l, "previtem", 8, i ? items->items[i - 1] : tmpl_undefined()) &&
             tmpl_dict_set(c->arena, l, "nextitem", 8,
                           i + 1 < length ? items->items[i + 1] : tmpl_undefined());
    if (!ok)
      return tmpl_fail(c, n->line, "out of memory");
    ok = set_var(c, n->line, "loop", 4, loop) && bind_loop_vars(c, n, items->items[i]) &&
         run(c, n->body);
    --c->depth;
    if (!ok)
      return 0;
    int control = c->control;
    c->control = 0;
    completed |= control == 0;
    if (control == 1)
      break;
  }
  if (completed || !n->else_body)
    return 1;
  /* The else block is the loop's: what it sets stays in it. */
  if (!push_frame(c, n->line))
    return 0;
  int ok = run(c, n->else_body);
  --c->depth;
  return ok;
}

static int run(tmpl_ctx *c, const tmpl_node *n) {
  for (; n && !c->control; n = n->next) {
    tmpl_value v;
    switch (n->kind) {
    case TN_TEXT:
      tok_buf_add(&c->out, n->literal.u.str.s, n->literal.u.str.n);
      break;
    case TN_OUTPUT:
      if (!eval(c, n->a, &v))
        return 0;
      tmpl_write_string(&c->out, v);
      break;
    case TN_IF:
      if (!eval(c, n->a, &v))
        return 0;
      if (!run(c, tmpl_truthy(v) ? n->body : n->else_body))
        return 0;
      break;
    case TN_FOR:
      if (!run_for(c, n))
        return 0;
      break;
    case TN_SET:
      if (!eval(c, n->a, &v))
        return 0;
      if (n->attribute) {
        tmpl_value target = lookup(c, n->name, n->name_len);
        if (target.kind != TV_DICT)
          return tmpl_fail(c, n->line, "cannot set an attribute of %s '%.*s'", tmpl_kind_name(target),
                           (int)n->name_len, n->name);
        if (!tmpl_dict_set(c->arena, target.u.dict, n->attribute, n->attribute_len, v))
          return tmpl_fail(c, n->line, "out of memory");
      } else if (!set_var(c, n->line, n->name, n->name_len, v)) {
        return 0;
      }
      break;
    case TN_BREAK:
    case TN_CONTINUE:
      c->control = n->kind == TN_BREAK ? 1 : 2;
      break;
    default:
      return tmpl_fail(c, n->line, "not a statement");
    }
    if (c->out.failed)
      return tmpl_fail(c, n->line, "out of memory");
  }
  return !c->failed;
}

int tmpl_render(const tmpl_template *t, tmpl_arena *arena, tmpl_dict *globals, char **out,
                size_t *out_len, char *error, size_t error_size) {
  tmpl_ctx c = {.arena = arena, .error = error, .error_size = error_size};
  int ok = push_frame(&c, 1);
  if (ok) {
    c.frames[0] = globals;
    ok = push_frame(&c, 1) && run(&c, t->body);
  }
  free(c.frames);
  if (!ok) {
    free(c.out.data);
    return 0;
  }
  if (!c.out.data) { /* nothing written: an empty string */
    c.out.data = (char *)malloc(1);
    if (!c.out.data) {
      snprintf(error, error_size, "out of memory");
      return 0;
    }
    c.out.data[0] = 0;
  }
  *out = c.out.data;
  *out_len = c.out.len;
  return 1;
}
