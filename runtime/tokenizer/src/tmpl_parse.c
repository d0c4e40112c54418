/*===- tmpl_parse.c - chat templates: tokens and syntax tree --------------===*
 *
 * The lexer applies Hugging Face's environment (trim_blocks, lstrip_blocks)
 * and the tags' `-` whitespace control as it cuts the text, so the parser and
 * the evaluator never see the stripped white space. Precedence follows
 * jinja2's parser: or < and < not < comparisons (in, not in) < + - < ~ <
 * * / // % < unary - < filters and tests < postfix (. [] ()).
 *
 *===----------------------------------------------------------------------===*/
#include "tmpl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
  TT_TEXT,
  TT_VAR_BEGIN,   /* {{ */
  TT_VAR_END,     /* }} */
  TT_BLOCK_BEGIN, /* {% */
  TT_BLOCK_END,   /* %} */
  TT_NAME,
  TT_STRING, /* decoded into the arena */
  TT_INT,
  TT_FLOAT,
  TT_OP, /* punctuation, up to two characters */
  TT_EOF
} token_type;

typedef struct {
  token_type type;
  int line;
  const char *s; /* text, name, decoded string or operator */
  size_t n;
  int64_t integer;
  double number;
} token;

typedef struct {
  tmpl_arena *arena;
  const char *src;
  size_t len;
  token *tokens;
  size_t count, capacity, pos;
  char *error;
  size_t error_size;
  int failed;
} parser;

static int fail(parser *p, int line, const char *format, ...) {
  if (p->failed)
    return 0;
  p->failed = 1;
  va_list args;
  va_start(args, format);
  tmpl_error(p->error, p->error_size, line, format, args);
  va_end(args);
  return 0;
}

static int line_at(const parser *p, size_t offset) {
  int line = 1;
  for (size_t i = 0; i < offset && i < p->len; ++i)
    line += p->src[i] == '\n';
  return line;
}

static int push(parser *p, token t) {
  if (p->count == p->capacity) {
    size_t capacity = p->capacity ? 2 * p->capacity : 256;
    token *tokens = (token *)realloc(p->tokens, capacity * sizeof(token));
    if (!tokens)
      return fail(p, t.line, "out of memory");
    p->tokens = tokens;
    p->capacity = capacity;
  }
  p->tokens[p->count++] = t;
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A string literal starting at src[*i] (the quote); decoded into the arena. */
static int lex_string(parser *p, size_t *i, int line) {
  char quote = p->src[*i];
  tok_buf b = {0};
  size_t j = *i + 1;
  for (; j < p->len && p->src[j] != quote; ++j) {
    char c = p->src[j];
    if (c == '\\' && j + 1 < p->len) {
      char e = p->src[++j];
      switch (e) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case '0': c = '\0'; break;
      default: c = e; /* \\ \' \" and anything else: the character */
      }
    }
    tok_buf_addc(&b, c);
  }
  if (j >= p->len) {
    free(b.data);
    return fail(p, line, "unterminated string");
  }
  token t = {.type = TT_STRING, .line = line};
  t.s = tmpl_strdup(p->arena, b.data ? b.data : "", b.len);
  t.n = b.len;
  free(b.data);
  if (b.failed || !t.s)
    return fail(p, line, "out of memory");
  *i = j + 1;
  return push(p, t);
}

