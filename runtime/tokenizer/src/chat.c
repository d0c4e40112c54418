/*===- chat.c - chat templates: the public API ----------------------------===*/
#include "slm_chat.h"

#include "tmpl.h"
#include "tok_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slm_chat_template {
  tmpl_template parsed;
};

slm_chat_template *slm_chat_template_parse(const char *source, size_t len, char *error,
                                           size_t error_size) {
  slm_chat_template *t = (slm_chat_template *)calloc(1, sizeof *t);
  if (!t) {
    snprintf(error, error_size, "out of memory");
    return NULL;
  }
  if (!tmpl_parse(source, len, &t->parsed, error, error_size)) {
    free(t);
    return NULL;
  }
  return t;
}

void slm_chat_template_free(slm_chat_template *t) {
  if (!t)
    return;
  tmpl_arena_free(&t->parsed.arena);
  free(t);
}

static int set(tmpl_arena *a, tmpl_dict *d, const char *key, tmpl_value v) {
  return tmpl_dict_set(a, d, key, strlen(key), v);
}

static tmpl_value text(const char *s) { return tmpl_str(s ? s : "", s ? strlen(s) : 0); }

int slm_chat_template_render(const slm_chat_template *t, const slm_chat *chat, char **out,
                             size_t *out_len, char *error, size_t error_size) {
  tmpl_arena arena = {0};
  tmpl_value globals = tmpl_new_dict(&arena), messages = tmpl_new_list(&arena);
  int ok = globals.kind == TV_DICT && messages.kind == TV_LIST;
  for (size_t i = 0; ok && i < chat->count; ++i) {
    tmpl_value message = tmpl_new_dict(&arena);
    ok = message.kind == TV_DICT &&
         set(&arena, message.u.dict, "role", text(chat->messages[i].role)) &&
         set(&arena, message.u.dict, "content", text(chat->messages[i].content)) &&
         tmpl_list_push(&arena, messages.u.list, message);
  }
  ok = ok && set(&arena, globals.u.dict, "messages", messages) &&
       set(&arena, globals.u.dict, "add_generation_prompt",
           tmpl_bool(chat->add_generation_prompt)) &&
       set(&arena, globals.u.dict, "bos_token", text(chat->bos_token)) &&
       set(&arena, globals.u.dict, "eos_token", text(chat->eos_token));
  if (!ok) {
    snprintf(error, error_size, "out of memory");
    tmpl_arena_free(&arena);
    return 0;
  }
  ok = tmpl_render(&t->parsed, &arena, globals.u.dict, out, out_len, error, error_size);
  tmpl_arena_free(&arena);
  return ok;
}

/* A JSON value as a template value (strings point into the document). */
static int from_json(tmpl_arena *a, const tok_json_doc *doc, const tok_json *j, tmpl_value *out) {
  switch (j->kind) {
  case TOK_JSON_NULL:
    *out = tmpl_none();
    return 1;
  case TOK_JSON_FALSE:
  case TOK_JSON_TRUE:
    *out = tmpl_bool(j->kind == TOK_JSON_TRUE);
    return 1;
  case TOK_JSON_NUMBER:
    *out = j->number == floor(j->number) && fabs(j->number) < 9007199254740992.0
               ? tmpl_int((int64_t)j->number)
               : tmpl_float(j->number);
    return 1;
  case TOK_JSON_STRING:
    *out = tmpl_str(j->str, j->str_len);
    return 1;
  case TOK_JSON_ARRAY:
    *out = tmpl_new_list(a);
    if (out->kind != TV_LIST)
      return 0;
    for (const tok_json *e = tok_json_first(doc, j); e; e = tok_json_next(doc, e)) {
      tmpl_value v;
      if (!from_json(a, doc, e, &v) || !tmpl_list_push(a, out->u.list, v))
        return 0;
    }
    return 1;
  case TOK_JSON_OBJECT:
    *out = tmpl_new_dict(a);
    if (out->kind != TV_DICT)
      return 0;
    for (const tok_json *e = tok_json_first(doc, j); e; e = tok_json_next(doc, e)) {
      tmpl_value v;
      if (!from_json(a, doc, e, &v) || !tmpl_dict_set(a, out->u.dict, e->key, e->key_len, v))
        return 0;
    }
    return 1;
  }
  return 0;
}

int slm_chat_template_render_json(const slm_chat_template *t, const char *context, size_t len,
                                  char **out, size_t *out_len, char *error, size_t error_size) {
  tok_json_doc doc;
  if (!tok_json_parse(context, len, &doc, error, error_size))
    return 0;
  tmpl_arena arena = {0};
  tmpl_value globals;
  int ok = 0;
  if (doc.nodes[0].kind != TOK_JSON_OBJECT)
    snprintf(error, error_size, "the context must be a JSON object");
  else if (!from_json(&arena, &doc, &doc.nodes[0], &globals))
    snprintf(error, error_size, "out of memory");
  else
    ok = tmpl_render(&t->parsed, &arena, globals.u.dict, out, out_len, error, error_size);
  tmpl_arena_free(&arena);
  tok_json_free(&doc);
  return ok;
}
