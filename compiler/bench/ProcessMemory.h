//===- ProcessMemory.h - this process's resident memory ---------*- C++ -*-===//
//
// Linux's accounting of this process's resident memory (/proc/self/status),
// and its peak reset (/proc/self/clear_refs), so that `slmc bench` can tell
// the memory the runtime adds while it runs an artifact from the compiler's
// own (its libraries and, for a MODEL, the compile before).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace slmc::bench {

/// Bytes resident now (VmRSS), 0 where Linux does not say.
uint64_t residentBytes();
/// The most bytes resident since the process started or the last
/// resetPeakResident (VmHWM), 0 where Linux does not say.
uint64_t peakResidentBytes();
/// Restarts the peak from the resident bytes now; false where the kernel
/// refuses (then the peak keeps counting from the process's start).
bool resetPeakResident();

} // namespace slmc::bench
