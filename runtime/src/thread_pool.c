/*===- thread_pool.c - parallel_for on a few pthreads ---------------------===*
 *
 * Every worker takes part in every parallel_for: it picks indices until none
 * are left and then checks out. The caller returns only when all workers have
 * checked out, so no worker can still be touching a finished loop when the
 * next one starts. Idle workers sleep on a condition variable.
 *
 *===----------------------------------------------------------------------===*/

#include "thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct slm_thread_pool {
  pthread_mutex_t mutex;
  pthread_cond_t loop_started;
  pthread_cond_t worker_done;
  pthread_t *workers;
  int worker_count;
  /* The current loop; changed under the mutex while no worker is in it. */
  uint64_t generation;
  bool stopping;
  slm_task_fn task;
  void *context;
  int64_t count;
  atomic_int_least64_t next_index;
  int workers_done;
};

/* Set on the pool's threads while they run tasks: a nested parallel_for runs
 * inline instead of waiting for workers that are busy with the outer one. */
static _Thread_local bool in_task;

static void run_tasks(slm_thread_pool *pool) {
  in_task = true;
  for (;;) {
    int64_t i = atomic_fetch_add_explicit(&pool->next_index, 1, memory_order_relaxed);
    if (i >= pool->count)
      break;
    pool->task(pool->context, i);
  }
  in_task = false;
}

static void *worker_main(void *argument) {
  slm_thread_pool *pool = argument;
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    while (!pool->stopping && pool->generation == seen)
      pthread_cond_wait(&pool->loop_started, &pool->mutex);
    if (pool->stopping)
      break;
    seen = pool->generation;
    pthread_mutex_unlock(&pool->mutex);
    run_tasks(pool);
    pthread_mutex_lock(&pool->mutex);
    if (++pool->workers_done == pool->worker_count)
      pthread_cond_signal(&pool->worker_done);
  }
  pthread_mutex_unlock(&pool->mutex);
  return NULL;
}

slm_thread_pool *slm_thread_pool_create(int threads) {
  slm_thread_pool *pool = calloc(1, sizeof *pool);
  if (!pool)
    return NULL;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->loop_started, NULL);
  pthread_cond_init(&pool->worker_done, NULL);
  if (threads > 1 && !(pool->workers = calloc((size_t)threads - 1, sizeof *pool->workers))) {
    slm_thread_pool_destroy(pool);
    return NULL;
  }
  for (int i = 0; i < threads - 1; ++i) {
    if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0) {
      slm_thread_pool_destroy(pool);
      return NULL;
    }
    ++pool->worker_count;
  }
  return pool;
}

void slm_thread_pool_destroy(slm_thread_pool *pool) {
  pthread_mutex_lock(&pool->mutex);
  pool->stopping = true;
  pthread_cond_broadcast(&pool->loop_started);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 0; i < pool->worker_count; ++i)
    pthread_join(pool->workers[i], NULL);
  free(pool->workers);
  pthread_cond_destroy(&pool->worker_done);
  pthread_cond_destroy(&pool->loop_started);
  pthread_mutex_destroy(&pool->mutex);
  free(pool);
}

void slm_parallel_for(void *opaque, int64_t count, slm_task_fn task, void *context) {
  slm_thread_pool *pool = opaque;
  if (count <= 1 || pool->worker_count == 0 || in_task) {
    for (int64_t i = 0; i < count; ++i)
      task(context, i);
    return;
  }
  pthread_mutex_lock(&pool->mutex);
  pool->task = task;
  pool->context = context;
  pool->count = count;
  atomic_store_explicit(&pool->next_index, 0, memory_order_relaxed);
  pool->workers_done = 0;
  ++pool->generation;
  pthread_cond_broadcast(&pool->loop_started);
  pthread_mutex_unlock(&pool->mutex);

  run_tasks(pool);

  pthread_mutex_lock(&pool->mutex);
  while (pool->workers_done < pool->worker_count)
    pthread_cond_wait(&pool->worker_done, &pool->mutex);
  pthread_mutex_unlock(&pool->mutex);
}
