/*===- regex.c - the pre-tokenizers' regular expressions -----------*- C -*-===*/
#include "tok_regex.h"

#include "tok_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { N_CHAR, N_ANY, N_CLASS, N_GROUP, N_ALT, N_REPEAT, N_LOOK, N_BOL, N_EOL } node_kind;

/* A class item: a range of code points or a property, either negated. */
typedef enum { P_RANGE, P_SPACE, P_DIGIT, P_WORD, P_CATEGORY } prop_kind;
typedef struct {
  prop_kind kind;
  int negated;
  int32_t lo, hi;   /* P_RANGE */
  int category;     /* P_CATEGORY: tok_category_named */
} class_item;

typedef struct {
  node_kind kind;
  int32_t next;      /* the node after this one in its sequence; -1 at the end */
  int icase;
  int32_t cp;        /* N_CHAR */
  int32_t child;     /* N_GROUP, N_REPEAT, N_LOOK: the sequence (or node) inside */
  int32_t first, count; /* N_ALT: alternatives in alts[first, first + count);
                           N_CLASS: items[first, first + count) */
  int negated;       /* N_CLASS, N_LOOK */
  int min, max, greedy; /* N_REPEAT; max < 0: no bound */
} node;

struct tok_regex {
  node *nodes;
  int32_t count, capacity;
  int32_t *alts;
  int32_t alt_count, alt_capacity;
  class_item *items;
  int32_t item_count, item_capacity;
  int32_t start;
};

/*===--- compiling ----------------------------------------------------------===*/

#define TOK_REGEX_MAX_NODES 2000
#define TOK_REGEX_MAX_NESTING 64 /* groups within groups: the parser recurses per level */

typedef struct {
  tok_regex *re;
  const char *p, *end, *begin;
  char *error;
  size_t error_size;
  int failed;
  int nesting;
} compiler;

static int32_t refuse(compiler *c, const char *what) {
  if (!c->failed)
    snprintf(c->error, c->error_size, "regex: %s (at offset %d of the pattern)", what,
             (int)(c->p - c->begin));
  c->failed = 1;
  return -1;
}

#define GROW(array, count, capacity, type)                                                   \
  do {                                                                                       \
    if ((count) == (capacity)) {                                                             \
      int32_t grown = (capacity) ? (capacity) * 2 : 16;                                      \
      type *bigger = (type *)realloc((array), (size_t)grown * sizeof(type));                 \
      if (!bigger)                                                                           \
        return refuse(c, "out of memory");                                                   \
      (array) = bigger;                                                                      \
      (capacity) = grown;                                                                    \
    }                                                                                        \
  } while (0)

static int32_t add_node(compiler *c, node_kind kind, int icase) {
  tok_regex *re = c->re;
  if (re->count >= TOK_REGEX_MAX_NODES) /* a repeat's continuation packs its node in 11 bits */
    return refuse(c, "a pattern of more than 2000 nodes");
  GROW(re->nodes, re->count, re->capacity, node);
  node *n = &re->nodes[re->count];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->next = n->child = -1;
  n->icase = icase;
  return re->count++;
}

static int32_t add_item(compiler *c, class_item item) {
  tok_regex *re = c->re;
  GROW(re->items, re->item_count, re->item_capacity, class_item);
  re->items[re->item_count] = item;
  return re->item_count++;
}

static int32_t next_char(compiler *c) {
  int32_t cp;
  c->p += tok_utf8_next(c->p, (size_t)(c->end - c->p), &cp);
  return cp;
}

