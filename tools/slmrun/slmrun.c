/*===- slmrun.c - run a compiled model on a device, no compiler -----------===*
 *
 *   slmrun ARTIFACT [-p PROMPT] [-n N] [-t TEMP] [--top-k K] [--top-p P]
 *          [--seed S] [--threads N] [--tokens] [--chat [--system TEXT]]
 *          [--trusted-key KEY.pub ...]
 *   slmrun ARTIFACT --logits IDS [--mode prefill|decode] [--threads N]
 *
 * What `slmc run ARTIFACT` does, on libslmrt and libslmtok alone (C11, libc,
 * libm, pthreads, libdl), so that a phone or a board runs a model with no
 * compiler installed: the prompt is encoded with the tokenizer the artifact
 * carries (BOS in front), prefilled in one call, and continued token by token
 * until N positions (BOS and prompt included, as llama2.c's -n), BOS or EOS.
 * Standard output is the prompt followed by the continuation, piece by piece,
 * then a newline (with --tokens, the ids on a second line); standard error
 * gets the prefill time and the decode rate. --chat converses through the
 * artifact's chat template instead (chat.c); --logits prints the logits of
 * given token ids as JSON (logits.c), to compare a device's numbers with an
 * oracle's. With --trusted-key the artifact must be signed by one of the keys
 * (slm_artifact_open_trusted) before any of it is read further.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L

#include "slmrun.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out) {
  fprintf(out, "usage: slmrun ARTIFACT [-p PROMPT] [-n N] [-t TEMP] [--top-k K] [--top-p P]\n"
               "              [--seed S] [--threads N] [--tokens] [--chat [--system TEXT]]\n"
               "              [--trusted-key KEY.pub ...]\n"
               "       slmrun ARTIFACT --logits IDS [--mode prefill|decode] [--threads N]\n"
               "  -p, --prompt       text to start from (default: empty)\n"
               "  -n                 positions to run, BOS and prompt included (default 256;\n"
               "                     capped at the model's context)\n"
               "  -t, --temperature  sampling temperature; 0 (default) picks the likeliest\n"
               "  --top-k, --top-p   sample among the k likeliest / within p of the mass\n"
               "  --seed             the sampler's seed (default 0)\n"
               "  --threads          threads (default 0: one per online CPU)\n"
               "  --tokens           also print the token ids after the text\n"
               "  --chat             converse through the model's chat template: each line of\n"
               "                     standard input (or -p alone) is a turn; -n caps a reply\n"
               "  --system           --chat: the system message the conversation starts with\n"
               "  --logits           comma-separated token ids: print their logits as JSON\n"
               "  --mode             --logits: prefill (one call, default) or decode (one\n"
               "                     token per call)\n"
               "  --trusted-key      a public key file (slmc keygen); repeat for more: run the\n"
               "                     artifact only if one of them signed it\n");
}

int fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("slmrun: error: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return 1;
}

/* A whole-string number, or an error naming the option. */
static int parse_number(const char *flag, const char *text, double low, double high,
                        double *out) {
  char *end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (!*text || *end || errno || !(value >= low && value <= high)) {
    fprintf(stderr, "slmrun: error: %s: '%s' is not a number in [%g, %g]\n", flag, text, low,
            high);
    return 1;
  }
  *out = value;
  return 0;
}

