/*===- logits.c - slmrun --logits: the raw numbers, for checking a device -===*
 *
 * Prints the logits the artifact gives for the token ids of --logits, in the
 * JSON that slmc-logits writes (backend, vocab, tokens, logits), so that a
 * device's (or an emulator's) numbers are compared with ONNX Runtime, PyTorch
 * or the reference executor by the same scripts. --mode prefill runs the ids in
 * one call, decode one per call (the KV-cache path).
 *
 *===----------------------------------------------------------------------===*/
#include "slmrun.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The comma-separated ids of `list` (*ids malloc'ed). */
static int parse_ids(const char *list, int32_t **ids, size_t *count) {
  size_t most = 1;
  for (const char *p = list; *p; ++p)
    most += *p == ',';
  *ids = malloc(most * sizeof **ids);
  *count = 0;
  if (!*ids)
    return fail("out of memory");
  const char *p = list;
  while (*p) {
    char *end = NULL;
    errno = 0;
    long id = strtol(p, &end, 10);
    if (end == p || errno || id < 0 || id > INT32_MAX || (*end && *end != ','))
      return fail("--logits: '%s' is not a list of token ids", list);
    (*ids)[(*count)++] = (int32_t)id;
    p = *end ? end + 1 : end;
  }
  if (*count == 0)
    return fail("--logits: no token ids");
  return 0;
}

/* Appends the last call's rows to standard output. */
static int print_rows(const run *r, int *first) {
  int64_t rows = 0;
  const float *logits = slm_session_logits(r->session, &rows);
  if (!logits || rows < 1)
    return fail("the model returned no logits");
  for (int64_t i = 0; i < rows * r->info.vocab_size; ++i) {
    printf("%s%.9g", *first ? "" : ",", logits[i]);
    *first = 0;
  }
  return 0;
}

int print_logits(const options *o, run *r) {
  int32_t *ids = NULL;
  size_t count = 0;
  int status = parse_ids(o->logits, &ids, &count);
  if (!status && (long long)count > r->info.max_context)
    status = fail("--logits: %zu ids, more than the model's context of %lld", count,
                  (long long)r->info.max_context);
  if (status) {
    free(ids);
    return status;
  }
  printf("{\"backend\": \"compiled for %s\", \"vocab\": %lld, \"tokens\": [", r->info.target,
         (long long)r->info.vocab_size);
  for (size_t i = 0; i < count; ++i)
    printf("%s%d", i ? ", " : "", ids[i]);
  fputs("], \"logits\": [", stdout);
  int first = 1;
  if (o->decode_logits) {
    for (size_t i = 0; i < count && !status; ++i)
      status = slm_session_decode(r->session, ids[i]) != SLM_OK ? fail("%s", slm_last_error())
                                                                 : print_rows(r, &first);
  } else {
    status = slm_session_prefill(r->session, ids, (int64_t)count, 1) != SLM_OK
                 ? fail("%s", slm_last_error())
                 : print_rows(r, &first);
  }
  fputs("]}\n", stdout);
  free(ids);
  return status;
}