/* \p{Name} / \pL after the 'p' or 'P'. */
static int parse_property(compiler *c, class_item *item) {
  const char *name = c->p;
  size_t len = 1;
  if (c->p < c->end && *c->p == '{') {
    const char *close = memchr(c->p, '}', (size_t)(c->end - c->p));
    if (!close)
      return refuse(c, "unterminated \\p{...}");
    name = c->p + 1;
    len = (size_t)(close - name);
    c->p = close + 1;
  } else if (c->p < c->end) {
    ++c->p;
  } else {
    return refuse(c, "\\p without a property");
  }
  if (len > 0 && name[0] == '^') { /* \p{^L} negates */
    item->negated = !item->negated;
    ++name;
    --len;
  }
  int category = tok_category_named(name, len);
  if (category < 0) {
    static const struct { const char *name; int category; } aliases[] = {
        {"Letter", 1000 + 'L'}, {"Number", 1000 + 'N'}, {"Punctuation", 1000 + 'P'},
        {"Mark", 1000 + 'M'},   {"Symbol", 1000 + 'S'}, {"Separator", 1000 + 'Z'},
        {"Other", 1000 + 'C'}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; ++i)
      if (strlen(aliases[i].name) == len && memcmp(aliases[i].name, name, len) == 0)
        category = aliases[i].category;
  }
  if (category < 0) {
    char what[96];
    snprintf(what, sizeof what, "the Unicode property \\p{%.*s} is not supported", (int)len, name);
    return refuse(c, what);
  }
  item->kind = P_CATEGORY;
  item->category = category;
  return 0;
}

/* An escape after the backslash: a class item (\s, \p{L}, ...) or one
 * character (*is_char, the code point in item->lo). */
static int parse_escape(compiler *c, class_item *item, int *is_char) {
  if (c->p >= c->end)
    return refuse(c, "a pattern ending in a backslash");
  memset(item, 0, sizeof *item);
  *is_char = 0;
  char e = *c->p++;
  switch (e) {
  case 's': case 'S': item->kind = P_SPACE; item->negated = e == 'S'; return 0;
  case 'd': case 'D': item->kind = P_DIGIT; item->negated = e == 'D'; return 0;
  case 'w': case 'W': item->kind = P_WORD; item->negated = e == 'W'; return 0;
  case 'p': case 'P': item->negated = e == 'P'; return parse_property(c, item);
  case 'n': item->lo = '\n'; break;
  case 'r': item->lo = '\r'; break;
  case 't': item->lo = '\t'; break;
  case 'f': item->lo = '\f'; break;
  case 'v': item->lo = '\v'; break;
  case 'a': item->lo = 7; break;
  case 'e': item->lo = 27; break;
  case '0': item->lo = 0; break;
  case 'x': case 'u': {
    int32_t v = 0, digits = 0;
    int braced = c->p < c->end && *c->p == '{';
    if (braced)
      ++c->p;
    int most = braced ? 8 : (e == 'x' ? 2 : 4);
    while (c->p < c->end && digits < most) {
      char h = *c->p;
      int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
            : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (d < 0)
        break;
      if (v > 0x10FFFF) /* stays past the limit without overflowing */
        v = 0x110000;
      else
        v = v * 16 + d;
      ++digits;
      ++c->p;
    }
    if (braced) {
      if (c->p >= c->end || *c->p != '}')
        return refuse(c, "unterminated \\x{...}");
      ++c->p;
    }
    if (digits == 0 || v > 0x10FFFF)
      return refuse(c, "a bad \\x or \\u escape");
    item->lo = v;
    break;
  }
  default:
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '1' && e <= '9')) {
      char what[64];
      snprintf(what, sizeof what, "the escape \\%c is not supported", e);
      return refuse(c, what);
    }
    --c->p;
    item->lo = next_char(c); /* an escaped punctuation character stands for itself */
  }
  item->kind = P_RANGE;
  item->hi = item->lo;
  *is_char = 1;
  return 0;
}

static int32_t parse_class(compiler *c, int icase) {
  int32_t self = add_node(c, N_CLASS, icase);
  if (self < 0)
    return -1;
  ++c->p; /* '[' */
  int negated = 0;
  if (c->p < c->end && *c->p == '^') {
    negated = 1;
    ++c->p;
  }
  int32_t first = c->re->item_count, count = 0;
  for (int leading = 1;; leading = 0) {
    if (c->p >= c->end)
      return refuse(c, "an unterminated character class");
    if (*c->p == ']' && !leading)
      break;
    if (*c->p == '[')
      return refuse(c, "nested character classes ([...[...]...]) are not supported");
    if (*c->p == '&' && c->p + 1 < c->end && c->p[1] == '&')
      return refuse(c, "class intersections (&&) are not supported");
    class_item item = {0};
    int is_char = 1;
    if (*c->p == '\\') {
      ++c->p;
      if (parse_escape(c, &item, &is_char) < 0)
        return -1;
    } else {
      item.kind = P_RANGE;
      item.lo = item.hi = next_char(c);
    }
    if (is_char && c->p + 1 < c->end && *c->p == '-' && c->p[1] != ']') {
      ++c->p;
      class_item top = {0};
      int top_is_char = 1;
      if (*c->p == '\\') {
        ++c->p;
        if (parse_escape(c, &top, &top_is_char) < 0)
          return -1;
      } else {
        top.lo = next_char(c);
      }
      if (!top_is_char || top.lo < item.lo)
        return refuse(c, "a bad range in a character class");
      item.hi = top.lo;
    }
    if (add_item(c, item) < 0)
      return -1;
    ++count;
  }
  ++c->p; /* ']' */
  node *n = &c->re->nodes[self];
  n->first = first;
  n->count = count;
  n->negated = negated;
  return self;
}

