/*===- load.c - tokenizer.json into a pipeline ---------------------*- C -*-===*
 *
 * Each component of the file becomes a step with typed parameters; a type
 * this library does not implement is an error that names it. Field defaults
 * are the tokenizers library's (e.g. ByteLevel's use_regex is true when
 * absent, Metaspace's prepend_scheme "always").
 *
 *===----------------------------------------------------------------------===*/
#include "tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GPT-2's split, which ByteLevel applies when use_regex is set. */
static const char kGpt2Pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

typedef struct {
  slm_tokenizer *tok;
  char *error;
  size_t error_size;
} loader;

/* "normalizer type 'BertNormalizer' is not supported (supported: ...)" */
static int unsupported(loader *l, const char *where, const char *type, const char *supported) {
  snprintf(l->error, l->error_size, "%s type '%s' is not supported (supported: %s)", where, type,
           supported);
  return -1;
}

static int refuse(loader *l, const char *where, const char *what, const char *type) {
  snprintf(l->error, l->error_size, "%s: %s%s%s%s", where, what, type ? " '" : "",
           type ? type : "", type ? "'" : "");
  return -1;
}

static int add_step(loader *l, tok_steps *steps, tok_step step) {
  tok_step *grown = (tok_step *)realloc(steps->steps, (size_t)(steps->count + 1) * sizeof step);
  if (!grown) {
    tok_regex_free(step.regex);
    return refuse(l, "tokenizer.json", "out of memory", NULL);
  }
  steps->steps = grown;
  steps->steps[steps->count++] = step;
  return 0;
}

static tok_str string_of(const tok_json_doc *d, const tok_json *object, const char *key) {
  tok_str s = {NULL, 0};
  s.s = tok_json_string(d, object, key, &s.len);
  return s;
}

/* A pattern {"String": s} or {"Regex": r} into step->literal / step->regex. */
static int read_pattern(loader *l, const char *where, const tok_json *pattern, tok_step *step) {
  const tok_json_doc *d = &l->tok->doc;
  tok_str literal = string_of(d, pattern, "String"), regex = string_of(d, pattern, "Regex");
  if (literal.s) {
    if (literal.len == 0)
      return refuse(l, where, "an empty String pattern", NULL);
    step->literal = literal;
    return 0;
  }
  if (regex.s) {
    char message[256];
    step->regex = tok_regex_compile(regex.s, regex.len, message, sizeof message);
    if (!step->regex)
      return refuse(l, where, message, NULL);
    return 0;
  }
  return refuse(l, where, "a pattern that is neither {\"String\": ...} nor {\"Regex\": ...}",
                NULL);
}

/* Replace (a normalizer and a decoder alike): a pattern and its content. */
static int read_replace(loader *l, const char *where, const tok_json *c, tok_step *step) {
  const tok_json_doc *d = &l->tok->doc;
  step->kind = STEP_REPLACE;
  step->text = string_of(d, c, "content");
  if (!step->text.s)
    return refuse(l, where, "Replace without a \"content\" string", NULL);
  char context[32];
  snprintf(context, sizeof context, "%s Replace", where);
  return read_pattern(l, context, tok_json_get(d, c, "pattern"), step);
}

static int read_bool(loader *l, const char *where, const tok_json *object, const char *key,
                     int fallback, int *out) {
  int v = tok_json_bool(&l->tok->doc, object, key, fallback);
  if (v < 0) {
    char what[96];
    snprintf(what, sizeof what, "\"%s\" is not a boolean", key);
    return refuse(l, where, what, NULL);
  }
  *out = v;
  return 0;
}

