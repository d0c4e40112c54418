/*===- tmpl.h - the chat-template engine's values, syntax tree and arena -*- C -*-===*
 *
 * Hugging Face models ship their chat format as a Jinja template
 * (tokenizer_config.json's chat_template), rendered by transformers with
 * jinja2 (trim_blocks, lstrip_blocks) and by transformers.js with
 * @huggingface/jinja. This is the subset those templates use (Qwen, Llama 3,
 * Phi-3, Gemma, SmolLM, Mistral): statements if/for/set/break/continue,
 * expressions with Python's operators, slices, filters, tests and the string
 * and dict methods they call. What it does not implement is refused by name
 * when the template is parsed, never skipped.
 *
 * Everything a parse or a render allocates comes from one arena, freed at
 * once: a template is small and a render short.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_TMPL_H
#define SLM_TMPL_H

#include "tok_text.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*===--- arena ------------------------------------------------------------===*/

typedef struct tmpl_chunk tmpl_chunk;
typedef struct {
  tmpl_chunk *head;
} tmpl_arena;

void *tmpl_alloc(tmpl_arena *arena, size_t size); /* zeroed; aborts never: NULL on OOM */
char *tmpl_strdup(tmpl_arena *arena, const char *s, size_t n);
void tmpl_arena_free(tmpl_arena *arena);

/* Writes "chat template line N: " and the message into `error` (parse and
 * render errors alike). */
void tmpl_error(char *error, size_t error_size, int line, const char *format, va_list args);

/*===--- values -----------------------------------------------------------===*/

typedef enum {
  TV_UNDEFINED,
  TV_NONE,
  TV_BOOL,
  TV_INT,
  TV_FLOAT,
  TV_STRING,
  TV_LIST,
  TV_DICT,
  TV_FUNCTION /* a global such as namespace() or raise_exception() */
} tmpl_kind;

typedef struct tmpl_list tmpl_list;
typedef struct tmpl_dict tmpl_dict;

typedef struct {
  tmpl_kind kind;
  union {
    int boolean;
    int64_t integer;
    double number;
    struct {
      const char *s;
      size_t n;
    } str;
    tmpl_list *list; /* lists and dicts are shared by reference, as in Python */
    tmpl_dict *dict;
    int function;
  } u;
} tmpl_value;

struct tmpl_list {
  tmpl_value *items;
  size_t count, capacity;
};

/* Insertion-ordered, string keys (what JSON objects and templates make). */
struct tmpl_dict {
  const char **keys;
  size_t *key_lens;
  tmpl_value *values;
  size_t count, capacity;
};

tmpl_value tmpl_undefined(void);
tmpl_value tmpl_none(void);
tmpl_value tmpl_bool(int b);
tmpl_value tmpl_int(int64_t i);
tmpl_value tmpl_float(double f);
tmpl_value tmpl_str(const char *s, size_t n);
tmpl_value tmpl_new_list(tmpl_arena *a);
tmpl_value tmpl_new_dict(tmpl_arena *a);
int tmpl_list_push(tmpl_arena *a, tmpl_list *l, tmpl_value v);
int tmpl_dict_set(tmpl_arena *a, tmpl_dict *d, const char *key, size_t n, tmpl_value v);
const tmpl_value *tmpl_dict_get(const tmpl_dict *d, const char *key, size_t n);

/*===--- syntax -----------------------------------------------------------===*/

typedef enum {
  /* statements */
  TN_TEXT,
  TN_OUTPUT,
  TN_IF,
  TN_FOR,
  TN_SET,
  TN_BREAK,
  TN_CONTINUE,
  /* expressions */
  TN_LITERAL,
  TN_NAME,
  TN_ATTRIBUTE,
  TN_INDEX,
  TN_SLICE,
  TN_CALL,
  TN_FILTER,
  TN_TEST,
  TN_NOT,
  TN_NEGATE,
  TN_BINARY,
  TN_AND,
  TN_OR,
  TN_CONDITIONAL,
  TN_LIST,
  TN_DICT
} tmpl_node_kind;

typedef enum {
  TOP_ADD,
  TOP_SUB,
  TOP_MUL,
  TOP_DIV,
  TOP_FLOORDIV,
  TOP_MOD,
  TOP_CONCAT, /* ~ */
  TOP_EQ,
  TOP_NE,
  TOP_LT,
  TOP_LE,
  TOP_GT,
  TOP_GE,
  TOP_IN,
  TOP_NOT_IN
} tmpl_op;

typedef struct tmpl_node tmpl_node;
struct tmpl_node {
  tmpl_node_kind kind;
  int line;
  tmpl_op op;
  int negated;            /* TN_TEST: `is not` */
  tmpl_value literal;     /* TN_LITERAL; TN_TEXT's text */
  const char *name;       /* TN_NAME, TN_ATTRIBUTE, TN_FILTER, TN_TEST; TN_SET's target */
  size_t name_len;
  const char *attribute;  /* TN_SET: `set ns.attribute = ...` */
  size_t attribute_len;
  tmpl_node *a, *b, *c;   /* operands (TN_SLICE: start, stop, step; any may be NULL) */
  tmpl_node **args;       /* calls, filters, tests, list items; dicts: key, value, key, ... */
  size_t arg_count;
  const char **kw_names;  /* keyword arguments of calls and filters */
  size_t *kw_lens;
  tmpl_node **kw_values;
  size_t kw_count;
  /* TN_FOR: loop variables (one, or two unpacked), iterable in `a`, filter in `b` */
  const char *vars[2];
  size_t var_lens[2];
  int var_count;
  tmpl_node *body, *else_body; /* statement lists (TN_IF: `a` is the condition) */
  tmpl_node *next;             /* the next statement of a list */
};

typedef struct {
  tmpl_arena arena;
  tmpl_node *body;
} tmpl_template;

/* Parses `source`; 0 with a message (and line) in `error` on failure. */
int tmpl_parse(const char *source, size_t len, tmpl_template *out, char *error,
               size_t error_size);

/* Renders `body` with `globals` as the outermost variables; the text is
 * appended to a malloc'ed buffer (*out, *out_len). */
int tmpl_render(const tmpl_template *t, tmpl_arena *arena, tmpl_dict *globals, char **out,
                size_t *out_len, char *error, size_t error_size);

/* Appends Python's str() of a value, as templates print it (undefined: nothing). */
void tmpl_write_string(tok_buf *b, tmpl_value v);
/* Appends json.dumps(v, ensure_ascii=False, indent=indent) (indent < 0: on one line). */
void tmpl_write_json(tok_buf *b, tmpl_value v, int indent, int depth);
int tmpl_truthy(tmpl_value v);
/* "integer", "string", ...: a value's kind in messages. */
const char *tmpl_kind_name(tmpl_value v);
int tmpl_equal(tmpl_value a, tmpl_value b);

#endif /* SLM_TMPL_H */