static int32_t parse_alternation(compiler *c, int *icase);

/* '(' ... ')': a group, a flag group or a lookahead. */
static int32_t parse_group(compiler *c, int *icase) {
  ++c->p; /* '(' */
  int inner_icase = *icase;
  node_kind kind = N_GROUP;
  int negated = 0;
  if (c->p < c->end && *c->p == '?') {
    ++c->p;
    if (c->p >= c->end)
      return refuse(c, "an unterminated group");
    char k = *c->p;
    if (k == ':') {
      ++c->p;
    } else if (k == '=' || k == '!') {
      kind = N_LOOK;
      negated = k == '!';
      ++c->p;
    } else if (k == '<' && c->p + 1 < c->end && (c->p[1] == '=' || c->p[1] == '!')) {
      return refuse(c, "lookbehind ((?<=...) and (?<!...)) is not supported");
    } else if (k == '<' || k == 'P' || k == '\'') { /* a named group: only its contents matter */
      const char *close = memchr(c->p + 1, k == '\'' ? '\'' : '>', (size_t)(c->end - c->p - 1));
      if (!close || (k == 'P' && (c->p + 1 >= c->end || c->p[1] != '<')))
        return refuse(c, "a bad named group");
      c->p = close + 1;
    } else if (k == '>') {
      return refuse(c, "atomic groups ((?>...)) are not supported");
    } else {
      /* flags: (?i) (?-i) (?i:...) */
      int on = 1, any = 0;
      while (c->p < c->end && *c->p != ')' && *c->p != ':') {
        char f = *c->p++;
        if (f == '-')
          on = 0;
        else if (f == 'i')
          inner_icase = on;
        else if (f == 'x' || f == 's' || f == 'm') {
          char what[64];
          snprintf(what, sizeof what, "the flag (?%c) is not supported", f);
          return refuse(c, what);
        } else
          return refuse(c, "an unknown group construct (?...)");
        any = 1;
      }
      if (!any || c->p >= c->end)
        return refuse(c, "a bad flag group");
      if (*c->p == ')') { /* (?i): the flag holds to the end of the enclosing group */
        ++c->p;
        *icase = inner_icase;
        return -2;
      }
      ++c->p; /* ':' */
    }
  }
  if (++c->nesting > TOK_REGEX_MAX_NESTING)
    return refuse(c, "groups nested more than 64 deep");
  int32_t inside = parse_alternation(c, &inner_icase);
  --c->nesting;
  if (inside == -1)
    return -1;
  if (c->p >= c->end || *c->p != ')')
    return refuse(c, "an unterminated group");
  ++c->p;
  int32_t self = add_node(c, kind, *icase);
  if (self < 0)
    return -1;
  c->re->nodes[self].child = inside;
  c->re->nodes[self].negated = negated;
  return self;
}

/* '{' followed by a digit opens {m,n}; any other '{' is a literal, as
 * Oniguruma reads it. */
static int starts_count(const compiler *c) {
  const char *q = c->p + 1;
  if (*c->p != '{' || q >= c->end)
    return 0;
  if (*q == ',') /* {,n} is {0,n} */
    ++q;
  return q < c->end && *q >= '0' && *q <= '9';
}