/* The tokens of one tag's inside, from src[*i] up to and including its end. */
static int lex_tag(parser *p, size_t *i, char close, int *strip_after) {
  static const char *const two[] = {"==", "!=", "<=", ">=", "//", "**"};
  int braces = 0; /* dict literals open inside the tag: their '}' does not end it */
  while (*i < p->len) {
    size_t k = *i;
    char c = p->src[k];
    int line = line_at(p, k);
    if (is_space(c)) {
      ++*i;
      continue;
    }
    /* The end: [-] close '}' */
    int dash = c == '-' && k + 2 < p->len + 0 && p->src[k + 1] == close && p->src[k + 2] == '}';
    if (braces == 0 && (dash || (c == close && k + 1 < p->len && p->src[k + 1] == '}'))) {
      *strip_after = dash;
      *i = k + (dash ? 3 : 2);
      return push(p, (token){.type = close == '}' ? TT_VAR_END : TT_BLOCK_END, .line = line});
    }
    if (c == '"' || c == '\'') {
      if (!lex_string(p, i, line))
        return 0;
      continue;
    }
    if (is_name_start(c)) {
      size_t j = k;
      while (j < p->len && (is_name_start(p->src[j]) || is_digit(p->src[j])))
        ++j;
      if (!push(p, (token){.type = TT_NAME, .line = line, .s = p->src + k, .n = j - k}))
        return 0;
      *i = j;
      continue;
    }
    if (is_digit(c)) {
      size_t j = k;
      while (j < p->len && (is_digit(p->src[j]) || p->src[j] == '_'))
        ++j;
      int real = 0;
      if (j + 1 < p->len && p->src[j] == '.' && is_digit(p->src[j + 1])) {
        real = 1;
        for (++j; j < p->len && is_digit(p->src[j]);)
          ++j;
      }
      if (j < p->len && (p->src[j] == 'e' || p->src[j] == 'E')) { /* 1e3, 2.5E-2 */
        size_t m = j + 1;
        if (m < p->len && (p->src[m] == '+' || p->src[m] == '-'))
          ++m;
        if (m < p->len && is_digit(p->src[m])) {
          real = 1;
          for (j = m; j < p->len && is_digit(p->src[j]);)
            ++j;
        }
      }
      char text[64];
      size_t n = 0;
      for (size_t m = k; m < j && n + 1 < sizeof text; ++m)
        if (p->src[m] != '_')
          text[n++] = p->src[m];
      text[n] = 0;
      token t = {.type = real ? TT_FLOAT : TT_INT, .line = line};
      if (real)
        t.number = strtod(text, NULL);
      else
        t.integer = strtoll(text, NULL, 10);
      if (!push(p, t))
        return 0;
      *i = j;
      continue;
    }
    size_t n = 1;
    for (size_t m = 0; m < sizeof two / sizeof *two; ++m)
      if (k + 1 < p->len && p->src[k] == two[m][0] && p->src[k + 1] == two[m][1])
        n = 2;
    if (n == 1 && !strchr("+-*/%~<>=()[]{}.,:|!", c))
      return fail(p, line, "unexpected character '%c'", c);
    if (!push(p, (token){.type = TT_OP, .line = line, .s = p->src + k, .n = n}))
      return 0;
    braces += c == '{' ? 1 : c == '}' && braces > 0 ? -1 : 0;
    *i = k + n;
  }
  return fail(p, line_at(p, *i), "unterminated tag");
}

static int lex(parser *p) {
  size_t i = 0, text_start = 0;
  int strip_next = 0; /* the previous tag ended with '-' */
  int trim_newline = 0; /* the previous tag was a block or comment: trim_blocks */
  for (;;) {
    /* Find the next tag opener. */
    size_t k = i;
    while (k + 1 < p->len &&
           !(p->src[k] == '{' && (p->src[k + 1] == '{' || p->src[k + 1] == '%' || p->src[k + 1] == '#')))
      ++k;
    int at_end = k + 1 >= p->len;
    size_t end = at_end ? p->len : k;
    /* The text before it, its white space controlled. */
    size_t a = text_start, b = end;
    if (strip_next)
      while (a < b && is_space(p->src[a]))
        ++a;
    else if (trim_newline && a < b && p->src[a] == '\n')
      ++a;
    else if (trim_newline && a + 1 < b && p->src[a] == '\r' && p->src[a + 1] == '\n')
      a += 2;
    if (!at_end) {
      char kind = p->src[k + 1];
      int dash = k + 2 < p->len && p->src[k + 2] == '-';
      int plus = k + 2 < p->len && p->src[k + 2] == '+';
      if (dash) {
        while (b > a && is_space(p->src[b - 1]))
          --b;
      } else if ((kind == '%' || kind == '#') && !plus) {
        /* lstrip_blocks: spaces and tabs from the start of the line. */
        size_t m = b;
        while (m > a && (p->src[m - 1] == ' ' || p->src[m - 1] == '\t'))
          --m;
        if (m == 0 || p->src[m - 1] == '\n')
          b = m;
      }
    }
    if (b > a && !push(p, (token){.type = TT_TEXT, .line = line_at(p, a), .s = p->src + a, .n = b - a}))
      return 0;
    if (at_end)
      break;
    char kind = p->src[k + 1];
    int line = line_at(p, k);
    size_t inner = k + 2;
    if (inner < p->len && (p->src[inner] == '-' || p->src[inner] == '+'))
      ++inner;
    if (kind == '#') {
      const char *close = NULL;
      for (size_t m = inner; m + 1 < p->len; ++m)
        if (p->src[m] == '#' && p->src[m + 1] == '}') {
          close = p->src + m;
          break;
        }
      if (!close)
        return fail(p, line, "unterminated comment");
      size_t m = (size_t)(close - p->src);
      strip_next = m > inner && p->src[m - 1] == '-';
      trim_newline = 1;
      i = text_start = m + 2;
      continue;
    }
    if (!push(p, (token){.type = kind == '{' ? TT_VAR_BEGIN : TT_BLOCK_BEGIN, .line = line}))
      return 0;
    i = inner;
    if (!lex_tag(p, &i, kind == '{' ? '}' : '%', &strip_next))
      return 0;
    trim_newline = kind == '%';
    text_start = i;
  }
  return push(p, (token){.type = TT_EOF, .line = line_at(p, p->len)});
}