static int read_prepend_scheme(loader *l, const char *where, const tok_json *object,
                               tok_prepend_scheme *out) {
  const tok_json_doc *d = &l->tok->doc;
  tok_str scheme = string_of(d, object, "prepend_scheme");
  if (scheme.s) {
    if (strcmp(scheme.s, "always") == 0)
      *out = PREPEND_ALWAYS;
    else if (strcmp(scheme.s, "first") == 0)
      *out = PREPEND_FIRST;
    else if (strcmp(scheme.s, "never") == 0)
      *out = PREPEND_NEVER;
    else
      return refuse(l, where, "Metaspace prepend_scheme is not always, first or never:",
                    scheme.s);
    return 0;
  }
  int add_prefix_space; /* the older files' field */
  if (read_bool(l, where, object, "add_prefix_space", 1, &add_prefix_space) < 0)
    return -1;
  *out = add_prefix_space ? PREPEND_ALWAYS : PREPEND_NEVER;
  return 0;
}

static int read_metaspace(loader *l, const char *where, const tok_json *c, tok_step *step) {
  step->kind = STEP_METASPACE;
  step->text = string_of(&l->tok->doc, c, "replacement");
  if (!step->text.s) {
    static const char kSpaceMark[] = "\xE2\x96\x81";
    step->text.s = kSpaceMark;
    step->text.len = 3;
  }
  if (read_prepend_scheme(l, where, c, &step->prepend) < 0)
    return -1;
  return read_bool(l, where, c, "split", 1, &step->split);
}

typedef int (*component_reader)(loader *l, const tok_json *c);

/* The prologue every component kind shares: null is nothing (0), a Sequence
 * reads each of its `list_key` members with `read` (0), anything else gives
 * its type (1); -1 on an error. */
static int component(loader *l, const char *where, const tok_json *c, const char *list_key,
                     component_reader read, const char **type) {
  const tok_json_doc *d = &l->tok->doc;
  if (!c || c->kind == TOK_JSON_NULL)
    return 0;
  *type = tok_json_string(d, c, "type", NULL);
  if (!*type)
    return refuse(l, where, "a component without a \"type\"", NULL);
  if (strcmp(*type, "Sequence") != 0)
    return 1;
  const tok_json *list = tok_json_get(d, c, list_key);
  if (!list || list->kind != TOK_JSON_ARRAY) {
    char what[96];
    snprintf(what, sizeof what, "a Sequence without a \"%s\" list", list_key);
    return refuse(l, where, what, NULL);
  }
  for (const tok_json *e = tok_json_first(d, list); e; e = tok_json_next(d, e))
    if (read(l, e) < 0)
      return -1;
  return 0;
}

static int read_normalizer(loader *l, const tok_json *c) {
  const char *where = "normalizer";
  const tok_json_doc *d = &l->tok->doc;
  const char *type = NULL;
  int kind = component(l, where, c, "normalizers", read_normalizer, &type);
  if (kind <= 0)
    return kind;
  tok_step step;
  memset(&step, 0, sizeof step);
  if (strcmp(type, "NFC") == 0)
    step.kind = STEP_NFC;
  else if (strcmp(type, "NFD") == 0)
    step.kind = STEP_NFD;
  else if (strcmp(type, "NFKC") == 0)
    step.kind = STEP_NFKC;
  else if (strcmp(type, "NFKD") == 0)
    step.kind = STEP_NFKD;
  else if (strcmp(type, "Lowercase") == 0)
    step.kind = STEP_LOWERCASE;
  else if (strcmp(type, "Strip") == 0) {
    step.kind = STEP_STRIP;
    if (read_bool(l, where, c, "strip_left", 1, &step.left) < 0 ||
        read_bool(l, where, c, "strip_right", 1, &step.right) < 0)
      return -1;
  } else if (strcmp(type, "Prepend") == 0) {
    step.kind = STEP_PREPEND;
    step.text = string_of(d, c, "prepend");
    if (!step.text.s)
      return refuse(l, where, "Prepend without a \"prepend\" string", NULL);
  } else if (strcmp(type, "Replace") == 0) {
    if (read_replace(l, where, c, &step) < 0)
      return -1;
  } else {
    return unsupported(l, where, type,
                       "NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence");
  }
  return add_step(l, &l->tok->normalizer, step);
}