/* One atom, or -2 for a construct that matches nothing by itself ((?i)). */
static int32_t parse_atom(compiler *c, int *icase) {
  char ch = *c->p;
  if (ch == '(')
    return parse_group(c, icase);
  if (ch == '[')
    return parse_class(c, *icase);
  if (ch == '.') {
    ++c->p;
    return add_node(c, N_ANY, *icase);
  }
  if (ch == '^' || ch == '$') {
    ++c->p;
    int32_t anchor = add_node(c, ch == '^' ? N_BOL : N_EOL, *icase);
    if (anchor >= 0)
      c->re->nodes[anchor].cp = ch; /* a line anchor */
    return anchor;
  }
  if (ch == '*' || ch == '+' || ch == '?' || starts_count(c))
    return refuse(c, "a quantifier with nothing to repeat");
  if (ch == '\\') {
    ++c->p;
    if (c->p < c->end && (*c->p == 'A' || *c->p == 'z' || *c->p == 'Z')) {
      char a = *c->p++;
      int32_t anchor = add_node(c, a == 'A' ? N_BOL : N_EOL, *icase);
      if (anchor >= 0)
        c->re->nodes[anchor].cp = a; /* \A, \z or \Z */
      return anchor;
    }
    if (c->p < c->end && (*c->p == 'b' || *c->p == 'B'))
      return refuse(c, "word boundaries (\\b, \\B) are not supported");
    class_item item;
    int is_char;
    if (parse_escape(c, &item, &is_char) < 0)
      return -1;
    if (is_char) {
      int32_t self = add_node(c, N_CHAR, *icase);
      if (self >= 0)
        c->re->nodes[self].cp = item.lo;
      return self;
    }
    int32_t self = add_node(c, N_CLASS, *icase);
    if (self < 0)
      return -1;
    int32_t at = add_item(c, item);
    if (at < 0)
      return -1;
    c->re->nodes[self].first = at;
    c->re->nodes[self].count = 1;
    return self;
  }
  int32_t self = add_node(c, N_CHAR, *icase);
  if (self >= 0)
    c->re->nodes[self].cp = next_char(c);
  return self;
}

static int parse_count(compiler *c, int *value) {
  int v = 0, digits = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    v = v * 10 + (*c->p++ - '0');
    if (v > 100000)
      return refuse(c, "a repetition count over 100000");
    ++digits;
  }
  *value = v;
  return digits;
}

/* A sequence up to '|' or ')' or the end: its first node (-3 when empty). */
static int32_t parse_sequence(compiler *c, int *icase) {
  int32_t head = -3, tail = -1;
  while (c->p < c->end && *c->p != '|' && *c->p != ')') {
    int32_t atom = parse_atom(c, icase);
    if (atom == -1)
      return -1;
    if (atom == -2) {
      /* (?i) alone: as Oniguruma reads ab(?i)c|d as ab(?i:c|d), the rest of
       * the enclosing group, its later branches included, is one group */
      if (++c->nesting > TOK_REGEX_MAX_NESTING)
        return refuse(c, "groups nested more than 64 deep");
      int32_t rest = parse_alternation(c, icase);
      --c->nesting;
      if (rest == -1)
        return -1;
      atom = add_node(c, N_GROUP, *icase);
      if (atom < 0)
        return -1;
      c->re->nodes[atom].child = rest;
    }
    /* quantifiers */
    if (c->p < c->end && (*c->p == '*' || *c->p == '+' || *c->p == '?' || starts_count(c))) {
      int min = 0, max = -1;
      char q = *c->p++;
      if (q == '+')
        min = 1;
      else if (q == '?')
        max = 1;
      else if (q == '{') {
        if (parse_count(c, &min) < 0)
          return -1;
        max = min;
        if (c->p < c->end && *c->p == ',') {
          ++c->p;
          int upper;
          int digits = parse_count(c, &upper);
          if (digits < 0)
            return -1;
          max = digits ? upper : -1;
        }
        if (c->p >= c->end || *c->p != '}')
          return refuse(c, "an unterminated {m,n}");
        ++c->p;
        if (max >= 0 && max < min)
          return refuse(c, "a repetition {m,n} with n < m");
      }
      int greedy = 1;
      if (c->p < c->end && *c->p == '?') {
        greedy = 0;
        ++c->p;
      } else if (c->p < c->end && *c->p == '+') {
        return refuse(c, "possessive quantifiers (*+, ++, ?+) are not supported");
      }
      node_kind k = c->re->nodes[atom].kind;
      if (k == N_LOOK || k == N_BOL || k == N_EOL)
        return refuse(c, "a quantifier on an assertion");
      int32_t rep = add_node(c, N_REPEAT, *icase);
      if (rep < 0)
        return -1;
      node *r = &c->re->nodes[rep];
      r->child = atom;
      r->min = min;
      r->max = max;
      r->greedy = greedy;
      atom = rep;
    }
    if (tail >= 0)
      c->re->nodes[tail].next = atom;
    else
      head = atom;
    tail = atom;
  }
  return head;
}

