//===- Outcome.h - a runtime call's status as text, for test checks -*- C++ -*-===//
#pragma once

#include "slm_runtime.h"

#include <string>

namespace slmc::test {

/// "OK", or the status's name and this thread's last error, as in
/// "ARGUMENT: slm_sample: vocabulary of 0 tokens". Header-only: the device
/// tests (built for AArch64 without the compiler) use it too.
inline std::string outcome(slm_status status) {
  static const char *const kNames[] = {"OK",          "IO",       "FORMAT",    "CHECKSUM",
                                       "UNSUPPORTED", "ARGUMENT", "EXECUTION", "MEMORY"};
  if (status == SLM_OK)
    return "OK";
  return std::string(kNames[status]) + ": " + slm_last_error();
}

} // namespace slmc::test