/*===--- parser -----------------------------------------------------------===*/

static token *peek(parser *p) { return &p->tokens[p->pos]; }
static token *peek_at(parser *p, size_t ahead) {
  size_t i = p->pos + ahead;
  return &p->tokens[i < p->count ? i : p->count - 1];
}
static token *next(parser *p) {
  token *t = &p->tokens[p->pos];
  if (t->type != TT_EOF)
    ++p->pos;
  return t;
}
static int is_op(const token *t, const char *op) {
  return t->type == TT_OP && t->n == strlen(op) && memcmp(t->s, op, t->n) == 0;
}
static int is_name(const token *t, const char *name) {
  return t->type == TT_NAME && t->n == strlen(name) && memcmp(t->s, name, t->n) == 0;
}
static int accept_op(parser *p, const char *op) {
  if (!is_op(peek(p), op))
    return 0;
  next(p);
  return 1;
}
static int accept_name(parser *p, const char *name) {
  if (!is_name(peek(p), name))
    return 0;
  next(p);
  return 1;
}
static int expect_op(parser *p, const char *op) {
  if (accept_op(p, op))
    return 1;
  return fail(p, peek(p)->line, "expected '%s'", op);
}

static tmpl_node *node(parser *p, tmpl_node_kind kind, int line) {
  tmpl_node *n = (tmpl_node *)tmpl_alloc(p->arena, sizeof(tmpl_node));
  if (!n) {
    fail(p, line, "out of memory");
    return NULL;
  }
  n->kind = kind;
  n->line = line;
  return n;
}

static tmpl_node *parse_expression(parser *p);
static tmpl_node *parse_or(parser *p);
static tmpl_node *parse_unary(parser *p);

/* Arguments up to ')': positional, then name=value. */
static int parse_arguments(parser *p, tmpl_node *n) {
  tmpl_node *args[32], *kw_values[32];
  const char *kw_names[32];
  size_t kw_lens[32];
  size_t count = 0, kw = 0;
  while (!accept_op(p, ")")) {
    if (count + kw > 0 && !expect_op(p, ","))
      return 0;
    if (accept_op(p, ")"))
      break;
    if (count + kw == 32)
      return fail(p, peek(p)->line, "more than 32 arguments");
    if (peek(p)->type == TT_NAME && is_op(peek_at(p, 1), "=")) {
      token *name = next(p);
      next(p);
      kw_names[kw] = name->s;
      kw_lens[kw] = name->n;
      if (!(kw_values[kw++] = parse_expression(p)))
        return 0;
    } else {
      if (kw)
        return fail(p, peek(p)->line, "a positional argument after a keyword argument");
      if (!(args[count++] = parse_expression(p)))
        return 0;
    }
  }
  n->arg_count = count;
  n->args = (tmpl_node **)tmpl_alloc(p->arena, (count + 1) * sizeof(tmpl_node *));
  n->kw_count = kw;
  n->kw_names = (const char **)tmpl_alloc(p->arena, (kw + 1) * sizeof(char *));
  n->kw_lens = (size_t *)tmpl_alloc(p->arena, (kw + 1) * sizeof(size_t));
  n->kw_values = (tmpl_node **)tmpl_alloc(p->arena, (kw + 1) * sizeof(tmpl_node *));
  if (!n->args || !n->kw_names || !n->kw_lens || !n->kw_values)
    return fail(p, n->line, "out of memory");
  memcpy(n->args, args, count * sizeof(tmpl_node *));
  memcpy(n->kw_names, kw_names, kw * sizeof(char *));
  memcpy(n->kw_lens, kw_lens, kw * sizeof(size_t));
  memcpy(n->kw_values, kw_values, kw * sizeof(tmpl_node *));
  return 1;
}