static int32_t parse_alternation(compiler *c, int *icase) {
  /* This level's branches are gathered here and appended together at the end:
   * nested groups append theirs while a branch is parsed. */
  int32_t local[64], *branches = local, count = 0, capacity = 64;
  int32_t result = -1;
  for (;;) {
    int flags = *icase; /* each branch starts with the group's flags */
    int32_t seq = parse_sequence(c, &flags);
    if (seq == -1)
      goto done;
    if (count == capacity) {
      int32_t *bigger = (int32_t *)malloc((size_t)capacity * 2 * sizeof(int32_t));
      if (!bigger) {
        refuse(c, "out of memory");
        goto done;
      }
      memcpy(bigger, branches, (size_t)count * sizeof(int32_t));
      if (branches != local)
        free(branches);
      branches = bigger;
      capacity *= 2;
    }
    branches[count++] = seq; /* -3: an empty branch */
    if (c->p < c->end && *c->p == '|') {
      ++c->p;
      continue;
    }
    break;
  }
  if (count == 1 && branches[0] != -3) {
    result = branches[0];
    goto done;
  }
  {
    int32_t self = add_node(c, N_ALT, *icase);
    if (self < 0)
      goto done;
    int32_t first = c->re->alt_count;
    for (int32_t i = 0; i < count; ++i) {
      tok_regex *re = c->re;
      if (re->alt_count == re->alt_capacity) {
        int32_t grown = re->alt_capacity ? re->alt_capacity * 2 : 16;
        int32_t *bigger = (int32_t *)realloc(re->alts, (size_t)grown * sizeof(int32_t));
        if (!bigger) {
          refuse(c, "out of memory");
          goto done;
        }
        re->alts = bigger;
        re->alt_capacity = grown;
      }
      re->alts[re->alt_count++] = branches[i];
    }
    c->re->nodes[self].first = first;
    c->re->nodes[self].count = count;
    result = self;
  }
done:
  if (branches != local)
    free(branches);
  return c->failed ? -1 : result;
}

tok_regex *tok_regex_compile(const char *pattern, size_t len, char *error, size_t error_size) {
  tok_regex *re = (tok_regex *)calloc(1, sizeof *re);
  if (!re) {
    snprintf(error, error_size, "regex: out of memory");
    return NULL;
  }
  compiler c = {re, pattern, pattern + len, pattern, error, error_size, 0, 0};
  if (!tok_utf8_valid(pattern, len)) {
    refuse(&c, "the pattern is not valid UTF-8");
    tok_regex_free(re);
    return NULL;
  }
  int icase = 0;
  int32_t start = parse_alternation(&c, &icase);
  if (start != -1 && c.p < c.end)
    start = refuse(&c, "an unmatched ')'");
  if (start == -1 || c.failed) {
    tok_regex_free(re);
    return NULL;
  }
  re->start = start;
  return re;
}

void tok_regex_free(tok_regex *re) {
  if (!re)
    return;
  free(re->nodes);
  free(re->alts);
  free(re->items);
  free(re);
}

/*===--- matching -----------------------------------------------------------===*/

#define TOK_REGEX_STEPS 20000000L /* per find: far beyond any tokenizer pattern's need */
/* Nested calls (general repeats recurse per repetition): at a few hundred
 * bytes a frame, well inside a 2 MB thread stack. */
#define TOK_REGEX_DEPTH 3000

#define KONT_LOOK_END -4   /* the end of a lookahead's body */
#define KONT_REPEAT_END -5 /* the end of one repetition of a general repeat */

