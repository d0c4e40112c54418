/*===- thread_pool.c - parallel_for on a few pthreads ---------------------===*
 *
 * Every worker takes part in every parallel_for: it picks indices until none
 * are left and then checks out. The caller returns only when all workers have
 * checked out, so no worker can still be touching a finished loop when the
 * next one starts.
 *
 * A decode step is a few hundred parallel_for calls microseconds apart, so
 * the hand-over must not cost a sleep and a wake-up each time (60 us per call
 * on a 2-vCPU VM with condition variables alone: more than the kernels of a
 * 0.5B model's step at 2 threads). Workers spin on the loop counter for a
 * while (about a millisecond) after their last loop and only then sleep on a
 * condition variable; the caller spins until the workers check out, yielding
 * the CPU if that takes long (a worker that was descheduled). Idle sessions
 * still sleep.
 *
 *===----------------------------------------------------------------------===*/

#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* Spin iterations of a worker waiting for the next loop before it sleeps, and
 * of the caller waiting for check-outs before it starts yielding. */
#define SLM_POOL_SPINS 20000
#define SLM_POOL_CALLER_SPINS 4000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

struct slm_thread_pool {
  pthread_mutex_t mutex;
  pthread_cond_t loop_started;
  pthread_t *workers;
  int worker_count;
  /* The current loop: task, context and count are written before generation
   * is bumped (release) and read after it is seen (acquire). */
  atomic_uint_least64_t generation;
  atomic_bool stopping;
  slm_task_fn task;
  void *context;
  int64_t count;
  atomic_int_least64_t next_index;
  atomic_int workers_done;
  int sleepers; /* workers waiting on loop_started; under the mutex */
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

/* Waits until the generation differs from `seen` or the pool stops: spinning
 * first, then asleep. Returns the generation seen. */
static uint64_t wait_for_loop(slm_thread_pool *pool, uint64_t seen) {
  for (int spin = 0; spin < SLM_POOL_SPINS; ++spin) {
    uint64_t now = atomic_load_explicit(&pool->generation, memory_order_acquire);
    if (now != seen || atomic_load_explicit(&pool->stopping, memory_order_acquire))
      return now;
    cpu_relax();
  }
  pthread_mutex_lock(&pool->mutex);
  ++pool->sleepers;
  while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen &&
         !atomic_load_explicit(&pool->stopping, memory_order_acquire))
    pthread_cond_wait(&pool->loop_started, &pool->mutex);
  --pool->sleepers;
  pthread_mutex_unlock(&pool->mutex);
  return atomic_load_explicit(&pool->generation, memory_order_acquire);
}

static void *worker_main(void *argument) {
  slm_thread_pool *pool = argument;
  uint64_t seen = 0;
  for (;;) {
    seen = wait_for_loop(pool, seen);
    if (atomic_load_explicit(&pool->stopping, memory_order_acquire))
      break;
    run_tasks(pool);
    atomic_fetch_add_explicit(&pool->workers_done, 1, memory_order_release);
  }
  return NULL;
}

/* Bumps the generation and wakes the workers that sleep. A worker decides to
 * sleep under the mutex after checking the generation, and the bump happens
 * before this function takes the mutex: either the worker sees the new
 * generation, or it is counted in `sleepers` and gets the broadcast. */
static void start_loop(slm_thread_pool *pool) {
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_seq_cst);
  pthread_mutex_lock(&pool->mutex);
  if (pool->sleepers > 0)
    pthread_cond_broadcast(&pool->loop_started);
  pthread_mutex_unlock(&pool->mutex);
}

slm_thread_pool *slm_thread_pool_create(int threads) {
  slm_thread_pool *pool = calloc(1, sizeof *pool);
  if (!pool)
    return NULL;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->loop_started, NULL);
  atomic_init(&pool->generation, 0);
  atomic_init(&pool->stopping, false);
  atomic_init(&pool->next_index, 0);
  atomic_init(&pool->workers_done, 0);
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
  atomic_store_explicit(&pool->stopping, true, memory_order_seq_cst);
  pthread_mutex_lock(&pool->mutex);
  pthread_cond_broadcast(&pool->loop_started);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 0; i < pool->worker_count; ++i)
    pthread_join(pool->workers[i], NULL);
  free(pool->workers);
  pthread_cond_destroy(&pool->loop_started);
  pthread_mutex_destroy(&pool->mutex);
  free(pool);
}

slm_parallel_for_fn slm_thread_pool_parallel_for(const slm_thread_pool *pool) {
  return pool->worker_count > 0 ? slm_parallel_for : NULL;
}

void slm_parallel_for(void *opaque, int64_t count, slm_task_fn task, void *context) {
  slm_thread_pool *pool = opaque;
  if (count <= 1 || pool->worker_count == 0 || in_task) {
    for (int64_t i = 0; i < count; ++i)
      task(context, i);
    return;
  }
  /* Every worker checked out of the previous loop: nobody reads these now. */
  pool->task = task;
  pool->context = context;
  pool->count = count;
  atomic_store_explicit(&pool->next_index, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->workers_done, 0, memory_order_relaxed);
  start_loop(pool);

  run_tasks(pool);

  for (int spin = 0;
       atomic_load_explicit(&pool->workers_done, memory_order_acquire) < pool->worker_count;
       ++spin) {
    if (spin < SLM_POOL_CALLER_SPINS)
      cpu_relax();
    else
      sched_yield();
  }
}
