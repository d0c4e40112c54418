/*===- chat.c - slmrun --chat: a conversation through the chat template ---===*
 *
 * What `slmc run --chat` does (compiler/runner/Chat.cpp), on the runtime and
 * libslmtok alone: each turn re-renders the whole conversation with the
 * artifact's Jinja template, encodes it without added special tokens (the
 * template writes them, as Hugging Face's apply_chat_template), keeps the KV
 * cache's positions that the new prompt shares with what ran, prefills the
 * rest and samples a reply until a stop token, EOS or the reply limit.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L

#include "slmrun.h"

#include "slm_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct conversation {
  slm_chat_template *template;
  slm_chat_format format;
  slm_chat_message *messages; /* contents owned */
  size_t count, capacity;
  int32_t *cached; /* the tokens the session's KV cache holds, in order */
  size_t cached_count, cached_capacity;
  int32_t *reply;
  size_t reply_count;
  slm_sampler sampler;
} conversation;

static void conversation_free(conversation *c) {
  for (size_t i = 0; i < c->count; ++i)
    free((char *)c->messages[i].content);
  free(c->messages);
  free(c->cached);
  free(c->reply);
  slm_chat_template_free(c->template);
}

/* Appends a message whose content it takes; 1 when out of memory. */
static int add_message(conversation *c, const char *role, char *content) {
  if (!content)
    return 1;
  if (c->count == c->capacity) {
    size_t capacity = c->capacity ? 2 * c->capacity : 8;
    slm_chat_message *grown = realloc(c->messages, capacity * sizeof *grown);
    if (!grown) {
      free(content);
      return 1;
    }
    c->messages = grown;
    c->capacity = capacity;
  }
  c->messages[c->count++] = (slm_chat_message){role, content};
  return 0;
}

static int is_stop(const conversation *c, const slm_model_info *info, int32_t id) {
  if (id == info->eos_token_id)
    return 1;
  for (int64_t i = 0; i < c->format.stop_token_count; ++i)
    if (c->format.stop_token_ids[i] == id)
      return 1;
  return 0;
}

static void print_ids(const char *label, const int32_t *ids, size_t count) {
  fputs(label, stdout);
  for (size_t i = 0; i < count; ++i)
    printf(" %d", ids[i]);
  fputc('\n', stdout);
}

/* The prompt's tokens for the conversation so far (*ids malloc'ed). */
static int render_prompt(const options *o, const run *r, conversation *c, int32_t **ids,
                         size_t *count) {
  slm_chat chat = {c->messages, c->count, 1, c->format.bos_token, c->format.eos_token};
  char *text = NULL;
  size_t len = 0;
  char error[512] = "";
  if (!slm_chat_template_render(c->template, &chat, &text, &len, error, sizeof error))
    return fail("%s: the chat template: %s", o->artifact, error);
  slm_tok_encode_options encode = {0, NULL, NULL};
  int status = slm_tok_encode(r->tok, text, len, &encode, ids, count, error, sizeof error);
  free(text);
  if (status != 0)
    return fail("the conversation: %s", error);
  if (*count == 0)
    return fail("the chat template rendered no text");
  return 0;
}

/* Runs the prompt's tokens from where they part from the cache; returns the
 * kept count through *kept. Takes `ids` as the new cache. */
static int prefill_prompt(const options *o, run *r, conversation *c, int32_t *ids, size_t count,
                          size_t *kept) {
  if ((long long)count >= r->info.max_context) {
    free(ids);
    return fail("%s: the conversation (%zu tokens) no longer fits the model's context of %lld "
                "positions",
                o->artifact, count, (long long)r->info.max_context);
  }
  size_t keep = 0;
  while (keep < c->cached_count && keep < count && c->cached[keep] == ids[keep])
    ++keep;
  if (keep == count) /* the last position's logits are needed again */
    --keep;
  if (!slm_session_rewind(r->session, (int64_t)keep))
    keep = 0;
  free(c->cached);
  c->cached = ids;
  c->cached_count = count;
  c->cached_capacity = count;
  *kept = keep;
  if (slm_session_prefill(r->session, ids + keep, (int64_t)(count - keep), 0) != SLM_OK)
    return fail("%s", slm_last_error());
  return 0;
}

