//===- ParallelFor.h - independent work items over a few threads -*- C++ -*-===//
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace slmc {

/// Calls body(i) for every i in [0, n) on up to `threads` threads (0: one
/// per CPU), the calling thread among them; items are handed out one at a
/// time, so uneven items balance. `body` must not throw and must only touch
/// what item i owns. Results do not depend on the thread count.
template <typename Body> void parallelFor(int64_t n, int threads, Body &&body) {
  if (threads <= 0)
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, n));
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i; (i = next.fetch_add(1)) < n;)
      body(i);
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t)
    helpers.emplace_back(work);
  work();
  for (std::thread &helper : helpers)
    helper.join();
}

} // namespace slmc
