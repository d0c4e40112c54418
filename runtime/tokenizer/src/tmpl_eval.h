/*===- tmpl_eval.h - chat templates: the evaluator's state and builtins -*- C -*-===*/
#ifndef SLM_TMPL_EVAL_H
#define SLM_TMPL_EVAL_H

#include "tmpl.h"

typedef struct {
  tmpl_arena *arena;
  tok_buf out;
  char *error;
  size_t error_size;
  int failed;
  tmpl_dict **frames; /* variables, innermost last */
  size_t depth, capacity;
  int control; /* 1 after {% break %}, 2 after {% continue %}, until the loop takes it */
} tmpl_ctx;

/* Evaluated arguments of a call, filter or test. */
typedef struct {
  const tmpl_value *values;
  size_t count;
  const char *const *kw_names;
  const size_t *kw_lens;
  const tmpl_value *kw_values;
  size_t kw_count;
} tmpl_args;

/* The functions templates call by name (globals). */
enum { TF_RAISE_EXCEPTION = 1, TF_NAMESPACE, TF_RANGE, TF_STRFTIME_NOW };

int tmpl_fail(tmpl_ctx *c, int line, const char *format, ...);
/* Argument `index`, or the keyword `name` (NULL: none); NULL when absent. */
const tmpl_value *tmpl_arg(const tmpl_args *a, size_t index, const char *name);
/* Python's str(v) as an arena string. */
tmpl_value tmpl_stringify(tmpl_ctx *c, tmpl_value v);

int tmpl_call_function(tmpl_ctx *c, int line, int function, const tmpl_args *a, tmpl_value *out);
int tmpl_call_method(tmpl_ctx *c, int line, tmpl_value self, const char *name, size_t n,
                     const tmpl_args *a, tmpl_value *out);
int tmpl_apply_filter(tmpl_ctx *c, int line, const char *name, size_t n, tmpl_value input,
                      const tmpl_args *a, tmpl_value *out);
int tmpl_apply_test(tmpl_ctx *c, int line, const char *name, size_t n, tmpl_value input,
                    const tmpl_args *a, int *result);
/* What a value iterates as: a list's items, a dict's keys, a string's
 * characters, nothing for undefined; else an error "cannot DOING KIND". */
int tmpl_items(tmpl_ctx *c, int line, tmpl_value v, const char *doing, tmpl_list **items);
/* x[index] and x[start:stop:step] with Python's rules (strings by code point). */
int tmpl_index(tmpl_ctx *c, int line, tmpl_value x, tmpl_value index, tmpl_value *out);
int tmpl_slice(tmpl_ctx *c, int line, tmpl_value x, const tmpl_value *start,
               const tmpl_value *stop, const tmpl_value *step, tmpl_value *out);

#endif /* SLM_TMPL_EVAL_H */