static int read_behavior(loader *l, const char *where, const tok_json *c, tok_step *step) {
  const char *b = tok_json_string(&l->tok->doc, c, "behavior", NULL);
  if (!b)
    return refuse(l, where, "a Split without a \"behavior\"", NULL);
  if (strcmp(b, "Removed") == 0)
    step->behavior = SPLIT_REMOVED;
  else if (strcmp(b, "Isolated") == 0)
    step->behavior = SPLIT_ISOLATED;
  else if (strcmp(b, "MergedWithPrevious") == 0)
    step->behavior = SPLIT_MERGED_PREVIOUS;
  else if (strcmp(b, "MergedWithNext") == 0)
    step->behavior = SPLIT_MERGED_NEXT;
  else if (strcmp(b, "Contiguous") == 0)
    step->behavior = SPLIT_CONTIGUOUS;
  else
    return refuse(l, where, "an unknown split behavior:", b);
  return 0;
}

/* A pre-tokenizer the library defines by a fixed split. */
static int split_on(loader *l, tok_step *step, const char *pattern, tok_split_behavior behavior,
                    int invert) {
  step->kind = STEP_SPLIT;
  step->behavior = behavior;
  step->invert = invert;
  step->regex = tok_regex_compile(pattern, strlen(pattern), l->error, l->error_size);
  return step->regex ? 0 : -1;
}

static int read_pre_tokenizer(loader *l, const tok_json *c) {
  const char *where = "pre_tokenizer";
  const tok_json_doc *d = &l->tok->doc;
  const char *type = NULL;
  int kind = component(l, where, c, "pretokenizers", read_pre_tokenizer, &type);
  if (kind <= 0)
    return kind;
  tok_step step;
  memset(&step, 0, sizeof step);
  if (strcmp(type, "ByteLevel") == 0) {
    step.kind = STEP_BYTE_LEVEL;
    if (read_bool(l, where, c, "add_prefix_space", 1, &step.add_prefix_space) < 0 ||
        read_bool(l, where, c, "use_regex", 1, &step.use_regex) < 0)
      return -1;
  } else if (strcmp(type, "Split") == 0) {
    step.kind = STEP_SPLIT;
    if (read_behavior(l, where, c, &step) < 0 ||
        read_bool(l, where, c, "invert", 0, &step.invert) < 0 ||
        read_pattern(l, "pre_tokenizer Split", tok_json_get(d, c, "pattern"), &step) < 0)
      return -1;
  } else if (strcmp(type, "Digits") == 0) {
    /* numeric characters (char::is_numeric: \p{N}) isolated, each or in runs */
    int individual;
    if (read_bool(l, where, c, "individual_digits", 0, &individual) < 0 ||
        split_on(l, &step, individual ? "\\p{N}" : "\\p{N}+", SPLIT_ISOLATED, 0) < 0)
      return -1;
  } else if (strcmp(type, "Metaspace") == 0) {
    if (read_metaspace(l, where, c, &step) < 0)
      return -1;
  } else if (strcmp(type, "Whitespace") == 0) {
    if (split_on(l, &step, "\\w+|[^\\w\\s]+", SPLIT_REMOVED, 1) < 0)
      return -1;
  } else if (strcmp(type, "WhitespaceSplit") == 0) {
    if (split_on(l, &step, "\\s+", SPLIT_REMOVED, 0) < 0)
      return -1;
  } else if (strcmp(type, "Punctuation") == 0) {
    /* each punctuation character (Unicode P, and ASCII's symbols too) */
    step.behavior = SPLIT_ISOLATED;
    if (tok_json_get(d, c, "behavior") && read_behavior(l, where, c, &step) < 0)
      return -1;
    if (split_on(l, &step, "[\\p{P}\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E]",
                 step.behavior, 0) < 0)
      return -1;
  } else {
    return unsupported(l, where, type,
                       "ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit, "
                       "Punctuation, Sequence");
  }
  return add_step(l, &l->tok->pre_tokenizer, step);
}

