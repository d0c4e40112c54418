/*===- slm_kernel_abi.h - runtime <-> compiled code contract ------*- C -*-===*
 *
 * The compiled code of a .slmpack artifact exports one function per entry
 * point. The runtime owns every buffer and the threads; the code owns none,
 * calls nothing outside itself except the parallel_for it is handed, and so
 * needs no libc.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_KERNEL_ABI_H
#define SLM_KERNEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLM_KERNEL_ABI_VERSION 1

/* Runs task(context, i) for every i in [0, count), possibly on several threads,
 * and returns when all have finished. */
typedef void (*slm_task_fn)(void *context, int64_t i);
typedef void (*slm_parallel_for_fn)(void *pool, int64_t count, slm_task_fn task, void *context);

/* Arguments of a "decoder_step" entry point:
 *   int32_t slm_forward(const slm_step_args *args);  returns 0 on success.
 * It appends tokens[0..n_tokens) at positions position.. position+n_tokens-1
 * (n_tokens <= MemoryPlan.max_tokens_per_call, position + n_tokens <=
 * ModelConfig.max_context) and writes the logits of those tokens, row-major
 * [n_tokens, vocab], to `logits`. With SLM_STEP_LAST_LOGITS in `flags` (set
 * only where the artifact's MemoryPlan.last_logits_on_request says its code
 * knows the flag) it writes the last token's logits alone, as row 0, and runs
 * the output head on that token only: a prompt's other logits are rarely
 * wanted, and at a 150K vocabulary the head is a third of a prefill. */
#define SLM_STEP_LAST_LOGITS 1u
typedef struct slm_step_args {
  uint32_t abi_version;         /* SLM_KERNEL_ABI_VERSION */
  uint32_t flags;               /* SLM_STEP_* bits; 0: every token's logits */
  const int32_t *tokens;
  int64_t n_tokens;
  int64_t position;
  const uint8_t *weights;       /* start of the weights section (64-byte aligned) */
  uint8_t *arena;               /* MemoryPlan.arena_size bytes, 64-byte aligned */
  float *kv_cache;              /* MemoryPlan.kv_cache_size bytes */
  float *logits;                /* MemoryPlan.logits_size bytes */
  slm_parallel_for_fn parallel_for; /* NULL: every kernel runs inline */
  void *pool;
} slm_step_args;

/* Arguments of a "graph" entry point (a static-shape graph, such as an ONNX
 * model without KV cache):
 *   int32_t NAME(const slm_graph_args *args);  returns 0 on success.
 * inputs[i] and outputs[i] are dense row-major buffers of the shapes and
 * dtypes that EntryPoint.inputs / EntryPoint.outputs list. */
typedef struct slm_graph_args {
  uint32_t abi_version;
  uint32_t reserved;
  const void *const *inputs;
  void *const *outputs;
  const uint8_t *weights;
  uint8_t *arena;
  slm_parallel_for_fn parallel_for; /* NULL: every kernel runs inline */
  void *pool;
} slm_graph_args;

#ifdef __cplusplus
}
#endif

#endif /* SLM_KERNEL_ABI_H */