typedef struct kont {
  int32_t node;
  int32_t rep, done; /* KONT_REPEAT_END: the repeat and its repetitions so far */
  size_t start;      /* KONT_REPEAT_END: where this repetition began */
  const struct kont *next;
} kont;

typedef struct {
  const tok_regex *re;
  const char *s;
  size_t n;
  long steps;
  int depth;
  int exhausted;
} matcher;

static int item_matches(const class_item *it, int32_t cp) {
  int in;
  switch (it->kind) {
  case P_RANGE: in = cp >= it->lo && cp <= it->hi; break;
  case P_SPACE: in = tok_is_space(cp); break;
  case P_DIGIT: in = tok_in_category(cp, 9 /* Nd */); break;
  case P_WORD:
    in = tok_is_letter(cp) || tok_is_mark(cp) || tok_in_category(cp, 9) ||
         tok_in_category(cp, 12 /* Pc */);
    break;
  default: in = tok_in_category(cp, it->category); break;
  }
  return it->negated ? !in : in;
}

static int class_matches_exactly(const tok_regex *re, const node *n, int32_t cp) {
  for (int32_t i = 0; i < n->count; ++i)
    if (item_matches(&re->items[n->first + i], cp))
      return 1;
  return 0;
}

/* Whether node n (a one-character node) takes the code point cp. */
static int char_matches(const tok_regex *re, const node *n, int32_t cp) {
  switch (n->kind) {
  case N_CHAR:
    return cp == n->cp || (n->icase && tok_lower(cp) == tok_lower(n->cp));
  case N_ANY:
    return cp != '\n';
  default: {
    int in = class_matches_exactly(re, n, cp);
    if (!in && n->icase) {
      int32_t lower = tok_lower(cp), upper = tok_upper(cp);
      in = (lower != cp && class_matches_exactly(re, n, lower)) ||
           (upper != cp && class_matches_exactly(re, n, upper));
    }
    return n->negated ? !in : in;
  }
  }
}

static int is_one_char(const node *n) {
  return n->kind == N_CHAR || n->kind == N_ANY || n->kind == N_CLASS;
}

static size_t back_one(const char *s, size_t pos) {
  do
    --pos;
  while (pos > 0 && ((unsigned char)s[pos] & 0xC0) == 0x80);
  return pos;
}

static int match(matcher *m, int32_t ni, size_t pos, const kont *k, size_t *end);

/* The rest of repeat node `rep` after `done` repetitions of a general child. */
static int repeat_general(matcher *m, int32_t rep, int done, size_t pos, const kont *k,
                          size_t *end);