/* Items up to `close` into n->args (a list, or a dict's keys and values). */
static int parse_items(parser *p, tmpl_node *n, const char *close, int pairs) {
  tmpl_node **items = NULL;
  size_t count = 0, capacity = 0;
  int ok = 1;
  while (ok && !accept_op(p, close)) {
    if (count > 0 && !expect_op(p, ",")) {
      ok = 0;
      break;
    }
    if (accept_op(p, close))
      break;
    for (int k = 0; k < (pairs ? 2 : 1) && ok; ++k) {
      if (k == 1 && !expect_op(p, ":")) {
        ok = 0;
        break;
      }
      if (count == capacity) {
        capacity = capacity ? 2 * capacity : 16;
        tmpl_node **grown = (tmpl_node **)tmpl_alloc(p->arena, capacity * sizeof(tmpl_node *));
        if (!grown) {
          ok = fail(p, n->line, "out of memory");
          break;
        }
        if (count)
          memcpy(grown, items, count * sizeof(tmpl_node *));
        items = grown;
      }
      if (!(items[count++] = parse_expression(p)))
        ok = 0;
    }
  }
  n->args = items;
  n->arg_count = count;
  return ok;
}

static tmpl_node *parse_primary(parser *p) {
  token *t = next(p);
  tmpl_node *n;
  switch (t->type) {
  case TT_NAME:
    if (!(n = node(p, TN_LITERAL, t->line)))
      return NULL;
    if (is_name(t, "true") || is_name(t, "True"))
      n->literal = tmpl_bool(1);
    else if (is_name(t, "false") || is_name(t, "False"))
      n->literal = tmpl_bool(0);
    else if (is_name(t, "none") || is_name(t, "None"))
      n->literal = tmpl_none();
    else {
      n->kind = TN_NAME;
      n->name = t->s;
      n->name_len = t->n;
    }
    return n;
  case TT_STRING: {
    if (!(n = node(p, TN_LITERAL, t->line)))
      return NULL;
    /* Adjacent literals concatenate, as in Python. */
    tok_buf b = {0};
    tok_buf_add(&b, t->s, t->n);
    while (peek(p)->type == TT_STRING) {
      token *more = next(p);
      tok_buf_add(&b, more->s, more->n);
    }
    char *s = tmpl_strdup(p->arena, b.data ? b.data : "", b.len);
    n->literal = tmpl_str(s, b.len);
    free(b.data);
    if (b.failed || !s) {
      fail(p, t->line, "out of memory");
      return NULL;
    }
    return n;
  }
  case TT_INT:
  case TT_FLOAT:
    if (!(n = node(p, TN_LITERAL, t->line)))
      return NULL;
    n->literal = t->type == TT_INT ? tmpl_int(t->integer) : tmpl_float(t->number);
    return n;
  case TT_OP:
    if (is_op(t, "(")) {
      tmpl_node *first = parse_expression(p);
      if (!first)
        return NULL;
      if (accept_op(p, ")"))
        return first;
      /* A tuple: a list, as far as templates can tell. */
      if (!(n = node(p, TN_LIST, t->line)) || !expect_op(p, ","))
        return NULL;
      tmpl_node *rest = node(p, TN_LIST, t->line);
      if (!rest || !parse_items(p, rest, ")", 0))
        return NULL;
      n->args = (tmpl_node **)tmpl_alloc(p->arena, (rest->arg_count + 1) * sizeof(tmpl_node *));
      if (!n->args) {
        fail(p, t->line, "out of memory");
        return NULL;
      }
      n->args[0] = first;
      if (rest->arg_count)
        memcpy(n->args + 1, rest->args, rest->arg_count * sizeof(tmpl_node *));
      n->arg_count = rest->arg_count + 1;
      return n;
    }
    if (is_op(t, "[") || is_op(t, "{")) {
      int dict = is_op(t, "{");
      if (!(n = node(p, dict ? TN_DICT : TN_LIST, t->line)) ||
          !parse_items(p, n, dict ? "}" : "]", dict))
        return NULL;
      return n;
    }
    break;
  default:
    break;
  }
  fail(p, t->line, "expected an expression");
  return NULL;
}

