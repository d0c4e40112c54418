//===- ThreadPoolTest.cpp - the parallel_for compiled code receives -------===//

#include "runtime/src/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace {

struct PoolDestroyer {
  void operator()(slm_thread_pool *pool) const { slm_thread_pool_destroy(pool); }
};
using PoolPtr = std::unique_ptr<slm_thread_pool, PoolDestroyer>;

struct Counts {
  std::vector<std::atomic<int>> perIndex;
  explicit Counts(int64_t count) : perIndex(count) {}
};

void countIndex(void *context, int64_t i) { ++static_cast<Counts *>(context)->perIndex[i]; }

TEST(ThreadPool, RunsEveryIndexOnceInEveryLoop) {
  for (int threads : {1, 2, 5}) {
    PoolPtr pool(slm_thread_pool_create(threads));
    ASSERT_TRUE(pool);
    // Many short loops back to back: a worker late for one loop must not run
    // tasks of the next.
    for (int64_t loop = 0; loop < 2000; ++loop) {
      int64_t count = loop % 37;
      Counts counts(count);
      slm_parallel_for(pool.get(), count, countIndex, &counts);
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(counts.perIndex[i].load(), 1) << threads << " threads, loop " << loop;
    }
  }
}

struct Nested {
  slm_thread_pool *pool;
  std::vector<Counts> inner;
};

void runInnerLoop(void *context, int64_t i) {
  auto *nested = static_cast<Nested *>(context);
  slm_parallel_for(nested->pool, 8, countIndex, &nested->inner[i]);
}

TEST(ThreadPool, NestedLoopsRunInline) {
  PoolPtr pool(slm_thread_pool_create(3));
  Nested nested{pool.get(), {}};
  for (int i = 0; i < 6; ++i)
    nested.inner.emplace_back(8);
  slm_parallel_for(pool.get(), 6, runInnerLoop, &nested);
  for (const Counts &counts : nested.inner)
    for (const std::atomic<int> &count : counts.perIndex)
      EXPECT_EQ(count.load(), 1);
}

void recordThread(void *context, int64_t i) {
  static_cast<std::vector<std::thread::id> *>(context)->at(i) = std::this_thread::get_id();
}

TEST(ThreadPool, OneThreadRunsOnTheCaller) {
  PoolPtr pool(slm_thread_pool_create(1));
  std::vector<std::thread::id> threads(4);
  slm_parallel_for(pool.get(), 4, recordThread, &threads);
  for (std::thread::id id : threads)
    EXPECT_EQ(id, std::this_thread::get_id());
}

// Compiled code gets no parallel_for from a pool of one thread, so its
// kernels run each op as one range (their floats are the same either way).
TEST(ThreadPool, CodeOfAOneThreadPoolRunsInline) {
  PoolPtr one(slm_thread_pool_create(1)), two(slm_thread_pool_create(2));
  EXPECT_EQ(slm_thread_pool_parallel_for(one.get()), nullptr);
  EXPECT_EQ(slm_thread_pool_parallel_for(two.get()), &slm_parallel_for);
}

} // namespace