static int parse_options(int argc, char **argv, options *o) {
  *o = (options){.prompt = "", .positions = 256, .top_p = 1.0f};
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      usage(stdout);
      exit(0);
    }
    if (!strcmp(arg, "--tokens")) {
      o->print_tokens = 1;
      continue;
    }
    if (!strcmp(arg, "--chat")) {
      o->chat = 1;
      continue;
    }
    if (arg[0] != '-') {
      if (o->artifact)
        return fail("one artifact, got '%s' and '%s'", o->artifact, arg);
      o->artifact = arg;
      continue;
    }
    if (i + 1 >= argc)
      return fail("%s needs a value", arg);
    const char *value = argv[++i];
    double number = 0;
    if (!strcmp(arg, "-p") || !strcmp(arg, "--prompt")) {
      o->prompt = value;
    } else if (!strcmp(arg, "--system")) {
      o->system = value;
    } else if (!strcmp(arg, "--trusted-key")) {
      size_t capacity = sizeof o->trusted_keys / sizeof o->trusted_keys[0];
      if (o->trusted_key_count == capacity)
        return fail("--trusted-key: at most %zu keys", capacity);
      if (slm_public_key_read(value, &o->trusted_keys[o->trusted_key_count]) != SLM_OK)
        return fail("--trusted-key: %s", slm_last_error());
      ++o->trusted_key_count;
    } else if (!strcmp(arg, "--logits")) {
      o->logits = value;
    } else if (!strcmp(arg, "--mode")) {
      if (strcmp(value, "prefill") && strcmp(value, "decode"))
        return fail("--mode: '%s' is neither prefill nor decode", value);
      o->decode_logits = !strcmp(value, "decode");
    } else if (!strcmp(arg, "-n")) {
      if (parse_number(arg, value, 1, 1e12, &number))
        return 1;
      o->positions = (long long)number;
    } else if (!strcmp(arg, "-t") || !strcmp(arg, "--temperature")) {
      if (parse_number(arg, value, 0, 1e6, &number))
        return 1;
      o->temperature = (float)number;
    } else if (!strcmp(arg, "--top-k")) {
      if (parse_number(arg, value, 0, 1e9, &number))
        return 1;
      o->top_k = (int)number;
    } else if (!strcmp(arg, "--top-p")) {
      if (parse_number(arg, value, 0, 1, &number))
        return 1;
      o->top_p = (float)number;
    } else if (!strcmp(arg, "--seed")) {
      if (parse_number(arg, value, 0, 1.8e19, &number))
        return 1;
      o->seed = (unsigned long long)number;
    } else if (!strcmp(arg, "--threads")) {
      if (parse_number(arg, value, 0, 4096, &number))
        return 1;
      o->threads = (int)number;
    } else {
      usage(stderr);
      return fail("unknown option '%s'", arg);
    }
  }
  if (!o->artifact) {
    usage(stderr);
    return fail("no artifact given");
  }
  if (o->system && !o->chat)
    return fail("--system needs --chat");
  return 0;
}

double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int emit_piece(const slm_tokenizer *tok, int32_t previous, int32_t id) {
  char *piece = NULL;
  size_t len = 0;
  if (slm_tok_decode_piece(tok, previous, id, &piece, &len) != 0) {
    free(piece);
    return -1;
  }
  fwrite(piece, 1, len, stdout);
  fflush(stdout);
  free(piece);
  return 0;
}

static void run_free(run *r) {
  free(r->tokens);
  slm_tok_free(r->tok);
  slm_session_destroy(r->session);
  slm_artifact_close(r->artifact);
}

/* Opens the artifact, its tokenizer and a session. */
static int open_run(const options *o, run *r) {
  if (slm_artifact_open_trusted(o->artifact, o->trusted_keys, o->trusted_key_count,
                                &r->artifact) != SLM_OK)
    return fail("%s", slm_last_error());
  slm_artifact_info(r->artifact, &r->info);
  size_t tokenizer_size = 0;
  const char *kind = NULL;
  const char *tokenizer = slm_artifact_tokenizer(r->artifact, &tokenizer_size, &kind);
  if (!tokenizer || !tokenizer_size)
    return fail("%s: the artifact carries no tokenizer (compile it with one)", o->artifact);
  char error[256] = "";
  r->tok = slm_tok_load(tokenizer, tokenizer_size, error, sizeof error);
  if (!r->tok)
    return fail("%s: its tokenizer: %s", o->artifact, error);
  if (kind && !strcmp(kind, "llama2c"))
    slm_tok_set_special_ids(r->tok, r->info.bos_token_id, r->info.eos_token_id);
  if (slm_session_create(r->artifact, o->threads, &r->session) != SLM_OK)
    return fail("%s", slm_last_error());
  return 0;
}