static int read_decoder(loader *l, const tok_json *c) {
  const char *where = "decoder";
  const tok_json_doc *d = &l->tok->doc;
  const char *type = NULL;
  int kind = component(l, where, c, "decoders", read_decoder, &type);
  if (kind <= 0)
    return kind;
  tok_step step;
  memset(&step, 0, sizeof step);
  if (strcmp(type, "ByteLevel") == 0) {
    step.kind = STEP_BYTE_LEVEL;
  } else if (strcmp(type, "Metaspace") == 0) {
    if (read_metaspace(l, where, c, &step) < 0)
      return -1;
  } else if (strcmp(type, "ByteFallback") == 0) {
    step.kind = STEP_BYTE_FALLBACK;
  } else if (strcmp(type, "Fuse") == 0) {
    step.kind = STEP_FUSE;
  } else if (strcmp(type, "Strip") == 0) {
    step.kind = STEP_STRIP;
    step.text = string_of(d, c, "content");
    const tok_json *start = tok_json_get(d, c, "start"), *stop = tok_json_get(d, c, "stop");
    if (!step.text.s || !start || start->kind != TOK_JSON_NUMBER || !stop ||
        stop->kind != TOK_JSON_NUMBER || start->number < 0 || stop->number < 0 ||
        start->number > 1e6 || stop->number > 1e6)
      return refuse(l, where, "Strip wants \"content\", \"start\" and \"stop\"", NULL);
    step.left = (int)start->number;
    step.right = (int)stop->number;
  } else if (strcmp(type, "Replace") == 0) {
    if (read_replace(l, where, c, &step) < 0)
      return -1;
  } else {
    return unsupported(l, where, type,
                       "ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence");
  }
  return add_step(l, &l->tok->decoder, step);
}

static int push_frame(loader *l, int32_t **ids, size_t *count, int32_t id) {
  int32_t *grown = (int32_t *)realloc(*ids, (*count + 1) * sizeof(int32_t));
  if (!grown)
    return refuse(l, "post_processor", "out of memory", NULL);
  *ids = grown;
  (*ids)[(*count)++] = id;
  return 0;
}

/* The ids a special-token name stands for in a TemplateProcessing. */
static int template_special(loader *l, const tok_json *c, const char *name, int front) {
  const tok_json_doc *d = &l->tok->doc;
  slm_tokenizer *tok = l->tok;
  const tok_json *specials = tok_json_get(d, c, "special_tokens");
  const tok_json *entry = tok_json_get(d, specials, name);
  const tok_json *ids = tok_json_get(d, entry, "ids");
  if (!ids || ids->kind != TOK_JSON_ARRAY)
    return refuse(l, "post_processor", "a template names a special token it does not define:",
                  name);
  for (const tok_json *e = tok_json_first(d, ids); e; e = tok_json_next(d, e)) {
    if (e->kind != TOK_JSON_NUMBER || !(e->number >= 0) || e->number >= TOK_MAX_ID)
      return refuse(l, "post_processor", "a special token's id is not an id:", name);
    if (push_frame(l, front ? &tok->front : &tok->back, front ? &tok->front_count
                                                               : &tok->back_count,
                   (int32_t)e->number) < 0)
      return -1;
  }
  return 0;
}