static tmpl_node *parse_postfix(parser *p) {
  tmpl_node *n = parse_primary(p);
  while (n) {
    token *t = peek(p);
    if (is_op(t, ".")) {
      next(p);
      token *name = next(p);
      if (name->type != TT_NAME && name->type != TT_INT) {
        fail(p, name->line, "expected an attribute name after '.'");
        return NULL;
      }
      tmpl_node *a = node(p, TN_ATTRIBUTE, t->line);
      if (!a)
        return NULL;
      a->a = n;
      if (name->type == TT_NAME) {
        a->name = name->s;
        a->name_len = name->n;
      } else { /* x.0: the same as x[0] */
        a->kind = TN_INDEX;
        if (!(a->b = node(p, TN_LITERAL, t->line)))
          return NULL;
        a->b->literal = tmpl_int(name->integer);
      }
      n = a;
    } else if (is_op(t, "[")) {
      next(p);
      tmpl_node *parts[3] = {NULL, NULL, NULL};
      int colons = 0;
      while (!is_op(peek(p), "]")) {
        if (accept_op(p, ":")) {
          if (++colons > 2) {
            fail(p, t->line, "too many ':' in a slice");
            return NULL;
          }
          continue;
        }
        if (parts[colons]) {
          fail(p, peek(p)->line, "expected ']'");
          return NULL;
        }
        if (!(parts[colons] = parse_expression(p)))
          return NULL;
      }
      next(p);
      tmpl_node *s = node(p, colons ? TN_SLICE : TN_INDEX, t->line);
      if (!s)
        return NULL;
      s->a = n;
      if (colons) {
        s->b = parts[0];
        s->c = parts[1];
        s->body = parts[2]; /* the step */
      } else if (!(s->b = parts[0])) {
        fail(p, t->line, "an empty subscript");
        return NULL;
      }
      n = s;
    } else if (is_op(t, "(")) {
      next(p);
      tmpl_node *c = node(p, TN_CALL, t->line);
      if (!c)
        return NULL;
      c->a = n;
      if (!parse_arguments(p, c))
        return NULL;
      n = c;
    } else {
      break;
    }
  }
  return n;
}

/* Filters (x | f(args)) and tests (x is [not] t(args)) after a postfix
 * expression, left to right. */
static tmpl_node *parse_filtered(parser *p) {
  tmpl_node *n = parse_postfix(p);
  while (n) {
    token *t = peek(p);
    if (is_op(t, "|") || is_name(t, "is")) {
      int test = is_name(t, "is");
      next(p);
      int negated = test && accept_name(p, "not");
      token *name = next(p);
      if (name->type != TT_NAME) {
        fail(p, name->line, test ? "expected a test name after 'is'" : "expected a filter name");
        return NULL;
      }
      tmpl_node *f = node(p, test ? TN_TEST : TN_FILTER, t->line);
      if (!f)
        return NULL;
      f->a = n;
      f->negated = negated;
      f->name = name->s;
      f->name_len = name->n;
      if (accept_op(p, "(")) {
        if (!parse_arguments(p, f))
          return NULL;
      } else if (test) {
        /* `is divisibleby 3`, `is sameas false`: one argument without parentheses. */
        token *arg = peek(p);
        int starts = arg->type == TT_STRING || arg->type == TT_INT || arg->type == TT_FLOAT ||
                     (arg->type == TT_NAME && !is_name(arg, "and") && !is_name(arg, "or") &&
                      !is_name(arg, "if") && !is_name(arg, "else") && !is_name(arg, "in") &&
                      !is_name(arg, "not") && !is_name(arg, "is"));
        if (starts) {
          f->args = (tmpl_node **)tmpl_alloc(p->arena, sizeof(tmpl_node *));
          if (!f->args || !(f->args[0] = parse_postfix(p)))
            return NULL;
          f->arg_count = 1;
        }
      }
      n = f;
    } else {
      break;
    }
  }
  return n;
}