/* The prompt (BOS in front) and its continuation, as llama2.c's run. */
static int generate(const options *o, run *r) {
  const slm_model_info info = r->info;
  char error[256] = "";
  size_t count = 0;
  slm_tok_encode_options encode = {1, NULL, NULL};
  if (slm_tok_encode(r->tok, o->prompt, strlen(o->prompt), &encode, &r->tokens, &count, error,
                     sizeof error) != 0)
    return fail("the prompt: %s", error);
  if (count == 0)
    return fail("the prompt encodes to no tokens and the tokenizer adds no BOS");

  long long steps = o->positions < info.max_context ? o->positions : info.max_context;
  long long fed = (long long)count < steps ? (long long)count : steps;
  double start = now_seconds();
  if (slm_session_prefill(r->session, r->tokens, fed, 0) != SLM_OK)
    return fail("%s", slm_last_error());
  double prefill_seconds = now_seconds() - start;
  for (long long i = 1; i < fed; ++i)
    if (emit_piece(r->tok, r->tokens[i - 1], r->tokens[i]))
      return fail("cannot decode a token of the prompt");
  long long printed = count;
  long long decoded = 0;
  start = now_seconds();
  if (fed < (long long)count) {
    /* llama2.c still prints the forced token that follows the last position. */
    if (emit_piece(r->tok, r->tokens[fed - 1], r->tokens[fed]))
      return fail("cannot decode a token of the prompt");
    printed = fed + 1;
  } else {
    int32_t *grown = realloc(r->tokens, (size_t)(steps + 1) * sizeof *grown);
    if (!grown)
      return fail("out of memory");
    r->tokens = grown;
    slm_sampler sampler;
    slm_sampler_config config = {o->temperature, o->top_k, o->top_p, o->seed};
    slm_sampler_init(&sampler, &config);
    while (1) {
      int64_t rows = 0;
      const float *logits = slm_session_logits(r->session, &rows);
      if (!logits || rows < 1)
        return fail("the model returned no logits");
      int32_t next = slm_sample(&sampler, logits + (rows - 1) * info.vocab_size, info.vocab_size);
      if (next < 0)
        return fail("sampling failed: %s", slm_last_error());
      if (next == info.bos_token_id || next == info.eos_token_id)
        break;
      if (emit_piece(r->tok, r->tokens[printed - 1], next))
        return fail("cannot decode a generated token");
      r->tokens[printed++] = next;
      if (fed >= steps)
        break;
      if (slm_session_decode(r->session, next) != SLM_OK)
        return fail("%s", slm_last_error());
      ++fed;
      ++decoded;
    }
  }
  double decode_seconds = now_seconds() - start;
  fputc('\n', stdout);
  if (o->print_tokens) {
    fputs("tokens:", stdout);
    for (long long i = 0; i < printed; ++i)
      printf(" %d", r->tokens[i]);
    fputc('\n', stdout);
  }
  fflush(stdout);
  fprintf(stderr,
          "slmrun (%s): prompt %zu tokens in %.1f ms; generated %lld tokens in %.3f s "
          "(%.1f tokens/s)\n",
          info.target, count, prefill_seconds * 1e3, decoded, decode_seconds,
          decode_seconds > 0 ? (double)decoded / decode_seconds : 0.0);
  return 0;
}

int main(int argc, char **argv) {
  options o;
  if (parse_options(argc, argv, &o))
    return 2;
  run r = {0};
  int status = open_run(&o, &r);
  if (!status)
    status = o.logits ? print_logits(&o, &r) : o.chat ? chat(&o, &r) : generate(&o, &r);
  run_free(&r);
  return status;
}