static int read_post_processor(loader *l, const tok_json *c) {
  const char *where = "post_processor";
  const tok_json_doc *d = &l->tok->doc;
  slm_tokenizer *tok = l->tok;
  const char *type = NULL;
  int kind = component(l, where, c, "processors", read_post_processor, &type);
  if (kind <= 0)
    return kind;
  if (strcmp(type, "ByteLevel") == 0)
    return 0; /* offsets only: the ids stay */
  if (strcmp(type, "TemplateProcessing") == 0) {
    const tok_json *single = tok_json_get(d, c, "single");
    if (!single || single->kind != TOK_JSON_ARRAY)
      return refuse(l, where, "TemplateProcessing without a \"single\" template", NULL);
    int seen_sequence = 0;
    for (const tok_json *e = tok_json_first(d, single); e; e = tok_json_next(d, e)) {
      const tok_json *special = tok_json_get(d, e, "SpecialToken");
      if (tok_json_get(d, e, "Sequence")) {
        if (seen_sequence)
          return refuse(l, where, "a single template with two sequences", NULL);
        seen_sequence = 1;
      } else if (special) {
        const char *name = tok_json_string(d, special, "id", NULL);
        if (!name || template_special(l, c, name, !seen_sequence) < 0)
          return name ? -1 : refuse(l, where, "a SpecialToken without an id", NULL);
      } else {
        return refuse(l, where, "a template piece that is neither Sequence nor SpecialToken",
                      NULL);
      }
    }
    return 0;
  }
  if (strcmp(type, "RobertaProcessing") == 0 || strcmp(type, "BertProcessing") == 0) {
    const tok_json *cls = tok_json_get(d, c, "cls"), *sep = tok_json_get(d, c, "sep");
    const tok_json *cls_token = tok_json_first(d, cls), *sep_token = tok_json_first(d, sep);
    const tok_json *cls_id = cls_token ? tok_json_next(d, cls_token) : NULL;
    const tok_json *sep_id = sep_token ? tok_json_next(d, sep_token) : NULL;
    if (!cls_id || cls->count != 2 || cls_id->kind != TOK_JSON_NUMBER || !sep_id ||
        sep->count != 2 || sep_id->kind != TOK_JSON_NUMBER || !(cls_id->number >= 0) ||
        !(sep_id->number >= 0) || cls_id->number >= TOK_MAX_ID || sep_id->number >= TOK_MAX_ID)
      return refuse(l, where, "cls and sep must be [token, id]:", type);
    if (push_frame(l, &tok->front, &tok->front_count, (int32_t)cls_id->number) < 0 ||
        push_frame(l, &tok->back, &tok->back_count, (int32_t)sep_id->number) < 0)
      return -1;
    return 0;
  }
  return unsupported(l, where, type,
                     "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence");
}

static int read_added_tokens(loader *l, const tok_json *list) {
  const tok_json_doc *d = &l->tok->doc;
  slm_tokenizer *tok = l->tok;
  if (!list || list->kind == TOK_JSON_NULL)
    return 0;
  if (list->kind != TOK_JSON_ARRAY)
    return refuse(l, "added_tokens", "not an array", NULL);
  tok->added = (tok_added *)calloc((size_t)list->count + 1, sizeof(tok_added));
  if (!tok->added)
    return refuse(l, "added_tokens", "out of memory", NULL);
  for (const tok_json *e = tok_json_first(d, list); e; e = tok_json_next(d, e)) {
    tok_added a;
    memset(&a, 0, sizeof a);
    a.content = string_of(d, e, "content");
    const tok_json *id = tok_json_get(d, e, "id");
    if (!a.content.s || !id || id->kind != TOK_JSON_NUMBER || !(id->number >= 0) ||
        id->number >= TOK_MAX_ID)
      return refuse(l, "added_tokens", "an entry without a \"content\" string and an id", NULL);
    a.id = (int32_t)id->number;
    if (read_bool(l, "added_tokens", e, "special", 0, &a.special) < 0 ||
        read_bool(l, "added_tokens", e, "lstrip", 0, &a.lstrip) < 0 ||
        read_bool(l, "added_tokens", e, "rstrip", 0, &a.rstrip) < 0 ||
        read_bool(l, "added_tokens", e, "normalized", !a.special, &a.normalized) < 0 ||
        read_bool(l, "added_tokens", e, "single_word", 0, &a.single_word) < 0)
      return -1;
    if (tok_vocab_put(&tok->added_vocab, a.content.s, a.content.len, a.id) < 0)
      return refuse(l, "added_tokens", "out of memory", NULL);
    tok->added[tok->added_count++] = a;
  }
  return 0;
}

