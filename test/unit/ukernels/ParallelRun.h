//===- ParallelRun.h - running a micro-kernel inline and threaded -*- C++ -*-===//
//
// Every kernel test runs its kernel twice: inline (no parallel_for) and with
// a parallel_for that spreads tasks over 3 threads; the results must be the
// same bytes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/targets/ukernels/slm_ukernels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace slmc::testing {

/// parallel_for over 3 std::threads that take task indices from a counter.
struct ThreadPool {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> most{0};

  static void parallelFor(void *pool, int64_t n, slm_task_fn task, void *context) {
    auto *self = static_cast<ThreadPool *>(pool);
    ++self->calls;
    int64_t seen = self->most.load();
    while (n > seen && !self->most.compare_exchange_weak(seen, n)) {
    }
    std::atomic<int64_t> next{0};
    auto worker = [&] {
      for (int64_t i = next++; i < n; i = next++)
        task(context, i);
    };
    std::thread a(worker), b(worker), c(worker);
    a.join();
    b.join();
    c.join();
  }
};

/// Runs kernel(ctx, out) inline and on the thread pool into `bytes`-byte
/// buffers pre-filled with garbage; expects the same bytes; returns the
/// inline result. With `expectSplit`, the threaded run must have used more
/// than one task.
inline std::vector<uint8_t>
runBoth(size_t bytes, const std::function<void(const slm_uk_ctx *, void *)> &kernel,
        const std::string &what, bool expectSplit = false) {
  std::vector<uint8_t> inlineOut(bytes + 1, 0xA5), threadedOut(bytes + 1, 0x5A);
  kernel(nullptr, inlineOut.data());
  ThreadPool pool;
  slm_uk_ctx ctx{&ThreadPool::parallelFor, &pool};
  kernel(&ctx, threadedOut.data());
  EXPECT_EQ(0, std::memcmp(inlineOut.data(), threadedOut.data(), bytes))
      << what << ": the threaded run differs from the inline run";
  EXPECT_EQ(inlineOut[bytes], 0xA5) << what << ": wrote past the output";
  if (expectSplit)
    EXPECT_GT(pool.most.load(), 1) << what << ": expected the work to be split into tasks";
  inlineOut.pop_back();
  return inlineOut;
}

} // namespace slmc::testing