static tmpl_node *parse_unary(parser *p) {
  token *t = peek(p);
  if (is_op(t, "-") || is_op(t, "+")) {
    next(p);
    tmpl_node *operand = parse_unary(p);
    if (!operand || is_op(t, "+"))
      return operand;
    tmpl_node *n = node(p, TN_NEGATE, t->line);
    if (n)
      n->a = operand;
    return n;
  }
  return parse_filtered(p);
}

static tmpl_node *binary(parser *p, tmpl_node_kind kind, tmpl_op op, tmpl_node *a, tmpl_node *b,
                         int line) {
  if (!a || !b)
    return NULL;
  tmpl_node *n = node(p, kind, line);
  if (n) {
    n->op = op;
    n->a = a;
    n->b = b;
  }
  return n;
}

static tmpl_node *parse_multiplicative(parser *p) {
  tmpl_node *n = parse_unary(p);
  for (;;) {
    token *t = peek(p);
    tmpl_op op;
    if (is_op(t, "*"))
      op = TOP_MUL;
    else if (is_op(t, "/"))
      op = TOP_DIV;
    else if (is_op(t, "//"))
      op = TOP_FLOORDIV;
    else if (is_op(t, "%"))
      op = TOP_MOD;
    else
      return n;
    next(p);
    n = binary(p, TN_BINARY, op, n, parse_unary(p), t->line);
  }
}

static tmpl_node *parse_concat(parser *p) {
  tmpl_node *n = parse_multiplicative(p);
  while (is_op(peek(p), "~")) {
    int line = next(p)->line;
    n = binary(p, TN_BINARY, TOP_CONCAT, n, parse_multiplicative(p), line);
  }
  return n;
}

static tmpl_node *parse_additive(parser *p) {
  tmpl_node *n = parse_concat(p);
  for (;;) {
    token *t = peek(p);
    if (!is_op(t, "+") && !is_op(t, "-"))
      return n;
    next(p);
    n = binary(p, TN_BINARY, is_op(t, "+") ? TOP_ADD : TOP_SUB, n, parse_concat(p), t->line);
  }
}

static tmpl_node *parse_compare(parser *p) {
  tmpl_node *n = parse_additive(p);
  for (;;) {
    token *t = peek(p);
    tmpl_op op;
    if (is_op(t, "=="))
      op = TOP_EQ;
    else if (is_op(t, "!="))
      op = TOP_NE;
    else if (is_op(t, "<"))
      op = TOP_LT;
    else if (is_op(t, "<="))
      op = TOP_LE;
    else if (is_op(t, ">"))
      op = TOP_GT;
    else if (is_op(t, ">="))
      op = TOP_GE;
    else if (is_name(t, "in"))
      op = TOP_IN;
    else if (is_name(t, "not") && is_name(peek_at(p, 1), "in")) {
      next(p);
      op = TOP_NOT_IN;
    } else
      return n;
    next(p);
    n = binary(p, TN_BINARY, op, n, parse_additive(p), t->line);
  }
}

static tmpl_node *parse_not(parser *p) {
  token *t = peek(p);
  if (is_name(t, "not")) {
    next(p);
    tmpl_node *operand = parse_not(p);
    tmpl_node *n = operand ? node(p, TN_NOT, t->line) : NULL;
    if (n)
      n->a = operand;
    return n;
  }
  return parse_compare(p);
}

static tmpl_node *parse_and(parser *p) {
  tmpl_node *n = parse_not(p);
  while (is_name(peek(p), "and")) {
    int line = next(p)->line;
    n = binary(p, TN_AND, TOP_ADD, n, parse_not(p), line);
  }
  return n;
}

static tmpl_node *parse_or(parser *p) {
  tmpl_node *n = parse_and(p);
  while (is_name(peek(p), "or")) {
    int line = next(p)->line;
    n = binary(p, TN_OR, TOP_ADD, n, parse_and(p), line);
  }
  return n;
}