int tok_load_pipeline(slm_tokenizer *tok, char *error, size_t error_size) {
  loader l = {tok, error, error_size};
  const tok_json_doc *d = &tok->doc;
  const tok_json *root = tok_json_at(d, 0);
  if (root->kind != TOK_JSON_OBJECT)
    return refuse(&l, "not a tokenizer.json", "the document is not an object", NULL);
  const tok_json *model = tok_json_get(d, root, "model");
  if (!model || model->kind != TOK_JSON_OBJECT)
    return refuse(&l, "not a tokenizer.json", "no \"model\" object", NULL);
  /* GPT-2's 2020 file has no model.type: a vocab with merges is BPE */
  const char *type = tok_json_string(d, model, "type", NULL);
  if (type && strcmp(type, "BPE") != 0)
    return unsupported(&l, "model", type, "BPE");
  if (!type && !tok_json_get(d, model, "merges"))
    return refuse(&l, "model", "no \"type\" and no \"merges\": not a BPE model", NULL);
  tok_bpe *bpe = &tok->bpe;
  if (tok_bpe_load(bpe, d, model, error, error_size) < 0)
    return -1;
  bpe->unk = -1;
  tok_str unk = string_of(d, model, "unk_token");
  if (unk.s) {
    bpe->unk = tok_vocab_get(&bpe->vocab, unk.s, unk.len);
    if (bpe->unk < 0)
      return refuse(&l, "model", "the unk_token is not in the vocabulary:", unk.s);
  }
  bpe->prefix = string_of(d, model, "continuing_subword_prefix");
  bpe->suffix = string_of(d, model, "end_of_word_suffix");
  const tok_json *dropout = tok_json_get(d, model, "dropout");
  if (dropout && dropout->kind == TOK_JSON_NUMBER && dropout->number > 0)
    return refuse(&l, "model", "BPE dropout is for training; a dropout above 0 is not supported",
                  NULL);
  if (read_bool(&l, "model", model, "fuse_unk", 0, &bpe->fuse_unk) < 0 ||
      read_bool(&l, "model", model, "byte_fallback", 0, &bpe->byte_fallback) < 0 ||
      read_bool(&l, "model", model, "ignore_merges", 0, &bpe->ignore_merges) < 0)
    return -1;

  if (read_added_tokens(&l, tok_json_get(d, root, "added_tokens")) < 0 ||
      read_normalizer(&l, tok_json_get(d, root, "normalizer")) < 0 ||
      read_pre_tokenizer(&l, tok_json_get(d, root, "pre_tokenizer")) < 0 ||
      read_post_processor(&l, tok_json_get(d, root, "post_processor")) < 0 ||
      read_decoder(&l, tok_json_get(d, root, "decoder")) < 0)
    return -1;
  for (int i = 0; i < tok->pre_tokenizer.count; ++i)
    if (tok->pre_tokenizer.steps[i].kind == STEP_BYTE_LEVEL &&
        tok->pre_tokenizer.steps[i].use_regex && !tok->gpt2_regex) {
      tok->gpt2_regex = tok_regex_compile(kGpt2Pattern, sizeof kGpt2Pattern - 1, error,
                                          error_size);
      if (!tok->gpt2_regex)
        return -1;
    }
  tok_byte_level_alphabet(tok->byte_char, tok->char_byte);
  return 0;
}

void tok_free_steps(tok_steps *steps) {
  for (int i = 0; i < steps->count; ++i)
    tok_regex_free(steps->steps[i].regex);
  free(steps->steps);
  memset(steps, 0, sizeof *steps);
}