static int match(matcher *m, int32_t ni, size_t pos, const kont *k, size_t *end) {
  if (++m->steps > TOK_REGEX_STEPS || m->depth > TOK_REGEX_DEPTH) {
    m->exhausted = 1;
    return 0;
  }
  for (;;) {
    if (ni < 0) { /* the end of a sequence: carry on after the enclosing construct */
      if (!k) {
        *end = pos;
        return 1;
      }
      const kont *popped = k;
      ni = k->node;
      k = k->next;
      if (ni == KONT_LOOK_END) {
        *end = pos;
        return 1;
      }
      if (ni == KONT_REPEAT_END) {
        /* A repetition that matched nothing ends the loop, as in Oniguruma
         * (else (a*)* would repeat forever) */
        if (pos == popped->start) {
          ni = m->re->nodes[popped->rep].next;
          continue;
        }
        ++m->depth;
        int r = repeat_general(m, popped->rep, popped->done, pos, k, end);
        --m->depth;
        return r;
      }
      continue;
    }
    const node *n = &m->re->nodes[ni];
    switch (n->kind) {
    case N_CHAR:
    case N_ANY:
    case N_CLASS: {
      if (pos >= m->n)
        return 0;
      int32_t cp;
      int len = tok_utf8_next(m->s + pos, m->n - pos, &cp);
      if (!char_matches(m->re, n, cp))
        return 0;
      pos += (size_t)len;
      ni = n->next;
      continue;
    }
    case N_BOL: /* ^ begins a line (Ruby syntax); \A the subject */
      if (!(pos == 0 || (n->cp == '^' && m->s[pos - 1] == '\n')))
        return 0;
      ni = n->next;
      continue;
    case N_EOL: /* $ ends a line; \Z the subject or before its last \n; \z the subject */
      if (!(pos == m->n || (n->cp == '$' && m->s[pos] == '\n') ||
            (n->cp == 'Z' && pos + 1 == m->n && m->s[pos] == '\n')))
        return 0;
      ni = n->next;
      continue;
    case N_GROUP: {
      kont after = {n->next, 0, 0, 0, k};
      ++m->depth;
      int r = match(m, n->child, pos, &after, end);
      --m->depth;
      return r;
    }
    case N_ALT: {
      kont after = {n->next, 0, 0, 0, k};
      for (int32_t a = 0; a < n->count; ++a) {
        int32_t branch = m->re->alts[n->first + a];
        ++m->depth;
        int r = match(m, branch == -3 ? -1 : branch, pos, &after, end);
        --m->depth;
        if (r || m->exhausted)
          return r;
      }
      return 0;
    }
    case N_LOOK: {
      kont stop = {KONT_LOOK_END, 0, 0, 0, NULL};
      size_t ignored;
      ++m->depth;
      int found = match(m, n->child, pos, &stop, &ignored);
      --m->depth;
      if (m->exhausted || found == n->negated)
        return 0;
      ni = n->next;
      continue;
    }
    case N_REPEAT: {
      const node *child = &m->re->nodes[n->child];
      if (!is_one_char(child)) {
        ++m->depth;
        int r = repeat_general(m, ni, 0, pos, k, end);
        --m->depth;
        return r;
      }
      /* One character per repetition: count them, then try the rest from
       * the longest (greedy) or the shortest (lazy). */
      size_t at = pos;
      long taken = 0;
      if (n->greedy) {
        while ((n->max < 0 || taken < n->max) && at < m->n) {
          int32_t cp;
          int len = tok_utf8_next(m->s + at, m->n - at, &cp);
          if (!char_matches(m->re, child, cp))
            break;
          at += (size_t)len;
          ++taken;
        }
        if (taken < n->min)
          return 0;
        for (;;) {
          ++m->depth;
          int r = match(m, n->next, at, k, end);
          --m->depth;
          if (r || m->exhausted)
            return r;
          if (taken == n->min || at <= pos)
            return 0;
          at = back_one(m->s, at);
          --taken;
        }
      }
      for (;;) {
        if (taken >= n->min) {
          ++m->depth;
          int r = match(m, n->next, at, k, end);
          --m->depth;
          if (r || m->exhausted)
            return r;
        }
        if ((n->max >= 0 && taken >= n->max) || at >= m->n)
          return 0;
        int32_t cp;
        int len = tok_utf8_next(m->s + at, m->n - at, &cp);
        if (!char_matches(m->re, child, cp))
          return 0;
        at += (size_t)len;
        ++taken;
      }
    }
    }
    return 0;
  }
}

/* After `done` repetitions of repeat node `rep` at pos: another one, or what
 * follows the repeat (its next node, then `k`), greedy or lazy. */
static int repeat_general(matcher *m, int32_t rep, int done, size_t pos, const kont *k,
                          size_t *end) {
  const node *n = &m->re->nodes[rep];
  kont again = {KONT_REPEAT_END, rep, done + 1, pos, k};
  int may_more = n->max < 0 || done < n->max;
  int may_stop = done >= n->min;
  if (n->greedy) {
    if (may_more) {
      int r = match(m, n->child, pos, &again, end);
      if (r || m->exhausted)
        return r;
    }
    return may_stop ? match(m, n->next, pos, k, end) : 0;
  }
  if (may_stop) {
    int r = match(m, n->next, pos, k, end);
    if (r || m->exhausted)
      return r;
  }
  return may_more ? match(m, n->child, pos, &again, end) : 0;
}

int tok_regex_find(const tok_regex *re, const char *s, size_t n, size_t from, size_t *start,
                   size_t *end) {
  matcher m = {re, s, n, 0, 0, 0};
  for (size_t at = from; at <= n;) {
    if (match(&m, re->start == -3 ? -1 : re->start, at, NULL, end)) {
      *start = at;
      return 1;
    }
    if (m.exhausted)
      return -1;
    if (at == n)
      break;
    int32_t cp;
    at += (size_t)tok_utf8_next(s + at, n - at, &cp);
  }
  return 0;
}
