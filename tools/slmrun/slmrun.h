/*===- slmrun.h - what slmrun's text and chat modes share -----------------===*/
#ifndef SLMRUN_H
#define SLMRUN_H

#include "slm_runtime.h"
#include "slm_tokenizer.h"

#include <stdint.h>

typedef struct options {
  const char *artifact;
  const char *prompt;
  const char *system; /* --chat: the conversation's system message (NULL: none) */
  const char *logits; /* --logits: comma-separated token ids (NULL: generate) */
  long long positions; /* text: positions in all; chat: tokens per reply */
  float temperature, top_p;
  int top_k, threads, print_tokens, chat, decode_logits;
  unsigned long long seed;
  slm_public_key trusted_keys[8]; /* --trusted-key: run only what one of these signed */
  size_t trusted_key_count;
} options;

/* What a run holds, freed by run_free. */
typedef struct run {
  slm_artifact *artifact;
  slm_session *session;
  slm_tokenizer *tok;
  slm_model_info info;
  int32_t *tokens;
} run;

/* Writes "slmrun: error: ..." and returns 1. */
__attribute__((format(printf, 1, 2))) int fail(const char *format, ...);
double now_seconds(void);
/* Writes the piece `id` adds after `previous` to standard output. */
int emit_piece(const slm_tokenizer *tok, int32_t previous, int32_t id);

/* slmrun --chat: each line of standard input (or -p alone) is a user turn; the
 * reply streams to standard output; the KV cache keeps what the re-rendered
 * conversation shares with what ran. */
int chat(const options *o, run *r);

/* slmrun --logits IDS: the logits of the ids as slmc-logits's JSON. */
int print_logits(const options *o, run *r);

#endif
