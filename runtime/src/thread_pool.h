/*===- thread_pool.h - the threads a session lends its code --------*- C -*-===*/
#ifndef SLM_THREAD_POOL_H
#define SLM_THREAD_POOL_H

#include "slm_kernel_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_thread_pool slm_thread_pool;

/* A pool of `threads` threads, the caller of slm_parallel_for included
 * (threads - 1 are started). NULL when out of resources. */
slm_thread_pool *slm_thread_pool_create(int threads);
void slm_thread_pool_destroy(slm_thread_pool *pool);

/* The slm_parallel_for_fn handed to compiled code; `pool` is a slm_thread_pool. */
void slm_parallel_for(void *pool, int64_t count, slm_task_fn task, void *context);

/* What to hand compiled code as its parallel_for: slm_parallel_for, or NULL
 * for a pool of one thread. Kernels then run each op inline as one range
 * instead of a loop over tasks sized for several threads, whose every 256 KB
 * restarts a decode GEMV's weight streams. The floats are the same either way
 * (slm_ukernels.h). */
slm_parallel_for_fn slm_thread_pool_parallel_for(const slm_thread_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
