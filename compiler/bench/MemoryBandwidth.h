//===- MemoryBandwidth.h - how fast this machine reads memory ---*- C++ -*-===//
#pragma once

#include <cstddef>

namespace slmc::bench {

/// Bytes per second that `threads` threads read from a buffer of `bytes`
/// (far larger than the last-level cache: DRAM, not cache), each streaming
/// its own slice with wide loads and no stores; the median of `passes`
/// passes after one that touches every page.
double measureReadBandwidth(int threads, size_t bytes = size_t(1) << 30, int passes = 5);

} // namespace slmc::bench