static tmpl_node *parse_expression(parser *p) {
  tmpl_node *n = parse_or(p);
  if (n && is_name(peek(p), "if")) {
    int line = next(p)->line;
    tmpl_node *c = node(p, TN_CONDITIONAL, line);
    if (!c)
      return NULL;
    c->a = n;
    if (!(c->b = parse_or(p)))
      return NULL;
    if (accept_name(p, "else") && !(c->c = parse_expression(p)))
      return NULL;
    return c;
  }
  return n;
}

/*===--- statements -------------------------------------------------------===*/

static int expect_block_end(parser *p) {
  if (peek(p)->type == TT_BLOCK_END) {
    next(p);
    return 1;
  }
  return fail(p, peek(p)->line, "expected '%%}'");
}

/* Is the next token `{% name` for one of `names` (NULL-terminated)? */
static const char *at_tag(parser *p, const char *const *names) {
  if (peek(p)->type != TT_BLOCK_BEGIN)
    return NULL;
  for (; *names; ++names)
    if (is_name(peek_at(p, 1), *names))
      return *names;
  return NULL;
}

static tmpl_node *parse_body(parser *p, const char *const *until, const char **ended);

/* A statement's body up to `{% name %}` for a name in `ends`, that tag's
 * `{%` and name consumed; the name, or NULL (and an error) when the template
 * ends first. */
static const char *parse_block(parser *p, int line, const char *statement,
                               const char *const *ends, tmpl_node **body) {
  const char *ended = NULL;
  *body = parse_body(p, ends, &ended);
  if (p->failed)
    return NULL;
  if (!ended) {
    fail(p, line, "'%s' without 'end%s'", statement, statement);
    return NULL;
  }
  next(p); /* {% */
  next(p); /* the name */
  return ended;
}

static tmpl_node *parse_if(parser *p, int line) {
  static const char *const ends[] = {"elif", "else", "endif", NULL};
  static const char *const endif[] = {"endif", NULL};
  tmpl_node *n = node(p, TN_IF, line);
  if (!n || !(n->a = parse_expression(p)) || !expect_block_end(p))
    return NULL;
  const char *ended = parse_block(p, line, "if", ends, &n->body);
  if (!ended)
    return NULL;
  if (strcmp(ended, "elif") == 0) {
    n->else_body = parse_if(p, peek(p)->line);
    return n->else_body ? n : NULL;
  }
  if (strcmp(ended, "else") == 0 &&
      (!expect_block_end(p) || !parse_block(p, line, "if", endif, &n->else_body)))
    return NULL;
  return expect_block_end(p) ? n : NULL;
}

static tmpl_node *parse_for(parser *p, int line) {
  static const char *const ends[] = {"else", "endfor", NULL};
  static const char *const endfor[] = {"endfor", NULL};
  tmpl_node *n = node(p, TN_FOR, line);
  if (!n)
    return NULL;
  do {
    token *name = next(p);
    if (name->type != TT_NAME || n->var_count == 2) {
      fail(p, name->line, "expected one or two loop variable names");
      return NULL;
    }
    n->vars[n->var_count] = name->s;
    n->var_lens[n->var_count++] = name->n;
  } while (accept_op(p, ","));
  if (!accept_name(p, "in")) {
    fail(p, peek(p)->line, "expected 'in'");
    return NULL;
  }
  if (!(n->a = parse_or(p)))
    return NULL;
  if (accept_name(p, "if") && !(n->b = parse_or(p)))
    return NULL;
  if (is_name(peek(p), "recursive")) {
    fail(p, line, "recursive loops are not supported");
    return NULL;
  }
  if (!expect_block_end(p))
    return NULL;
  const char *ended = parse_block(p, line, "for", ends, &n->body);
  if (!ended)
    return NULL;
  if (strcmp(ended, "else") == 0 &&
      (!expect_block_end(p) || !parse_block(p, line, "for", endfor, &n->else_body)))
    return NULL;
  return expect_block_end(p) ? n : NULL;
}