/* Appends a token to the cache's record. */
static int remember(conversation *c, int32_t id) {
  if (c->cached_count == c->cached_capacity) {
    size_t capacity = 2 * c->cached_capacity + 16;
    int32_t *grown = realloc(c->cached, capacity * sizeof *grown);
    if (!grown)
      return fail("out of memory");
    c->cached = grown;
    c->cached_capacity = capacity;
  }
  c->cached[c->cached_count++] = id;
  return 0;
}

static int say(const options *o, run *r, conversation *c, const char *user) {
  if (add_message(c, "user", strdup(user)))
    return fail("out of memory");
  int32_t *ids = NULL;
  size_t count = 0, kept = 0;
  if (render_prompt(o, r, c, &ids, &count)) {
    free(ids);
    return 1;
  }
  double start = now_seconds();
  if (prefill_prompt(o, r, c, ids, count, &kept))
    return 1;
  double prefill_seconds = now_seconds() - start;

  free(c->reply);
  long long most = o->positions < r->info.max_context ? o->positions : r->info.max_context;
  c->reply = malloc((size_t)most * sizeof *c->reply);
  c->reply_count = 0;
  if (!c->reply)
    return fail("out of memory");
  const char *ending = " (stopped at the token limit)";
  int32_t previous = c->cached[c->cached_count - 1];
  start = now_seconds();
  while ((long long)c->reply_count < o->positions) {
    int64_t rows = 0;
    const float *logits = slm_session_logits(r->session, &rows);
    if (!logits || rows < 1)
      return fail("the model returned no logits");
    int32_t next =
        slm_sample(&c->sampler, logits + (rows - 1) * r->info.vocab_size, r->info.vocab_size);
    if (next < 0)
      return fail("sampling failed: %s", slm_last_error());
    if (is_stop(c, &r->info, next)) {
      ending = "";
      break;
    }
    if (emit_piece(r->tok, previous, next))
      return fail("cannot decode a generated token");
    c->reply[c->reply_count++] = previous = next;
    if ((long long)c->cached_count >= r->info.max_context) {
      ending = " (the context is full)";
      break;
    }
    if (slm_session_decode(r->session, next) != SLM_OK)
      return fail("%s", slm_last_error());
    if (remember(c, next))
      return 1;
  }
  double decode_seconds = now_seconds() - start;

  char *text = NULL;
  size_t len = 0;
  char error[256] = "";
  if (slm_tok_decode(r->tok, c->reply, c->reply_count, 1, &text, &len, error, sizeof error) != 0)
    return fail("cannot decode the reply: %s", error);
  if (add_message(c, "assistant", text))
    return fail("out of memory");
  fputc('\n', stdout);
  if (o->print_tokens) {
    print_ids("prompt tokens:", c->cached, count); /* the cache starts with the prompt */
    print_ids("reply tokens:", c->reply, c->reply_count);
  }
  fflush(stdout);
  fprintf(stderr,
          "slmrun (%s): %zu new prompt tokens (%zu kept in the cache) in %.1f ms; %zu reply "
          "tokens in %.3f s%s\n",
          r->info.target, count - kept, kept, prefill_seconds * 1e3, c->reply_count,
          decode_seconds, ending);
  return 0;
}

static int converse(const options *o, run *r, conversation *c) {
  if (o->prompt[0])
    return say(o, r, c, o->prompt);
  char *line = NULL;
  size_t capacity = 0;
  ssize_t len;
  int status = 0;
  while (!status && (len = getline(&line, &capacity, stdin)) >= 0) {
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    if (strspn(line, " \t\r\f\v") == (size_t)len)
      continue;
    status = say(o, r, c, line);
  }
  free(line);
  return status;
}

int chat(const options *o, run *r) {
  conversation c = {0};
  if (!slm_artifact_chat_format(r->artifact, &c.format))
    return fail("%s: the model has no chat template (tokenizer_config.json's chat_template); "
                "run it without --chat",
                o->artifact);
  char error[512] = "";
  c.template = slm_chat_template_parse(c.format.template_source,
                                       strlen(c.format.template_source), error, sizeof error);
  if (!c.template)
    return fail("%s: the chat template: %s", o->artifact, error);
  slm_sampler_config config = {o->temperature, o->top_k, o->top_p, o->seed};
  slm_sampler_init(&c.sampler, &config);
  int status = 0;
  if (o->system && add_message(&c, "system", strdup(o->system)))
    status = fail("out of memory");
  if (!status)
    status = converse(o, r, &c);
  conversation_free(&c);
  return status;
}
