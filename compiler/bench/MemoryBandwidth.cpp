//===- MemoryBandwidth.cpp - how fast this machine reads memory -----------===//
//
// The physical limit that decode is measured against: a decoder step reads
// every weight once, so tokens/s × weight bytes can at best equal this. The
// read loop keeps eight independent 32-byte accumulators so that the loads,
// not an add chain, set the pace.
//
//===----------------------------------------------------------------------===//

#include "compiler/bench/MemoryBandwidth.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace slmc::bench {

namespace {

typedef int64_t Lanes __attribute__((vector_size(32)));

/// Reads [begin, end) once; the result keeps the loads from being optimized away.
__attribute__((noinline)) int64_t readAll(const Lanes *begin, const Lanes *end) {
  Lanes a0{}, a1{}, a2{}, a3{}, a4{}, a5{}, a6{}, a7{};
  for (const Lanes *p = begin; p + 8 <= end; p += 8) {
    a0 += p[0], a1 += p[1], a2 += p[2], a3 += p[3];
    a4 += p[4], a5 += p[5], a6 += p[6], a7 += p[7];
  }
  Lanes sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  return sum[0] + sum[1] + sum[2] + sum[3];
}

} // namespace

double measureReadBandwidth(int threads, size_t bytes, int passes) {
  threads = std::max(threads, 1);
  passes = std::max(passes, 1);
  size_t lanes = bytes / sizeof(Lanes) / (8 * threads) * (8 * threads);
  auto *buffer = static_cast<Lanes *>(std::aligned_alloc(64, lanes * sizeof(Lanes)));
  if (!buffer)
    return 0;
  size_t slice = lanes / threads;
  std::vector<double> rates;
  std::vector<int64_t> sinks(threads);
  std::barrier start(threads + 1), done(threads + 1);
  std::vector<std::thread> workers;
  // Pass 0 writes the pages (first touch, from the thread that reads them);
  // passes 1.. are timed.
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      Lanes *mine = buffer + t * slice;
      for (int pass = 0; pass <= passes; ++pass) {
        start.arrive_and_wait();
        if (pass == 0)
          std::memset(mine, t + 1, slice * sizeof(Lanes));
        else
          sinks[t] += readAll(mine, mine + slice);
        done.arrive_and_wait();
      }
    });
  for (int pass = 0; pass <= passes; ++pass) {
    auto begin = std::chrono::steady_clock::now();
    start.arrive_and_wait();
    done.arrive_and_wait();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (pass > 0)
      rates.push_back(static_cast<double>(lanes * sizeof(Lanes)) / seconds);
  }
  for (std::thread &w : workers)
    w.join();
  std::free(buffer);
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

} // namespace slmc::bench