static tmpl_node *parse_set(parser *p, int line) {
  tmpl_node *n = node(p, TN_SET, line);
  token *name = next(p);
  if (!n)
    return NULL;
  if (name->type != TT_NAME) {
    fail(p, name->line, "expected a name after 'set'");
    return NULL;
  }
  n->name = name->s;
  n->name_len = name->n;
  if (accept_op(p, ".")) {
    token *attribute = next(p);
    if (attribute->type != TT_NAME) {
      fail(p, attribute->line, "expected an attribute name");
      return NULL;
    }
    n->attribute = attribute->s;
    n->attribute_len = attribute->n;
  }
  if (!accept_op(p, "=")) {
    fail(p, line, is_op(peek(p), ",") ? "'set' of several names is not supported"
                                       : "block 'set' (without '=') is not supported");
    return NULL;
  }
  if (!(n->a = parse_expression(p)) || !expect_block_end(p))
    return NULL;
  return n;
}

static tmpl_node *parse_statement(parser *p) {
  token *t = next(p);
  if (t->type == TT_TEXT) {
    tmpl_node *n = node(p, TN_TEXT, t->line);
    if (n)
      n->literal = tmpl_str(t->s, t->n);
    return n;
  }
  if (t->type == TT_VAR_BEGIN) {
    tmpl_node *n = node(p, TN_OUTPUT, t->line);
    if (!n || !(n->a = parse_expression(p)))
      return NULL;
    if (peek(p)->type != TT_VAR_END) {
      fail(p, peek(p)->line, "expected '}}'");
      return NULL;
    }
    next(p);
    return n;
  }
  if (t->type != TT_BLOCK_BEGIN) {
    fail(p, t->line, "unexpected token");
    return NULL;
  }
  token *keyword = next(p);
  if (keyword->type != TT_NAME) {
    fail(p, keyword->line, "expected a statement name after '{%%'");
    return NULL;
  }
  if (is_name(keyword, "if"))
    return parse_if(p, t->line);
  if (is_name(keyword, "for"))
    return parse_for(p, t->line);
  if (is_name(keyword, "set"))
    return parse_set(p, t->line);
  if (is_name(keyword, "break") || is_name(keyword, "continue")) {
    tmpl_node *n = node(p, is_name(keyword, "break") ? TN_BREAK : TN_CONTINUE, t->line);
    return n && expect_block_end(p) ? n : NULL;
  }
  fail(p, t->line, "the '%.*s' statement is not supported", (int)keyword->n, keyword->s);
  return NULL;
}

/* Statements up to `{% name` for a name in `until` (not consumed; *ended set)
 * or the end of the template (*ended NULL). */
static tmpl_node *parse_body(parser *p, const char *const *until, const char **ended) {
  tmpl_node *head = NULL, **tail = &head;
  *ended = NULL;
  while (!p->failed && peek(p)->type != TT_EOF) {
    if (until && (*ended = at_tag(p, until)) != NULL)
      return head;
    if (peek(p)->type == TT_BLOCK_BEGIN) {
      static const char *const stray[] = {"endif", "endfor", "elif", "else", NULL};
      const char *name = at_tag(p, stray);
      if (name) {
        fail(p, peek(p)->line, "unexpected '%s'", name);
        return NULL;
      }
    }
    tmpl_node *n = parse_statement(p);
    if (!n)
      return NULL;
    *tail = n;
    tail = &n->next;
  }
  return head;
}

int tmpl_parse(const char *source, size_t len, tmpl_template *out, char *error,
               size_t error_size) {
  memset(out, 0, sizeof *out);
  /* jinja2 drops one newline at the end of the source (keep_trailing_newline off). */
  if (len > 0 && source[len - 1] == '\n')
    len -= len > 1 && source[len - 2] == '\r' ? 2 : 1;
  /* The tree points into its own copy of the source. */
  char *copy = tmpl_strdup(&out->arena, source, len);
  parser p = {.arena = &out->arena, .src = copy, .len = len, .error = error,
              .error_size = error_size};
  int ok = copy ? lex(&p) : fail(&p, 1, "out of memory");
  if (ok) {
    const char *ended = NULL;
    out->body = parse_body(&p, NULL, &ended);
    ok = !p.failed;
  }
  free(p.tokens);
  if (!ok)
    tmpl_arena_free(&out->arena);
  return ok;
}
