/*===- fake_model.c - a hand-written stand-in for compiled model code -----===*
 *
 * Built like real artifact code (an ELF shared object, -nostdlib, no libc)
 * and packed into test artifacts by FakeArtifact.cpp, which also holds the
 * formulas below as the tests' expectations. For the token at position p:
 *
 *   logits[v] = a[v] * h(p) + b[v] * p + bias,  h(p) = sum over q <= p of (token_q + 1) * (q + 1)
 *
 * so every logit depends on all earlier tokens, which it reads back from the
 * KV cache. Small integers keep the float arithmetic exact.
 *
 *===----------------------------------------------------------------------===*/

#include "slm_kernel_abi.h"

#define VOCAB 32
/* Offsets in the weights section: bias [1], a [VOCAB], b [VOCAB]. */
#define BIAS_OFFSET 0
#define A_OFFSET 64
#define B_OFFSET 192

/* Distinct failure codes so that a test failure says which check failed. */
enum { BAD_ABI = 1, MISALIGNED = 2 };

static int misaligned(const void *pointer) { return ((uintptr_t)pointer & 63) != 0; }

/* As compiled kernels do: inline when the runtime hands no parallel_for (a
 * session of one thread). */
static void run_tasks(slm_parallel_for_fn parallel_for, void *pool, int64_t count,
                      slm_task_fn task, void *context) {
  if (!parallel_for) {
    for (int64_t i = 0; i < count; ++i)
      task(context, i);
    return;
  }
  parallel_for(pool, count, task, context);
}

typedef struct step {
  const slm_step_args *args;
  float *history; /* h(p) per token, in the arena */
} step;

static void write_logits(void *context, int64_t row) {
  const step *s = context;
  const slm_step_args *args = s->args;
  const float *a = (const float *)(args->weights + A_OFFSET);
  const float *b = (const float *)(args->weights + B_OFFSET);
  float bias = *(const float *)(args->weights + BIAS_OFFSET);
  float position = (float)(args->position + row);
  float *logits = args->logits + row * VOCAB;
  for (int v = 0; v < VOCAB; ++v)
    logits[v] = a[v] * s->history[row] + b[v] * position + bias;
}

int32_t slm_forward(const slm_step_args *args) {
  if (args->abi_version != SLM_KERNEL_ABI_VERSION)
    return BAD_ABI;
  if (misaligned(args->weights) || misaligned(args->arena) || misaligned(args->kv_cache) ||
      misaligned(args->logits))
    return MISALIGNED;
  for (int64_t i = 0; i < args->n_tokens; ++i)
    args->kv_cache[args->position + i] = (float)args->tokens[i];
  step s = {args, (float *)args->arena};
  float h = 0;
  for (int64_t q = 0; q < args->position + args->n_tokens; ++q) {
    h += (args->kv_cache[q] + 1) * (float)(q + 1);
    if (q >= args->position)
      s.history[q - args->position] = h;
  }
  run_tasks(args->parallel_for, args->pool, args->n_tokens, write_logits, &s);
  return 0;
}

/* A decoder step that always fails, for the runtime's error path. Copies
 * built with other codes tell apart which copy of the code ran. */
#ifndef FAILURE_CODE
#define FAILURE_CODE 7
#endif
int32_t slm_forward_fails(const slm_step_args *args) { return FAILURE_CODE; }

typedef struct sum {
  const slm_graph_args *args;
} sum;

static void add_row(void *context, int64_t row) {
  const slm_graph_args *args = ((const sum *)context)->args;
  const float *x = args->inputs[0], *y = args->inputs[1];
  float *z = args->outputs[0];
  float bias = *(const float *)(args->weights + BIAS_OFFSET);
  for (int64_t i = row * 3; i < row * 3 + 3; ++i)
    z[i] = x[i] + y[i] + bias;
}

/* A "graph" entry point: z[2,3] = x[2,3] + y[2,3] + bias. */
int32_t slm_add(const slm_graph_args *args) {
  if (args->abi_version != SLM_KERNEL_ABI_VERSION)
    return BAD_ABI;
  if (misaligned(args->weights))
    return MISALIGNED;
  sum s = {args};
  run_tasks(args->parallel_for, args->pool, 2, add_row, &s);
  return 0;
}
