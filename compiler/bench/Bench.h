//===- Bench.h - prefill and decode speed of an artifact --------*- C++ -*-===//
//
// What `slmc bench` measures, shaped after llama.cpp's llama-bench: one
// warm-up, then R repetitions of a prefill of P random tokens and of G
// single-token decode steps after it, on the tiny runtime; and, in the same
// run, this machine's memory read bandwidth, which bounds decode.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <string>

namespace slmc::bench {

struct BenchOptions {
  int64_t promptTokens = 128;
  int64_t genTokens = 64;
  int threads = 0; // 0: one per online CPU
  int repetitions = 5;
  uint64_t seed = 0; // the random prompt's
  /// Hears what is being measured ("prefill 3/5"), for a progress line.
  std::function<void(llvm::StringRef what)> progress;
};

/// Memory a runtime may use beyond its artifact, KV cache and arena.
constexpr uint64_t kMemoryAllowance = 64ull << 20;

struct Rate {
  double median = 0, min = 0, max = 0;
};

struct BenchResult {
  std::string artifact, target, cpu;
  int threads = 0;
  int64_t promptTokens = 0, genTokens = 0, repetitions = 0;
  Rate prefill, decode;                 // tokens per second
  uint64_t weightBytes = 0;             // the artifact's weights section
  uint64_t decodeWeightBytes = 0;       // of those, read by one decode step
  double decodeWeightGBps = 0;          // decodeWeightBytes x decode tokens/s
  double readGBps = 0;                  // measured in the same run, same threads
  double bandwidthShare = 0;            // decodeWeightGBps / readGBps
  // Resident memory (Linux's VmRSS/VmHWM), while the artifact was open: the
  // process's peak, and slmc's own before opening it (its libraries and, for
  // a MODEL, what the compile left). Their difference is the runtime's: the
  // mapped artifact's pages read, the session's KV cache and arena touched,
  // its threads. The bound the benchmarks hold the runtime to: the whole
  // file, KV cache, arena and logits (as if all touched) and 64 MiB.
  uint64_t peakRssBytes = 0, baselineRssBytes = 0, memoryBoundBytes = 0;
  uint64_t runtimeRssBytes() const { return peakRssBytes - baselineRssBytes; }

  llvm::json::Object toJson() const;
};

/// This machine's CPU as /proc/cpuinfo names it.
std::string cpuName();
/// The threads a count of 0 stands for.
int resolveThreads(int threads);

/// Benchmarks the compiled artifact at `path`.
llvm::Expected<BenchResult> benchArtifact(llvm::StringRef path, const BenchOptions &options);

} // namespace slmc::bench
