//===- HostAmx.h - whether this process may run AMX-INT8 code ----*- C++ -*-===//
//
// For the programs that call the kernels directly (the ukernel tests and
// slm-kernel-bench); artifacts get the same through the runtime
// (runtime/src/cpu_features.c). The CPU must have AMX-TILE and AMX-INT8, the
// OS must save tile state (XCR0 bits 17 and 18), and Linux hands the tile data
// state only to processes that ask for it (arch_prctl ARCH_REQ_XCOMP_PERM).
//
//===----------------------------------------------------------------------===//
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace slmc {

inline bool amxAvailable() {
#if defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(edx & (1u << 24)) ||
      !(edx & (1u << 25)))
    return false;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) // OSXSAVE
    return false;
  unsigned low, high;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  if ((low & 0x60000) != 0x60000)
    return false;
  constexpr long kRequestPermission = 0x1023, kTileData = 18; // asm/prctl.h, XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
#else
  return false;
#endif
}

} // namespace slmc
