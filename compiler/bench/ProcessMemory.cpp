//===- ProcessMemory.cpp - this process's resident memory -----------------===//

#include "compiler/bench/ProcessMemory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace slmc::bench {
namespace {

/// A "Name:   N kB" line of /proc/self/status, in bytes.
uint64_t statusField(const std::string &name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, name.size() + 1, name + ":") != 0)
      continue;
    std::istringstream fields(line.substr(name.size() + 1));
    uint64_t kilobytes = 0;
    fields >> kilobytes;
    return kilobytes * 1024;
  }
  return 0;
}

} // namespace

uint64_t residentBytes() { return statusField("VmRSS"); }

uint64_t peakResidentBytes() { return statusField("VmHWM"); }

bool resetPeakResident() {
  // "5" resets the peak resident set size (Documentation/filesystems/proc.rst).
  std::ofstream refs("/proc/self/clear_refs");
  refs << "5";
  refs.flush();
  return static_cast<bool>(refs);
}

} // namespace slmc::bench
